package store

import (
	"context"
	"time"
)

// CreateSession records a session; id is the session's opaque identifier
// (the cookie carries it, signed).
func (s *Store) CreateSession(ctx context.Context, id string, userID int64, expires time.Time, addr string) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (id, user_id, expires_at, remote_addr) VALUES ($1, $2, $3, $4)`, id, userID, expires, addr)
	return s.check(err)
}

// SessionUser returns the user of a live session: ErrNotFound when the
// session was ended, expired or its user removed.
func (s *Store) SessionUser(ctx context.Context, id string) (User, error) {
	if err := s.ready(); err != nil {
		return User{}, err
	}
	var u User
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.username, u.role, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.expires_at > now()`, id).Scan(&u.ID, &u.Username, &u.Role, &u.CreatedAt)
	return u, s.check(err)
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return s.check(err)
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
	return tag.RowsAffected(), s.check(err)
}
