package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A cluster starts, serves, stops and comes back with its data.
func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	conn := s.NewDatabase(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	s.Stop(t)
	if _, err := pgx.Connect(ctx, conn); err == nil {
		t.Fatal("connected to a stopped cluster")
	}
	s.Restart(t)
	c, err = pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v int
	if err := c.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: %d, %v", v, err)
	}
}
