package configbackend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Subnet4 is a DHCPv4 subnet stored in the backend, with the server tags it
// is for. Inherited values are nil.
type Subnet4 struct {
	ID            uint32
	Prefix        netip.Prefix
	SharedNetwork string
	Tags          []string
	ValidLifetime *int64
	RenewTimer    *int64
	RebindTimer   *int64
	Interface     string
	ClientClass   string // read only here: the editor shows it and keeps it
	UserContext   json.RawMessage
	Pools         []Pool4
	Options       []Option
	// ModificationTS is the row's modification_ts: the version a form
	// carries back (Token) so that an edit of a changed subnet is refused.
	ModificationTS time.Time
}

// Token is ModificationTS as a form field.
func (s Subnet4) Token() string { return s.ModificationTS.UTC().Format(time.RFC3339Nano) }

// ParseToken reads a Token back.
func ParseToken(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("version token %q: %w", s, err)
	}
	return t, nil
}

// ForServer says whether a server with this server tag gets the subnet.
func (s Subnet4) ForServer(tag string) bool { return forServer(s.Tags, tag) }

func forServer(tags []string, tag string) bool {
	return tag == "" || slices.Contains(tags, tag) || slices.Contains(tags, "all")
}

// Pool4 is an address range of a backend subnet.
type Pool4 struct {
	ID          int64
	Start, End  netip.Addr
	ClientClass string
	UserContext json.RawMessage
	Options     []Option
}

// Range is the pool as Kea writes it.
func (p Pool4) Range() string { return p.Start.String() + "-" + p.End.String() }

// Option is one option-data row.
type Option struct {
	ID         int64
	Code       int
	Space      string
	Data       string // formatted_value, or the binary value in hex
	Persistent bool
	Scope      string   // global, subnet, shared-network, pool
	Tags       []string // global options only: the servers it is for
}

// SharedNetwork4 is a DHCPv4 shared network stored in the backend.
type SharedNetwork4 struct {
	ID             int64
	Name           string
	Tags           []string
	ValidLifetime  *int64
	RenewTimer     *int64
	RebindTimer    *int64
	Interface      string
	Options        []Option
	ModificationTS time.Time
}

// ServerRow is a row of dhcp4_server (tag "all" is built in).
type ServerRow struct {
	Tag, Description string
}

// Config4 is what the backend holds for DHCPv4 servers.
type Config4 struct {
	Schema         Schema
	Servers        []ServerRow
	Subnets        []Subnet4
	SharedNetworks []SharedNetwork4
	GlobalOptions  []Option
}

var scopeNames = map[int16]string{0: "global", 1: "subnet", 4: "shared-network", 5: "pool"}

