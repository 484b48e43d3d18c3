package configbackend

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Meta is who makes a change and what the servers already have.
type Meta struct {
	// Actor is written into the audit revision's log message beside Kea's
	// own wording ("subnet set", "subnet deleted").
	Actor string
	// FileSubnets are the subnets the servers have from their configuration
	// files (from config-get); a backend subnet may not reuse their ids or
	// overlap their prefixes.
	FileSubnets []SubnetRef
}

func (m Meta) message(kea string) string {
	if m.Actor == "" {
		return kea + " (ddiscope-configui)"
	}
	return kea + " (ddiscope-configui: " + m.Actor + ")"
}

// Result is a committed change: the subnet before and after (nil for a
// create's Before and a delete's After) and the audit revision recorded.
type Result struct {
	Before, After *Subnet
	Revision      int64
	// At is the revision's and the subnet's modification_ts: servers pick
	// the change up at their first pull after it.
	At time.Time
}

// CreateSubnet adds a subnet of family (dhcp4 or dhcp6).
func (b *Backend) CreateSubnet(ctx context.Context, family string, e SubnetEdit, m Meta) (Result, error) {
	c, err := e.validate(family)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = b.write(ctx, func(tx pgx.Tx) error {
		res = Result{}
		all, err := readSubnets(ctx, tx, b.schema, family, "")
		if err != nil {
			return err
		}
		if err := c.againstOthers(0, all, m.FileSubnets); err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, c); err != nil {
			return err
		}
		if res.Revision, res.At, err = revision(ctx, tx, family, revisionTag(c.Tags), m.message("subnet set")); err != nil {
			return err
		}
		// Kea's backend writes a lifetime with its min and max equal to it
		// when none are given.
		if family == "dhcp6" {
			_, err = tx.Exec(ctx, `
INSERT INTO dhcp6_subnet (subnet_id, subnet_prefix, shared_network_name, valid_lifetime, min_valid_lifetime,
                          max_valid_lifetime, renew_timer, rebind_timer, preferred_lifetime, min_preferred_lifetime,
                          max_preferred_lifetime, interface, modification_ts)
VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7, $7, $7, $8, $9)`,
				int64(c.ID), c.prefix.String(), nullIfEmpty(c.SharedNetwork), c.ValidLifetime, c.RenewTimer, c.RebindTimer,
				c.PreferredLifetime, nullIfEmpty(c.Interface), res.At)
		} else {
			_, err = tx.Exec(ctx, `
INSERT INTO dhcp4_subnet (subnet_id, subnet_prefix, shared_network_name, valid_lifetime, min_valid_lifetime,
                          max_valid_lifetime, renew_timer, rebind_timer, interface, modification_ts)
VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7, $8)`,
				int64(c.ID), c.prefix.String(), nullIfEmpty(c.SharedNetwork), c.ValidLifetime, c.RenewTimer, c.RebindTimer, nullIfEmpty(c.Interface), res.At)
		}
		if err != nil {
			return fmt.Errorf("inserting subnet %d: %w", c.ID, err)
		}
		if err := attachServers(ctx, tx, family, c.ID, c.Tags, res.At); err != nil {
			return err
		}
		if err := insertPools(ctx, tx, family, c.ID, c.pools, res.At); err != nil {
			return err
		}
		if err := insertPDPools(ctx, tx, c.ID, c.pd, res.At); err != nil {
			return err
		}
		after, err := b.subnetTx(ctx, tx, family, c.ID)
		res.After = &after
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("creating %s subnet %d in %s: %w", family, e.ID, b.db, err)
	}
	b.log.Info("backend subnet created", "family", family, "subnet_id", e.ID, "prefix", e.Prefix, "tags", e.Tags, "revision", res.Revision, "actor", m.Actor)
	return res, nil
}

