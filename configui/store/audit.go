package store

import (
	"context"
	"time"
)

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	ID         int64
	At         time.Time
	Username   string
	Action     string // login, logout, user-add, user-del, …
	Success    bool
	RemoteAddr string
	Detail     string
}

// Audit records one entry.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (username, action, success, remote_addr, detail) VALUES ($1, $2, $3, $4, $5)`,
		e.Username, e.Action, e.Success, e.RemoteAddr, e.Detail)
	return s.check(err)
}

// AuditLog returns the newest entries first, at most limit, older than
// before when before > 0 (for paging).
func (s *Store) AuditLog(ctx context.Context, limit int, before int64) ([]AuditEntry, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, username, action, success, remote_addr, detail FROM audit
		WHERE ($2::bigint = 0 OR id < $2) ORDER BY id DESC LIMIT $1`, limit, before)
	if err != nil {
		return nil, s.check(err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Username, &e.Action, &e.Success, &e.RemoteAddr, &e.Detail); err != nil {
			return nil, s.check(err)
		}
		out = append(out, e)
	}
	return out, s.check(rows.Err())
}