// Read4 reads the DHCPv4 configuration that a server with server tag tag
// pulls (objects tagged with it or "all"); tag "" reads everything.
func (b *Backend) Read4(ctx context.Context, tag string) (*Config4, error) {
	cfg := &Config4{Schema: b.schema}
	err := b.read(ctx, func(tx pgx.Tx) error {
		var err error
		*cfg = Config4{Schema: b.schema}
		if cfg.Servers, err = servers(ctx, tx, "dhcp4"); err != nil {
			return err
		}
		subnets, err := readSubnets4(ctx, tx, b.schema, "")
		if err != nil {
			return err
		}
		if err := readPools4(ctx, tx, subnets, b.schema); err != nil {
			return err
		}
		nets, err := readSharedNetworks4(ctx, tx)
		if err != nil {
			return err
		}
		opts, err := readOptions(ctx, tx, "dhcp4")
		if err != nil {
			return err
		}
		byNet := map[string]*SharedNetwork4{}
		for i := range nets {
			byNet[nets[i].Name] = &nets[i]
		}
		bySubnet := map[uint32]*Subnet4{}
		byPool := map[int64]*Pool4{}
		for i := range subnets {
			bySubnet[subnets[i].ID] = &subnets[i]
			for j := range subnets[i].Pools {
				byPool[subnets[i].Pools[j].ID] = &subnets[i].Pools[j]
			}
		}
		for _, o := range opts {
			switch o.Scope {
			case "global":
				if forServer(o.opt.Tags, tag) {
					cfg.GlobalOptions = append(cfg.GlobalOptions, o.opt)
				}
			case "subnet":
				if s := bySubnet[uint32(o.subnet)]; s != nil {
					s.Options = append(s.Options, o.opt)
				}
			case "pool":
				if p := byPool[o.pool]; p != nil {
					p.Options = append(p.Options, o.opt)
				}
			case "shared-network":
				if n := byNet[o.network]; n != nil {
					n.Options = append(n.Options, o.opt)
				}
			}
		}
		for _, s := range subnets {
			if s.ForServer(tag) {
				cfg.Subnets = append(cfg.Subnets, s)
			}
		}
		for _, n := range nets {
			if forServer(n.Tags, tag) {
				cfg.SharedNetworks = append(cfg.SharedNetworks, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading DHCPv4 configuration from %s: %w", b.db, err)
	}
	return cfg, nil
}

// Subnet4 reads one subnet by id (any server tag).
func (b *Backend) Subnet4(ctx context.Context, id uint32) (Subnet4, error) {
	cfg, err := b.Read4(ctx, "")
	if err != nil {
		return Subnet4{}, err
	}
	for _, s := range cfg.Subnets {
		if s.ID == id {
			return s, nil
		}
	}
	return Subnet4{}, fmt.Errorf("subnet %d: %w in %s", id, ErrNotFound, b.db)
}

func servers(ctx context.Context, tx pgx.Tx, family string) ([]ServerRow, error) {
	rows, err := tx.Query(ctx, `SELECT tag, coalesce(description, '') FROM `+family+`_server ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ServerRow, error) {
		var s ServerRow
		return s, r.Scan(&s.Tag, &s.Description)
	})
}

// classColumn is the subnet's client class column: one class up to schema
// 13 (Kea 2.2), a JSON list from Kea 2.7 on.
func classColumn(s Schema) string {
	if s.Major >= 29 {
		return "coalesce(%s.client_classes::text, '')"
	}
	return "coalesce(%s.client_class, '')"
}

func readSubnets4(ctx context.Context, tx pgx.Tx, schema Schema, where string, args ...any) ([]Subnet4, error) {
	rows, err := tx.Query(ctx, `
SELECT s.subnet_id, s.subnet_prefix, coalesce(s.shared_network_name, ''), s.valid_lifetime, s.renew_timer,
       s.rebind_timer, coalesce(s.interface, ''), `+fmt.Sprintf(classColumn(schema), "s")+`, s.user_context::text, s.modification_ts,
       coalesce(array_agg(srv.tag ORDER BY srv.tag) FILTER (WHERE srv.tag IS NOT NULL), '{}')
FROM dhcp4_subnet s
LEFT JOIN dhcp4_subnet_server a ON a.subnet_id = s.subnet_id
LEFT JOIN dhcp4_server srv ON srv.id = a.server_id
`+where+`
GROUP BY s.subnet_id
ORDER BY s.subnet_id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subnet4, error) {
		var s Subnet4
		var id int64
		var prefix string
		var uc *string
		if err := r.Scan(&id, &prefix, &s.SharedNetwork, &s.ValidLifetime, &s.RenewTimer, &s.RebindTimer,
			&s.Interface, &s.ClientClass, &uc, &s.ModificationTS, &s.Tags); err != nil {
			return s, err
		}
		s.ID = uint32(id)
		p, err := netip.ParsePrefix(prefix)
		if err != nil {
			return s, fmt.Errorf("dhcp4_subnet %d: subnet_prefix %q: %w", id, prefix, err)
		}
		s.Prefix = p
		if uc != nil {
			s.UserContext = json.RawMessage(*uc)
		}
		return s, nil
	})
}

func readPools4(ctx context.Context, tx pgx.Tx, subnets []Subnet4, schema Schema) error {
	idx := map[uint32]int{}
	for i := range subnets {
		idx[subnets[i].ID] = i
	}
	rows, err := tx.Query(ctx, `
SELECT p.id, p.subnet_id, host(p.start_address), host(p.end_address), `+fmt.Sprintf(classColumn(schema), "p")+`, p.user_context::text
FROM dhcp4_pool p ORDER BY p.subnet_id, p.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p Pool4
		var sid int64
		var start, end string
		var uc *string
		if err := rows.Scan(&p.ID, &sid, &start, &end, &p.ClientClass, &uc); err != nil {
			return err
		}
		if p.Start, err = netip.ParseAddr(start); err != nil {
			return fmt.Errorf("dhcp4_pool %d: %w", p.ID, err)
		}
		if p.End, err = netip.ParseAddr(end); err != nil {
			return fmt.Errorf("dhcp4_pool %d: %w", p.ID, err)
		}
		if uc != nil {
			p.UserContext = json.RawMessage(*uc)
		}
		if i, ok := idx[uint32(sid)]; ok {
			subnets[i].Pools = append(subnets[i].Pools, p)
		}
	}
	return rows.Err()
}

func readSharedNetworks4(ctx context.Context, tx pgx.Tx) ([]SharedNetwork4, error) {
	rows, err := tx.Query(ctx, `
SELECT n.id, n.name, n.valid_lifetime, n.renew_timer, n.rebind_timer, coalesce(n.interface, ''), n.modification_ts,
       coalesce(array_agg(srv.tag ORDER BY srv.tag) FILTER (WHERE srv.tag IS NOT NULL), '{}')
FROM dhcp4_shared_network n
LEFT JOIN dhcp4_shared_network_server a ON a.shared_network_id = n.id
LEFT JOIN dhcp4_server srv ON srv.id = a.server_id
GROUP BY n.id
ORDER BY n.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SharedNetwork4, error) {
		var n SharedNetwork4
		return n, r.Scan(&n.ID, &n.Name, &n.ValidLifetime, &n.RenewTimer, &n.RebindTimer, &n.Interface, &n.ModificationTS, &n.Tags)
	})
}

type optionRow struct {
	opt     Option
	Scope   string
	subnet  int64
	pool    int64
	network string
}

func readOptions(ctx context.Context, tx pgx.Tx, family string) ([]optionRow, error) {
	rows, err := tx.Query(ctx, `
SELECT o.option_id, o.code, coalesce(nullif(o.formatted_value, ''), encode(o.value, 'hex'), ''), coalesce(o.space, ''),
       o.persistent, o.scope_id, coalesce(o.`+family+`_subnet_id, 0), coalesce(o.pool_id, 0),
       coalesce(o.shared_network_name, ''),
       coalesce(array_agg(srv.tag ORDER BY srv.tag) FILTER (WHERE srv.tag IS NOT NULL), '{}')
FROM `+family+`_options o
LEFT JOIN `+family+`_options_server a ON a.option_id = o.option_id
LEFT JOIN `+family+`_server srv ON srv.id = a.server_id
WHERE o.scope_id IN (0, 1, 4, 5)
GROUP BY o.option_id
ORDER BY o.option_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (optionRow, error) {
		var o optionRow
		var scope int16
		var code int16
		err := r.Scan(&o.opt.ID, &code, &o.opt.Data, &o.opt.Space, &o.opt.Persistent, &scope, &o.subnet, &o.pool, &o.network, &o.opt.Tags)
		o.opt.Code = int(code)
		o.opt.Scope = scopeNames[scope]
		o.Scope = o.opt.Scope
		return o, err
	})
}

// FileOnly drops from a server's subnets (all it reports in config-get) those
// it got from the backend (same id and prefix in cfg). Kea's config-get does
// not say where a subnet came from, so the editor tells the origins apart
// this way: what remains came from the configuration file.
func FileOnly(all []SubnetRef, cfg *Config4) []SubnetRef {
	var out []SubnetRef
	for _, s := range all {
		if !slices.ContainsFunc(cfg.Subnets, func(b Subnet4) bool { return b.ID == s.ID && b.Prefix == s.Prefix }) {
			out = append(out, s)
		}
	}
	return out
}