// UpdateSubnet changes a subnet of family read at version expect.
func (b *Backend) UpdateSubnet(ctx context.Context, family string, e SubnetEdit, expect time.Time, m Meta) (Result, error) {
	c, err := e.validate(family)
	if err != nil {
		return Result{}, err
	}
	res, err := b.update(ctx, family, c.ID, expect, m, func(*Subnet) (*checked, error) { return c, nil })
	if err != nil {
		return Result{}, fmt.Errorf("updating %s subnet %d in %s: %w", family, e.ID, b.db, err)
	}
	return res, nil
}

// AddPool adds one pool to a subnet of family read at version expect.
func (b *Backend) AddPool(ctx context.Context, family string, subnetID uint32, pool string, expect time.Time, m Meta) (Result, error) {
	res, err := b.update(ctx, family, subnetID, expect, m, func(s *Subnet) (*checked, error) {
		e := EditOf(*s)
		e.Pools = append(e.Pools, pool)
		return e.validate(family)
	})
	if err != nil {
		return Result{}, fmt.Errorf("adding pool %s to %s subnet %d in %s: %w", pool, family, subnetID, b.db, err)
	}
	return res, nil
}

// DeletePool removes a pool from a subnet of family read at version expect.
func (b *Backend) DeletePool(ctx context.Context, family string, subnetID uint32, poolID int64, expect time.Time, m Meta) (Result, error) {
	res, err := b.update(ctx, family, subnetID, expect, m, func(s *Subnet) (*checked, error) {
		e := EditOf(*s)
		i := slices.IndexFunc(s.Pools, func(p Pool) bool { return p.ID == poolID })
		if i < 0 {
			return nil, fmt.Errorf("pool %d of subnet %d: %w", poolID, subnetID, ErrNotFound)
		}
		e.Pools = slices.Delete(e.Pools, i, i+1)
		return e.validate(family)
	})
	if err != nil {
		return Result{}, fmt.Errorf("deleting pool %d of %s subnet %d in %s: %w", poolID, family, subnetID, b.db, err)
	}
	return res, nil
}

