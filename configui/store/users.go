package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// User is one account.
type User struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         string
	CreatedAt    time.Time
}

// ErrExists is returned when a username is taken.
var ErrExists = errors.New("already exists")

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, username, hash, role string) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)`, username, hash, role)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return ErrExists
	}
	return s.check(err)
}

// SetPassword replaces a user's password hash and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, username, hash string) error {
	if err := s.ready(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE users SET password_hash = $2 WHERE username = $1 RETURNING id`, username, hash).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		return err
	})
	return s.check(err)
}

// DeleteUser removes a user and, by cascade, the user's sessions.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	if err := s.ready(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE username = $1`, username)
	if err != nil {
		return s.check(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// UserByName returns one user.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	if err := s.ready(); err != nil {
		return User{}, err
	}
	var u User
	err := s.pool.QueryRow(ctx, `SELECT id, username, password_hash, role, created_at FROM users WHERE username = $1`, username).
		Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.CreatedAt)
	return u, s.check(err)
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, username, '', role, created_at FROM users ORDER BY username`)
	if err != nil {
		return nil, s.check(err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.CreatedAt); err != nil {
			return nil, s.check(err)
		}
		out = append(out, u)
	}
	return out, s.check(rows.Err())
}
