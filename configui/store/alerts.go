package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/configui/inbox"
)

// SaveAlerts stores alerts in one transaction: all or none. A known alert
// (same fingerprint and start) takes the newer status, end and annotations.
func (s *Store) SaveAlerts(ctx context.Context, as []inbox.Alert) error {
	if err := s.ready(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, a := range as {
			var ends *time.Time
			if !a.EndsAt.IsZero() {
				ends = &a.EndsAt
			}
			b.Queue(`INSERT INTO alerts (fingerprint, starts_at, status, alertname, server, labels, annotations, ends_at, generator_url, source)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (fingerprint, starts_at) DO UPDATE SET status = EXCLUDED.status, annotations = EXCLUDED.annotations,
					ends_at = EXCLUDED.ends_at, source = EXCLUDED.source, updated_at = now()
				WHERE alerts.status <> EXCLUDED.status OR alerts.ends_at IS DISTINCT FROM EXCLUDED.ends_at
					OR alerts.annotations <> EXCLUDED.annotations`,
				a.Fingerprint, a.StartsAt, a.Status, a.Name(), a.Labels["server"], a.Labels, a.Annotations, ends, a.GeneratorURL, a.Source)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return s.check(err)
}

// ResolveMissing marks resolved every firing alert whose fingerprint is not
// in firing: Alertmanager no longer has it, so its resolved notification
// was missed. It returns how many it resolved.
func (s *Store) ResolveMissing(ctx context.Context, firing []string) (int64, error) {
	if err := s.ready(); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE alerts SET status = 'resolved', ends_at = now(), source = 'poll', updated_at = now()
		WHERE status = 'firing' AND NOT (fingerprint = ANY($1))`, firing)
	return tag.RowsAffected(), s.check(err)
}

// AlertQuery selects alerts for the inbox.
type AlertQuery struct {
	Status string // "", firing or resolved
	Server string // "": every server
	Limit  int
	Offset int
}

// Alerts returns alerts newest first (by last change) and the total that
// match q without its limit.
func (s *Store) Alerts(ctx context.Context, q AlertQuery) ([]inbox.Alert, int, error) {
	if err := s.ready(); err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	const where = `WHERE ($1 = '' OR status = $1) AND ($2 = '' OR server = $2)`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM alerts `+where, q.Status, q.Server).Scan(&total); err != nil {
		return nil, 0, s.check(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT fingerprint, status, labels, annotations, starts_at, ends_at, generator_url, source, updated_at
		FROM alerts `+where+` ORDER BY updated_at DESC, starts_at DESC LIMIT $3 OFFSET $4`, q.Status, q.Server, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, s.check(err)
	}
	as, err := scanAlerts(rows)
	return as, total, s.check(err)
}

// Firing returns the firing alerts that belong on a page (see
// inbox.Matches), newest first, at most 1,000: the page's server, and for
// each other identity label of the page, alerts that carry the same value
// or none. The label names are fixed; only values are parameters.
func (s *Store) Firing(ctx context.Context, page inbox.PageLabels) ([]inbox.Alert, error) {
	return s.FiringBy(ctx, page, FiringFilter{})
}

// FiringFilter narrows Firing for a list of subnets, whose alerts may be
// many more than one page shows.
type FiringFilter struct {
	// SubnetIDs keeps the alerts of these subnets (and their pools) only.
	SubnetIDs []string
	// WithoutSubnet keeps the alerts that are about no subnet only (the
	// server's or the daemon's own).
	WithoutSubnet bool
}

// FiringBy is Firing narrowed by f.
func (s *Store) FiringBy(ctx context.Context, page inbox.PageLabels, f FiringFilter) ([]inbox.Alert, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	where, args := firingWhere(page)
	if f.SubnetIDs != nil {
		args = append(args, f.SubnetIDs)
		where += fmt.Sprintf(" AND labels->>'subnet_id' = ANY($%d)", len(args))
	}
	if f.WithoutSubnet {
		where += " AND NOT labels ? 'subnet_id'"
	}
	rows, err := s.pool.Query(ctx, `SELECT fingerprint, status, labels, annotations, starts_at, ends_at, generator_url, source, updated_at
		FROM alerts `+where+` ORDER BY updated_at DESC, starts_at DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, s.check(err)
	}
	as, err := scanAlerts(rows)
	if err != nil {
		return nil, s.check(err)
	}
	return inbox.Filter(page, as), nil
}

// FiringSubnets returns the subnet_ids of every firing alert that belongs
// on the page (all of them, unlike Firing: a subnet list filters
// 10,000 subnets by it).
func (s *Store) FiringSubnets(ctx context.Context, page inbox.PageLabels) (map[string]bool, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	where, args := firingWhere(page)
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT labels->>'subnet_id' FROM alerts `+where+` AND labels ? 'subnet_id'`, args...)
	if err != nil {
		return nil, s.check(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.check(err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// firingWhere selects the firing alerts of a page (see Firing).
func firingWhere(page inbox.PageLabels) (string, []any) {
	q := `WHERE status = 'firing' AND server = $1`
	args := []any{page["server"]}
	for _, l := range []string{"daemon", "subnet_id", "pool_id", "shared_network"} {
		if v, ok := page[l]; ok {
			args = append(args, v)
			q += fmt.Sprintf(" AND (labels->>'%s' IS NULL OR labels->>'%s' = $%d)", l, l, len(args))
		}
	}
	if _, ok := page["shared_network"]; ok {
		q += " AND (labels ? 'shared_network' OR NOT labels ? 'subnet_id')"
	}
	return q, args
}

func scanAlerts(rows pgx.Rows) ([]inbox.Alert, error) {
	defer rows.Close()
	var out []inbox.Alert
	for rows.Next() {
		var a inbox.Alert
		var ends *time.Time
		if err := rows.Scan(&a.Fingerprint, &a.Status, &a.Labels, &a.Annotations, &a.StartsAt, &ends, &a.GeneratorURL, &a.Source, &a.UpdatedAt); err != nil {
			return nil, err
		}
		if ends != nil {
			a.EndsAt = *ends
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
