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

// Subnet is a DHCPv4 or DHCPv6 subnet stored in the backend, with the
// server tags it is for. Inherited values are nil.
type Subnet struct {
	Family        string // dhcp4 or dhcp6
	ID            uint32
	Prefix        netip.Prefix
	SharedNetwork string
	Tags          []string
	ValidLifetime *int64
	RenewTimer    *int64
	RebindTimer   *int64
	// PreferredLifetime is DHCPv6's preferred-lifetime (nil for DHCPv4).
	PreferredLifetime *int64
	Interface         string
	ClientClass       string // read only here: the editor shows it and keeps it
	UserContext       json.RawMessage
	Pools             []Pool
	// PDPools are a DHCPv6 subnet's prefix delegation pools: read and
	// shown; the editor keeps them as they are.
	PDPools []PDPool
	Options []Option
	// ModificationTS is the row's modification_ts: the version a form
	// carries back (Token) so that an edit of a changed subnet is refused.
	ModificationTS time.Time
}

// Subnet4 and Subnet6 name a Subnet of each family.
type (
	Subnet4 = Subnet
	Subnet6 = Subnet
)

// Token is ModificationTS as a form field.
func (s Subnet) Token() string { return s.ModificationTS.UTC().Format(time.RFC3339Nano) }

// ParseToken reads a Token back.
func ParseToken(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("version token %q: %w", s, err)
	}
	return t, nil
}

// ForServer says whether a server with this server tag gets the subnet.
func (s Subnet) ForServer(tag string) bool { return forServer(s.Tags, tag) }

func forServer(tags []string, tag string) bool {
	return tag == "" || slices.Contains(tags, tag) || slices.Contains(tags, "all")
}

// Pool is an address range of a backend subnet.
type Pool struct {
	ID          int64
	Start, End  netip.Addr
	ClientClass string
	UserContext json.RawMessage
	Options     []Option
}

// Pool4 and Pool6 name a Pool of each family.
type (
	Pool4 = Pool
	Pool6 = Pool
)

// PDPool is a DHCPv6 prefix delegation pool (dhcp6_pd_pool).
type PDPool struct {
	ID           int64
	Prefix       netip.Prefix
	DelegatedLen int
	Excluded     string // excluded-prefix/len, "" when none
}

func (p PDPool) String() string {
	s := fmt.Sprintf("%s delegated /%d", p.Prefix, p.DelegatedLen)
	if p.Excluded != "" {
		s += " excluding " + p.Excluded
	}
	return s
}

// Range is the pool as Kea writes it.
func (p Pool) Range() string { return p.Start.String() + "-" + p.End.String() }

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

