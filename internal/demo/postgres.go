package demo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgDatabase is the editor's database in the throwaway cluster.
const pgDatabase = "ddiscope"

func (s *State) pgConnString(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable connect_timeout=2", s.Info.Ports.Postgres, db)
}

// startPostgres makes a throwaway cluster in the state directory and
// starts it on loopback. PostgreSQL refuses to run as root: initdb runs
// through runuser and the postmaster through setpriv (which exec()s, so
// the recorded PID is the postmaster's), both as the "postgres" user that
// Debian's package creates.
func (s *State) startPostgres() error {
	initdb, err := findBinary("initdb")
	if err != nil {
		return fmt.Errorf("initdb: %w (Debian package postgresql)", err)
	}
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("the postgres user (made by Debian's postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir := s.path("postgres")
	for _, d := range []string{dir, filepath.Join(dir, "run")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "runuser", "-u", "postgres", "--", initdb, "-D", filepath.Join(dir, "data"),
		"-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	_, exited, err := s.spawn(launch{Name: "postgresql", Comm: "postgres", Stop: syscall.SIGINT, Dir: dir, Log: filepath.Join(dir, "postgres.log"),
		Args: []string{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", postgres,
			"-D", filepath.Join(dir, "data"), "-k", filepath.Join(dir, "run"), "-p", strconv.Itoa(s.Info.Ports.Postgres),
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50"}})
	if err != nil {
		return err
	}
	if err := waitFor(30*time.Second, exited, "PostgreSQL accepting connections", func() error {
		c, err := pgx.Connect(context.Background(), s.pgConnString("postgres"))
		if err == nil {
			c.Close(context.Background())
		}
		return err
	}); err != nil {
		return fmt.Errorf("%w (log: %s)", err, filepath.Join(dir, "postgres.log"))
	}
	c, err := pgx.Connect(ctx, s.pgConnString("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgDatabase); err != nil {
		return fmt.Errorf("creating the editor's database: %w", err)
	}
	return nil
}