// update locks the subnet's row, checks its version and applies the edit
// that build makes from the current subnet.
func (b *Backend) update(ctx context.Context, family string, id uint32, expect time.Time, m Meta, build func(*Subnet) (*checked, error)) (Result, error) {
	if err := checkFamily(family); err != nil {
		return Result{}, err
	}
	var res Result
	err := b.write(ctx, func(tx pgx.Tx) error {
		res = Result{}
		before, err := b.lockSubnet(ctx, tx, family, id, expect)
		if err != nil {
			return err
		}
		res.Before = &before
		c, err := build(&before)
		if err != nil {
			return err
		}
		if c.ID != id {
			return invalid("id", "a subnet's id cannot be changed (%d to %d): delete it and create it again", id, c.ID)
		}
		if !slices.Equal(c.Tags, slices.Sorted(slices.Values(before.Tags))) {
			return invalid("tags", "changing the server tags of subnet %d (%s to %s) is not done in place: delete the subnet and create it again",
				id, strings.Join(before.Tags, ","), strings.Join(c.Tags, ","))
		}
		all, err := readSubnets(ctx, tx, b.schema, family, "")
		if err != nil {
			return err
		}
		if err := c.againstOthers(id, all, m.FileSubnets); err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, c); err != nil {
			return err
		}
		if res.Revision, res.At, err = revision(ctx, tx, family, revisionTag(c.Tags), m.message("subnet set")); err != nil {
			return err
		}
		// The row's update is what the servers see (trigger: audit entry
		// "update" for the subnet), also when only pools changed.
		if family == "dhcp6" {
			_, err = tx.Exec(ctx, `
UPDATE dhcp6_subnet SET subnet_prefix = $2, shared_network_name = $3, valid_lifetime = $4, min_valid_lifetime = $4,
       max_valid_lifetime = $4, renew_timer = $5, rebind_timer = $6, preferred_lifetime = $7, min_preferred_lifetime = $7,
       max_preferred_lifetime = $7, interface = $9, modification_ts = $8
WHERE subnet_id = $1`,
				int64(id), c.prefix.String(), nullIfEmpty(c.SharedNetwork), c.ValidLifetime, c.RenewTimer, c.RebindTimer, c.PreferredLifetime, res.At, nullIfEmpty(c.Interface))
		} else {
			_, err = tx.Exec(ctx, `
UPDATE dhcp4_subnet SET subnet_prefix = $2, shared_network_name = $3, valid_lifetime = $4, min_valid_lifetime = $4,
       max_valid_lifetime = $4, renew_timer = $5, rebind_timer = $6, interface = $8, modification_ts = $7
WHERE subnet_id = $1`,
				int64(id), c.prefix.String(), nullIfEmpty(c.SharedNetwork), c.ValidLifetime, c.RenewTimer, c.RebindTimer, res.At, nullIfEmpty(c.Interface))
		}
		if err != nil {
			return fmt.Errorf("updating the subnet row: %w", err)
		}
		var add [][2]netip.Addr
		keep := map[int64]bool{}
		for _, np := range c.pools {
			i := slices.IndexFunc(before.Pools, func(p Pool) bool { return p.Start == np[0] && p.End == np[1] })
			if i >= 0 {
				keep[before.Pools[i].ID] = true
			} else {
				add = append(add, np)
			}
		}
		for _, p := range before.Pools {
			if keep[p.ID] {
				continue
			}
			// The pool's options go with it (trigger dhcp4_pool_BDEL / dhcp6_pool_BDEL).
			if _, err := tx.Exec(ctx, `DELETE FROM `+family+`_pool WHERE id = $1`, p.ID); err != nil {
				return fmt.Errorf("deleting pool %s: %w", p.Range(), err)
			}
		}
		if err := insertPools(ctx, tx, family, id, add, res.At); err != nil {
			return err
		}
		if family == "dhcp6" {
			var addPD []pdPool
			keepPD := map[int64]bool{}
			for _, np := range c.pd {
				i := slices.IndexFunc(before.PDPools, func(p PDPool) bool { return p.Prefix == np.prefix && p.DelegatedLen == np.delegated })
				if i >= 0 {
					keepPD[before.PDPools[i].ID] = true
				} else {
					addPD = append(addPD, np)
				}
			}
			for _, p := range before.PDPools {
				if !keepPD[p.ID] {
					// Its options go with it (trigger dhcp6_pd_pool_BDEL).
					if _, err := tx.Exec(ctx, `DELETE FROM dhcp6_pd_pool WHERE id = $1`, p.ID); err != nil {
						return fmt.Errorf("deleting pd-pool %s: %w", p, err)
					}
				}
			}
			if err := insertPDPools(ctx, tx, id, addPD, res.At); err != nil {
				return err
			}
		}
		after, err := b.subnetTx(ctx, tx, family, id)
		res.After = &after
		return err
	})
	if err != nil {
		return Result{}, err
	}
	b.log.Info("backend subnet updated", "family", family, "subnet_id", id, "revision", res.Revision, "actor", m.Actor)
	return res, nil
}

