package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Change statuses.
const (
	ChangeRunning        = "running"
	ChangeApplied        = "applied"
	ChangeFailed         = "failed" // failed before any peer was changed
	ChangeRolledBack     = "rolled-back"
	ChangeRollbackFailed = "rollback-failed"
	ChangeConflict       = "conflict"
	// ChangeInterrupted is a change left running (its editor lost the
	// database or stopped mid-apply), closed by an admin.
	ChangeInterrupted = "interrupted"
)

// Step is one command of an apply as Kea answered it.
type Step struct {
	At      time.Time `json:"at"`
	Peer    string    `json:"peer"`
	Command string    `json:"command"`
	OK      bool      `json:"ok"`
	Result  int       `json:"result"`
	Text    string    `json:"text"` // Kea's own message, or the transport error
	Took    string    `json:"took,omitempty"`
}

// Change is one attempt to change a Kea configuration.
type Change struct {
	ID         int64
	StartedAt  time.Time
	FinishedAt *time.Time
	Username   string
	RemoteAddr string
	Server     string // the server or HA pair, as the pages name it
	Daemon     string
	Peers      []string
	Summary    string
	Diff       string
	Status     string
	Error      string
	Steps      []Step
}

// StartChange records an attempt before Kea is touched and returns its id.
func (s *Store) StartChange(ctx context.Context, c Change) (int64, error) {
	return s.insertChange(ctx, c, ChangeRunning, false)
}

// RecordChange records an attempt that is over already (refused under the
// lock: nothing was sent to Kea but reads), in one statement, so that it
// is never left running.
func (s *Store) RecordChange(ctx context.Context, c Change) (int64, error) {
	return s.insertChange(ctx, c, c.Status, true)
}

// insertChange adds c with status, finished now when finished.
func (s *Store) insertChange(ctx context.Context, c Change, status string, finished bool) (int64, error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	steps, err := json.Marshal(nonNil(c.Steps))
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO changes (username, remote_addr, server, daemon, peers, summary, diff, status, error, steps, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11::boolean THEN now() END) RETURNING id`,
		c.Username, c.RemoteAddr, c.Server, c.Daemon, c.Peers, c.Summary, c.Diff, status, c.Error, steps, finished).Scan(&id)
	return id, s.check(err)
}

// RunningChanges are the attempts on any of peers' daemon still marked
// running, oldest first: under the pair's lock, each is an apply whose
// editor lost the database or stopped before recording its outcome.
func (s *Store) RunningChanges(ctx context.Context, daemon string, peers []string) ([]Change, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, started_at, username, server FROM changes
		WHERE status = 'running' AND daemon = $1 AND peers && $2 ORDER BY id`, daemon, peers)
	if err != nil {
		return nil, s.check(err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.ID, &c.StartedAt, &c.Username, &c.Server); err != nil {
			return nil, s.check(err)
		}
		out = append(out, c)
	}
	return out, s.check(rows.Err())
}

// CloseInterrupted closes a change still marked running as interrupted,
// with who closed it and what they found; ErrNotFound when no such change
// is running.
func (s *Store) CloseInterrupted(ctx context.Context, id int64, by, note string) error {
	if err := s.ready(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE changes SET status = $2, finished_at = now(),
		error = concat_ws(' ', nullif(error, ''), $3::text) WHERE id = $1 AND status = $4`,
		id, ChangeInterrupted, "Closed as interrupted by "+by+": "+note, ChangeRunning)
	if err != nil {
		return s.check(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// FinishChange stores an attempt's outcome.
func (s *Store) FinishChange(ctx context.Context, id int64, status, diff, errText string, steps []Step) error {
	if err := s.ready(); err != nil {
		return err
	}
	b, err := json.Marshal(nonNil(steps))
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `UPDATE changes SET finished_at = now(), status = $2, diff = $3, error = $4, steps = $5 WHERE id = $1`,
		id, status, diff, errText, b)
	return s.check(err)
}

func nonNil(s []Step) []Step {
	if s == nil {
		return []Step{}
	}
	return s
}

// ChangeFilter selects change-log rows; zero values select all.
type ChangeFilter struct {
	Server, Daemon string
	Before         int64 // id, for paging
	Limit          int
}

// Changes returns attempts newest first.
func (s *Store) Changes(ctx context.Context, f ChangeFilter) ([]Change, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT id, started_at, finished_at, username, remote_addr, server, daemon, peers, summary, diff, status, error, steps
		FROM changes WHERE ($1 = '' OR server = $1 OR $1 = ANY(peers)) AND ($2 = '' OR daemon = $2) AND ($3::bigint = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`, f.Server, f.Daemon, f.Before, f.Limit)
	if err != nil {
		return nil, s.check(err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var steps []byte
		if err := rows.Scan(&c.ID, &c.StartedAt, &c.FinishedAt, &c.Username, &c.RemoteAddr, &c.Server, &c.Daemon, &c.Peers,
			&c.Summary, &c.Diff, &c.Status, &c.Error, &steps); err != nil {
			return nil, s.check(err)
		}
		if err := json.Unmarshal(steps, &c.Steps); err != nil {
			return nil, fmt.Errorf("change %d: steps: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, s.check(rows.Err())
}

// Change returns one attempt.
func (s *Store) Change(ctx context.Context, id int64) (Change, error) {
	cs, err := s.Changes(ctx, ChangeFilter{Before: id + 1, Limit: 1})
	if err != nil {
		return Change{}, err
	}
	if len(cs) == 0 || cs[0].ID != id {
		return Change{}, ErrNotFound
	}
	return cs[0], nil
}

// ErrLocked is returned by Lock when another change holds the lock past
// the caller's deadline.
var ErrLocked = errors.New("another change to this server is being applied")

// Lock holds a PostgreSQL session advisory lock on key (a server or HA
// pair) on a connection of its own. It is released by Unlock, and by
// PostgreSQL itself if the connection dies, so a crashed editor never
// leaves a pair locked.
type Lock struct {
	s    *Store
	conn *pgxpool.Conn
	key  int64
}

// LockKey is the advisory lock key of a name.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("ddiscope-configui:" + name))
	return int64(h.Sum64())
}

// Lock waits for the lock on name until ctx ends.
func (s *Store) Lock(ctx context.Context, name string) (*Lock, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, s.check(err)
	}
	l := &Lock{s: s, conn: conn, key: LockKey(name)}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, l.key); err != nil {
		// A cancelled wait leaves the connection in doubt: drop it.
		conn.Conn().Close(context.Background())
		conn.Release()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (waited until %v)", ErrLocked, ctx.Err())
		}
		return nil, s.check(err)
	}
	return l, nil
}

// Check says whether the lock is still held: the connection holding it
// answers. An apply checks it before touching each peer.
func (l *Lock) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var held bool
	err := l.conn.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
		AND ((classid::bigint << 32) | objid::bigint) = $1`, l.key).Scan(&held)
	if err != nil {
		return l.s.check(err)
	}
	if !held {
		return errors.New("the change lock was lost")
	}
	return nil
}

// Unlock releases the lock and its connection; safe to call twice.
func (l *Lock) Unlock() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key); err != nil {
		// The session is gone or broken; closing it releases any lock.
		l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
	l.conn = nil
}