// SharedNetwork is a shared network stored in the backend.
type SharedNetwork struct {
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

// SharedNetwork4 names a DHCPv4 SharedNetwork.
type SharedNetwork4 = SharedNetwork

// ServerRow is a row of dhcp4_server or dhcp6_server (tag "all" is built in).
type ServerRow struct {
	Tag, Description string
}

// Config is what the backend holds for the servers of one family.
type Config struct {
	Family         string
	Schema         Schema
	Servers        []ServerRow
	Subnets        []Subnet
	SharedNetworks []SharedNetwork
	GlobalOptions  []Option
}

var scopeNames = map[int16]string{0: "global", 1: "subnet", 4: "shared-network", 5: "pool", 6: "pd-pool"}

// families are the daemons the backend keeps configurations for, with the
// word used in messages.
var families = map[string]string{"dhcp4": "DHCPv4", "dhcp6": "DHCPv6"}

func checkFamily(family string) error {
	if families[family] == "" {
		return fmt.Errorf("daemon %q: the configuration backend holds dhcp4 and dhcp6 configurations", family)
	}
	return nil
}

// Read reads the configuration of family (dhcp4 or dhcp6) that a server
// with server tag tag pulls; tag "" reads everything.
func (b *Backend) Read(ctx context.Context, family, tag string) (*Config, error) {
	if err := checkFamily(family); err != nil {
		return nil, err
	}
	cfg := &Config{Family: family, Schema: b.schema}
	err := b.read(ctx, func(tx pgx.Tx) error {
		var err error
		*cfg = Config{Family: family, Schema: b.schema}
		if cfg.Servers, err = servers(ctx, tx, family); err != nil {
			return err
		}
		subnets, err := readSubnets(ctx, tx, b.schema, family, "")
		if err != nil {
			return err
		}
		if err := readPools(ctx, tx, subnets, b.schema, family); err != nil {
			return err
		}
		nets, err := readSharedNetworks(ctx, tx, family)
		if err != nil {
			return err
		}
		opts, err := readOptions(ctx, tx, family)
		if err != nil {
			return err
		}
		byNet := map[string]*SharedNetwork{}
		for i := range nets {
			byNet[nets[i].Name] = &nets[i]
		}
		bySubnet := map[uint32]*Subnet{}
		byPool := map[int64]*Pool{}
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
		return nil, fmt.Errorf("reading %s configuration from %s: %w", families[family], b.db, err)
	}
	return cfg, nil
}

// Subnet4 reads one DHCPv4 subnet by id (any server tag).
func (b *Backend) Subnet4(ctx context.Context, id uint32) (Subnet4, error) {
	return b.Subnet(ctx, "dhcp4", id)
}

// Subnet6 reads one DHCPv6 subnet by id (any server tag).
func (b *Backend) Subnet6(ctx context.Context, id uint32) (Subnet6, error) {
	return b.Subnet(ctx, "dhcp6", id)
}

// Subnet reads one subnet of family by id (any server tag).
func (b *Backend) Subnet(ctx context.Context, family string, id uint32) (Subnet, error) {
	cfg, err := b.Read(ctx, family, "")
	if err != nil {
		return Subnet{}, err
	}
	for _, s := range cfg.Subnets {
		if s.ID == id {
			return s, nil
		}
	}
	return Subnet{}, fmt.Errorf("%s subnet %d: %w in %s", family, id, ErrNotFound, b.db)
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

func readSubnets(ctx context.Context, tx pgx.Tx, schema Schema, family, where string, args ...any) ([]Subnet, error) {
	preferred := "NULL::bigint"
	if family == "dhcp6" {
		preferred = "s.preferred_lifetime"
	}
	rows, err := tx.Query(ctx, `
SELECT s.subnet_id, s.subnet_prefix, coalesce(s.shared_network_name, ''), s.valid_lifetime, s.renew_timer,
       s.rebind_timer, `+preferred+`, coalesce(s.interface, ''), `+fmt.Sprintf(classColumn(schema), "s")+`, s.user_context::text, s.modification_ts,
       coalesce(array_agg(srv.tag ORDER BY srv.tag) FILTER (WHERE srv.tag IS NOT NULL), '{}')
FROM `+family+`_subnet s
LEFT JOIN `+family+`_subnet_server a ON a.subnet_id = s.subnet_id
LEFT JOIN `+family+`_server srv ON srv.id = a.server_id
`+where+`
GROUP BY s.subnet_id
ORDER BY s.subnet_id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subnet, error) {
		s := Subnet{Family: family}
		var id int64
		var prefix string
		var uc *string
		if err := r.Scan(&id, &prefix, &s.SharedNetwork, &s.ValidLifetime, &s.RenewTimer, &s.RebindTimer, &s.PreferredLifetime,
			&s.Interface, &s.ClientClass, &uc, &s.ModificationTS, &s.Tags); err != nil {
			return s, err
		}
		s.ID = uint32(id)
		p, err := netip.ParsePrefix(prefix)
		if err != nil {
			return s, fmt.Errorf("%s_subnet %d: subnet_prefix %q: %w", family, id, prefix, err)
		}
		s.Prefix = p
		if uc != nil {
			s.UserContext = json.RawMessage(*uc)
		}
		return s, nil
	})
}

func readPools(ctx context.Context, tx pgx.Tx, subnets []Subnet, schema Schema, family string) error {
	idx := map[uint32]int{}
	for i := range subnets {
		idx[subnets[i].ID] = i
	}
	rows, err := tx.Query(ctx, `
SELECT p.id, p.subnet_id, host(p.start_address), host(p.end_address), `+fmt.Sprintf(classColumn(schema), "p")+`, p.user_context::text
FROM `+family+`_pool p ORDER BY p.subnet_id, p.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p Pool
		var sid int64
		var start, end string
		var uc *string
		if err := rows.Scan(&p.ID, &sid, &start, &end, &p.ClientClass, &uc); err != nil {
			return err
		}
		if p.Start, err = netip.ParseAddr(start); err != nil {
			return fmt.Errorf("%s_pool %d: %w", family, p.ID, err)
		}
		if p.End, err = netip.ParseAddr(end); err != nil {
			return fmt.Errorf("%s_pool %d: %w", family, p.ID, err)
		}
		if uc != nil {
			p.UserContext = json.RawMessage(*uc)
		}
		if i, ok := idx[uint32(sid)]; ok {
			subnets[i].Pools = append(subnets[i].Pools, p)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if family == "dhcp6" {
		return readPDPools(ctx, tx, subnets, idx)
	}
	return nil
}

func readPDPools(ctx context.Context, tx pgx.Tx, subnets []Subnet, idx map[uint32]int) error {
	rows, err := tx.Query(ctx, `
SELECT id, subnet_id, prefix, prefix_length, delegated_prefix_length, coalesce(excluded_prefix, ''), excluded_prefix_length
FROM dhcp6_pd_pool ORDER BY subnet_id, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p PDPool
		var sid int64
		var prefix, excl string
		var plen, dlen, xlen int16
		if err := rows.Scan(&p.ID, &sid, &prefix, &plen, &dlen, &excl, &xlen); err != nil {
			return err
		}
		a, err := netip.ParseAddr(prefix)
		if err != nil {
			return fmt.Errorf("dhcp6_pd_pool %d: %w", p.ID, err)
		}
		p.Prefix, p.DelegatedLen = netip.PrefixFrom(a, int(plen)), int(dlen)
		if excl != "" && xlen > 0 {
			p.Excluded = fmt.Sprintf("%s/%d", excl, xlen)
		}
		if i, ok := idx[uint32(sid)]; ok {
			subnets[i].PDPools = append(subnets[i].PDPools, p)
		}
	}
	return rows.Err()
}

func readSharedNetworks(ctx context.Context, tx pgx.Tx, family string) ([]SharedNetwork, error) {
	rows, err := tx.Query(ctx, `
SELECT n.id, n.name, n.valid_lifetime, n.renew_timer, n.rebind_timer, coalesce(n.interface, ''), n.modification_ts,
       coalesce(array_agg(srv.tag ORDER BY srv.tag) FILTER (WHERE srv.tag IS NOT NULL), '{}')
FROM `+family+`_shared_network n
LEFT JOIN `+family+`_shared_network_server a ON a.shared_network_id = n.id
LEFT JOIN `+family+`_server srv ON srv.id = a.server_id
GROUP BY n.id
ORDER BY n.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SharedNetwork, error) {
		var n SharedNetwork
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
WHERE o.scope_id IN (0, 1, 4, 5, 6)
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
func FileOnly(all []SubnetRef, cfg *Config) []SubnetRef {
	var out []SubnetRef
	for _, s := range all {
		if !slices.ContainsFunc(cfg.Subnets, func(b Subnet) bool { return b.ID == s.ID && b.Prefix == s.Prefix }) {
			out = append(out, s)
		}
	}
	return out
}