// DeleteSubnet deletes a subnet of family read at version expect.
func (b *Backend) DeleteSubnet(ctx context.Context, family string, id uint32, expect time.Time, m Meta) (Result, error) {
	if err := checkFamily(family); err != nil {
		return Result{}, err
	}
	var res Result
	err := b.write(ctx, func(tx pgx.Tx) error {
		res = Result{}
		before, err := b.lockSubnet(ctx, tx, family, id, expect)
		if err != nil {
			return err
		}
		res.Before = &before
		if res.Revision, res.At, err = revision(ctx, tx, family, revisionTag(before.Tags), m.message("subnet deleted")); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM `+family+`_subnet WHERE subnet_id = $1`, int64(id))
		if err != nil {
			return fmt.Errorf("deleting the subnet row: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("subnet %d: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("deleting %s subnet %d in %s: %w", family, id, b.db, err)
	}
	b.log.Info("backend subnet deleted", "family", family, "subnet_id", id, "revision", res.Revision, "actor", m.Actor)
	return res, nil
}

// lockSubnet reads the subnet with its row locked and refuses it when its
// modification_ts is not the one the form read.
func (b *Backend) lockSubnet(ctx context.Context, tx pgx.Tx, family string, id uint32, expect time.Time) (Subnet, error) {
	var ts time.Time
	err := tx.QueryRow(ctx, `SELECT modification_ts FROM `+family+`_subnet WHERE subnet_id = $1 FOR UPDATE`, int64(id)).Scan(&ts)
	if errors.Is(err, pgx.ErrNoRows) {
		return Subnet{}, fmt.Errorf("subnet %d: %w (deleted since it was read?)", id, ErrNotFound)
	}
	if err != nil {
		return Subnet{}, err
	}
	if !ts.Equal(expect) {
		return Subnet{}, fmt.Errorf("subnet %d: %w (read at %s, now at %s): reload and edit again",
			id, ErrConflict, expect.UTC().Format(time.RFC3339Nano), ts.UTC().Format(time.RFC3339Nano))
	}
	return b.subnetTx(ctx, tx, family, id)
}

// subnetTx reads one subnet with its pools inside tx.
func (b *Backend) subnetTx(ctx context.Context, tx pgx.Tx, family string, id uint32) (Subnet, error) {
	l, err := readSubnets(ctx, tx, b.schema, family, "WHERE s.subnet_id = $1", int64(id))
	if err != nil {
		return Subnet{}, err
	}
	if len(l) != 1 {
		return Subnet{}, fmt.Errorf("subnet %d: %w", id, ErrNotFound)
	}
	if err := readPools(ctx, tx, l, b.schema, family); err != nil {
		return Subnet{}, err
	}
	return l[0], nil
}

// checkRefs checks the server tags and the shared network named by the
// edit exist, for a clear message instead of a constraint violation.
func checkRefs(ctx context.Context, tx pgx.Tx, c *checked) error {
	rows, err := servers(ctx, tx, c.family)
	if err != nil {
		return err
	}
	var known []string
	for _, r := range rows {
		known = append(known, r.Tag)
	}
	for _, t := range c.Tags {
		if !slices.Contains(known, t) {
			return invalid("tags", "server tag %q is not in %s_server (known: %s); add the server first", t, c.family, strings.Join(known, ", "))
		}
	}
	if c.SharedNetwork != "" {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+c.family+`_shared_network WHERE name = $1`, c.SharedNetwork).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return invalid("shared-network", "%q is not a shared network in the backend", c.SharedNetwork)
		}
	}
	return nil
}

// revisionTag is the server tag of the audit revision: with one tag that
// tag, otherwise "all" (as Kea's backend does for several tags), so that
// every server the change concerns sees its audit entries.
func revisionTag(tags []string) string {
	if len(tags) == 1 {
		return tags[0]
	}
	return "all"
}

// revision creates the audit revision the way Kea's backend does (its
// CREATE_AUDIT_REVISION statement: createAuditRevisionDHCP4(ts, tag,
// message, cascade_transaction=true)); the row triggers then attach their
// audit entries to it. The timestamp is the database's clock, read under
// the advisory lock, so the editor's revisions are in commit order.
func revision(ctx context.Context, tx pgx.Tx, family, tag, msg string) (int64, time.Time, error) {
	var at time.Time
	if err := tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&at); err != nil {
		return 0, at, err
	}
	fn := map[string]string{"dhcp4": "createAuditRevisionDHCP4", "dhcp6": "createAuditRevisionDHCP6"}[family]
	if _, err := tx.Exec(ctx, `SELECT `+fn+`($1, $2, $3, $4)`, at, tag, msg, true); err != nil {
		return 0, at, fmt.Errorf("creating the audit revision: %w", err)
	}
	var id int64
	if err := tx.QueryRow(ctx, `SELECT get_session_big_int('kea.audit_revision_id')`).Scan(&id); err != nil {
		return 0, at, fmt.Errorf("reading the audit revision: %w", err)
	}
	return id, at, nil
}

func attachServers(ctx context.Context, tx pgx.Tx, family string, id uint32, tags []string, at time.Time) error {
	for _, t := range tags {
		_, err := tx.Exec(ctx, `
INSERT INTO `+family+`_subnet_server (subnet_id, modification_ts, server_id)
VALUES ($1, $2, (SELECT id FROM `+family+`_server WHERE tag = $3))`, int64(id), at, t)
		if err != nil {
			return fmt.Errorf("attaching subnet %d to server tag %q: %w", id, t, err)
		}
	}
	return nil
}

func insertPools(ctx context.Context, tx pgx.Tx, family string, id uint32, pools [][2]netip.Addr, at time.Time) error {
	for _, p := range pools {
		_, err := tx.Exec(ctx, `
INSERT INTO `+family+`_pool (start_address, end_address, subnet_id, modification_ts)
VALUES (cast($1 as inet), cast($2 as inet), $3, $4)`, p[0].String(), p[1].String(), int64(id), at)
		if err != nil {
			return fmt.Errorf("inserting pool %s-%s: %w", p[0], p[1], err)
		}
	}
	return nil
}

// insertPDPools writes prefix delegation pools as Kea's backend does: no
// excluded prefix is a NULL prefix and length 0.
func insertPDPools(ctx context.Context, tx pgx.Tx, id uint32, pools []pdPool, at time.Time) error {
	for _, p := range pools {
		_, err := tx.Exec(ctx, `
INSERT INTO dhcp6_pd_pool (prefix, prefix_length, delegated_prefix_length, subnet_id, excluded_prefix_length, modification_ts)
VALUES ($1, $2, $3, $4, 0, $5)`, p.prefix.Addr().String(), p.prefix.Bits(), p.delegated, int64(id), at)
		if err != nil {
			return fmt.Errorf("inserting pd-pool %s delegated /%d: %w", p.prefix, p.delegated, err)
		}
	}
	return nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateServer adds a server tag for family (dhcp4_server or dhcp6_server).
func (b *Backend) CreateServer(ctx context.Context, family, tag, description string, m Meta) error {
	if err := checkFamily(family); err != nil {
		return err
	}
	if err := validTag(tag); err != nil {
		return invalid("tag", "%v", err)
	}
	if tag == "all" {
		return invalid("tag", "\"all\" is built in")
	}
	err := b.write(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+family+`_server WHERE tag = $1`, tag).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return invalid("tag", "server tag %q already exists", tag)
		}
		_, at, err := revision(ctx, tx, family, "all", m.message("server set"))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO `+family+`_server (tag, description, modification_ts) VALUES ($1, $2, $3)`, tag, description, at)
		return err
	})
	if err != nil {
		return fmt.Errorf("adding %s server tag %q in %s: %w", family, tag, b.db, err)
	}
	return nil
}

// Check runs every check of a create (update false) or an update of e
// without writing anything: what a form's preview shows before the user
// confirms. The change itself checks again under its lock.
func (b *Backend) Check(ctx context.Context, family string, e SubnetEdit, update bool, m Meta) error {
	c, err := e.validate(family)
	if err != nil {
		return err
	}
	return b.read(ctx, func(tx pgx.Tx) error {
		all, err := readSubnets(ctx, tx, b.schema, family, "")
		if err != nil {
			return err
		}
		self := uint32(0)
		if update {
			self = c.ID
		}
		if err := c.againstOthers(self, all, m.FileSubnets); err != nil {
			return err
		}
		return checkRefs(ctx, tx, c)
	})
}
