package keaview

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// LeaseKind is what a lease search looks for.
type LeaseKind string

const (
	ByIP       LeaseKind = "ip"
	ByMAC      LeaseKind = "mac"
	ByClientID LeaseKind = "client-id" // DHCPv4
	ByDUID     LeaseKind = "duid"      // DHCPv6
	// ByHexID is a hex identifier that is not a MAC: searched as a DHCPv4
	// client-id and as a DHCPv6 DUID.
	ByHexID    LeaseKind = "hex-id"
	ByHostname LeaseKind = "hostname"
)

// LeaseQuery is a validated lease search.
type LeaseQuery struct {
	Kind LeaseKind
	// Value is normalised: an address in canonical form, hex octets as
	// lower-case "aa:bb:…", a hostname in lower case without a final dot.
	Value string
	// PD is set for an IPv6 prefix ("2001:db8:8000::/56"): the delegated
	// prefix's lease is looked up.
	PD bool
}

// ParseLeaseQuery checks a search. kind is "" to guess from the text (an
// address, six hex octets for a MAC, more or fewer for a client-id or
// DUID, else a hostname), or one of the LeaseKind values to insist.
func ParseLeaseQuery(kind, text string) (LeaseQuery, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return LeaseQuery{}, errors.New("lease search: the query is empty: give an IP address, a MAC address, a client-id or DUID in hex, or a hostname")
	}
	if len(s) > 600 {
		return LeaseQuery{}, fmt.Errorf("lease search: the query is %d characters long, more than any address, identifier or hostname", len(s))
	}
	switch LeaseKind(kind) {
	case ByIP:
		return parseIP(s)
	case ByMAC:
		b, err := parseHex(s)
		if err != nil || len(b) != 6 {
			return LeaseQuery{}, fmt.Errorf("lease search: %q is not a MAC address: want 6 hex octets such as 02:00:00:00:aa:01", s)
		}
		return LeaseQuery{Kind: ByMAC, Value: hexColons(b)}, nil
	case ByClientID:
		b, err := parseHex(s)
		if err != nil || len(b) < 2 || len(b) > 255 {
			return LeaseQuery{}, fmt.Errorf("lease search: %q is not a client-id: want 2 to 255 hex octets such as 01:02:00:00:00:aa:01", s)
		}
		return LeaseQuery{Kind: ByClientID, Value: hexColons(b)}, nil
	case ByDUID:
		b, err := parseHex(s)
		if err != nil || len(b) < 3 || len(b) > 130 {
			return LeaseQuery{}, fmt.Errorf("lease search: %q is not a DUID: want 3 to 130 hex octets such as 00:03:00:01:02:00:00:00:aa:01", s)
		}
		return LeaseQuery{Kind: ByDUID, Value: hexColons(b)}, nil
	case ByHostname:
		return parseHostname(s)
	case "":
	default:
		return LeaseQuery{}, fmt.Errorf("lease search: unknown kind %q: want ip, mac, client-id, duid or hostname", kind)
	}
	if q, err := parseIP(s); err == nil {
		return q, nil
	}
	if strings.ContainsAny(s, ":-") || (strings.Count(s, ".") == 2 && len(s) == 14) {
		b, err := parseHex(s)
		if err == nil && len(b) == 6 {
			return LeaseQuery{Kind: ByMAC, Value: hexColons(b)}, nil
		}
		if err == nil && len(b) >= 2 && len(b) <= 255 {
			return LeaseQuery{Kind: ByHexID, Value: hexColons(b)}, nil
		}
		if !strings.Contains(s, ".") && strings.Contains(s, ":") {
			return LeaseQuery{}, fmt.Errorf("lease search: %q is neither an IP address nor hex octets (%v)", s, err)
		}
	}
	q, err := parseHostname(s)
	if err != nil {
		return LeaseQuery{}, fmt.Errorf("lease search: %q is not an IP address, a MAC address, a hex client-id or DUID, or a hostname: %w", s, errors.Unwrap(err))
	}
	return q, nil
}

func parseIP(s string) (LeaseQuery, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return LeaseQuery{}, fmt.Errorf("lease search: %q: a lease address has no zone", s)
		}
		return LeaseQuery{Kind: ByIP, Value: a.Unmap().String()}, nil
	}
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is6() {
		if p.Masked() != p {
			return LeaseQuery{}, fmt.Errorf("lease search: %q: a delegated prefix has no bits set past its length", s)
		}
		return LeaseQuery{Kind: ByIP, Value: p.String(), PD: true}, nil
	}
	return LeaseQuery{}, fmt.Errorf("lease search: %q is not an IPv4 or IPv6 address (or IPv6 prefix)", s)
}

// parseHex reads hex octets separated by ':' or '-' ("1:2:a" is fine, as
// Kea writes them), Cisco's dotted "0200.0000.aa01", or plain hex.
func parseHex(s string) ([]byte, error) {
	if strings.Count(s, ".") == 2 && len(s) == 14 {
		return hex.DecodeString(strings.ReplaceAll(s, ".", ""))
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' })
	if len(parts) == 1 {
		if len(s)%2 != 0 {
			return nil, errors.New("an odd number of hex digits")
		}
		return hex.DecodeString(s)
	}
	if strings.Contains(s, "::") || strings.Contains(s, "--") || strings.HasPrefix(s, ":") || strings.HasSuffix(s, ":") {
		return nil, errors.New("an empty octet")
	}
	out := make([]byte, 0, len(parts))
	for _, p := range parts {
		if len(p) > 2 {
			return nil, fmt.Errorf("octet %q has more than two hex digits", p)
		}
		n, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("octet %q is not hex", p)
		}
		out = append(out, byte(n))
	}
	return out, nil
}

func hexColons(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// parseHostname checks a hostname (RFC 1123 labels; "_" is accepted as
// some networks use it).
func parseHostname(s string) (LeaseQuery, error) {
	h := strings.ToLower(strings.TrimSuffix(s, "."))
	bad := func(why string) (LeaseQuery, error) {
		return LeaseQuery{}, fmt.Errorf("lease search: %q is not a hostname: %w", s, errors.New(why))
	}
	if h == "" {
		return bad("it is empty")
	}
	if len(h) > 253 {
		return bad("it is longer than 253 characters")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return bad("it has an empty label (two dots in a row)")
		}
		if len(label) > 63 {
			return bad(fmt.Sprintf("label %q is longer than 63 characters", label))
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return bad(fmt.Sprintf("label %q starts or ends with a hyphen", label))
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return bad(fmt.Sprintf("it contains %q; a hostname has letters, digits, hyphens and dots", r))
			}
		}
	}
	return LeaseQuery{Kind: ByHostname, Value: h}, nil
}

// Lease is one lease found, with the server that answered.
type Lease struct {
	Server   string // the configured server (the HA peer) that answered
	Daemon   string
	HAServer string // that server's this-server-name, when it is in an HA relationship
	Type     string // "V4", "IA_NA" or "IA_PD"
	Address  string
	// PrefixLen is the delegated prefix's length (IA_PD).
	PrefixLen         int
	HWAddress         string
	ClientID          string
	DUID              string
	IAID              *int64
	Hostname          string
	State             int
	StateName         string
	CLTT              time.Time
	ValidLifetime     time.Duration
	PreferredLifetime time.Duration
	Expires           time.Time
	SubnetID          int64
	Subnet            string // the subnet's prefix, from the cached configuration
	SharedNetwork     string
	Labels            Labels
}

// LeaseFailure is a server that could not answer; it sits beside the
// results of the others.
type LeaseFailure struct {
	Server, Daemon, Command string
	Err                     error
}

// LeaseResult is a lease search's answer from every server.
type LeaseResult struct {
	Query    LeaseQuery
	Leases   []Lease
	Failures []LeaseFailure
	// Unsupported lists commands a Kea does not have (such as
	// lease6-get-by-hw-address before Kea 2.7); not a failure.
	Unsupported []string
}

// leaseCall is one command of a search.
type leaseCall struct {
	daemon, command string
	args            map[string]any
}

func (q LeaseQuery) calls() []leaseCall {
	switch q.Kind {
	case ByIP:
		if q.PD {
			p, err := netip.ParsePrefix(q.Value)
			if err != nil {
				return nil // not from ParseLeaseQuery
			}
			return []leaseCall{{"dhcp6", "lease6-get", map[string]any{"ip-address": p.Addr().String(), "type": "IA_PD"}}}
		}
		a, err := netip.ParseAddr(q.Value)
		if err != nil {
			return nil
		}
		if a.Is4() {
			return []leaseCall{{"dhcp4", "lease4-get", map[string]any{"ip-address": q.Value}}}
		}
		return []leaseCall{{"dhcp6", "lease6-get", map[string]any{"ip-address": q.Value, "type": "IA_NA"}},
			{"dhcp6", "lease6-get", map[string]any{"ip-address": q.Value, "type": "IA_PD"}}}
	case ByMAC:
		return []leaseCall{{"dhcp4", "lease4-get-by-hw-address", map[string]any{"hw-address": q.Value}},
			{"dhcp6", "lease6-get-by-hw-address", map[string]any{"hw-address": q.Value}}}
	case ByClientID:
		return []leaseCall{{"dhcp4", "lease4-get-by-client-id", map[string]any{"client-id": q.Value}}}
	case ByDUID:
		return []leaseCall{{"dhcp6", "lease6-get-by-duid", map[string]any{"duid": q.Value}}}
	case ByHexID:
		return []leaseCall{{"dhcp4", "lease4-get-by-client-id", map[string]any{"client-id": q.Value}},
			{"dhcp6", "lease6-get-by-duid", map[string]any{"duid": q.Value}}}
	case ByHostname:
		return []leaseCall{{"dhcp4", "lease4-get-by-hostname", map[string]any{"hostname": q.Value}},
			{"dhcp6", "lease6-get-by-hostname", map[string]any{"hostname": q.Value}}}
	}
	return nil
}

// SearchLeases asks every server at once, each within LeaseTimeout. Kea's
// "not found" (result 3) is no lease, not an error; a server that fails is
// listed in Failures and never hides the others' leases.
func (v *View) SearchLeases(ctx context.Context, q LeaseQuery) LeaseResult {
	res := LeaseResult{Query: q}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range v.order {
		t := v.targets[name]
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, v.opts.LeaseTimeout)
			defer cancel()
			leases, fails, unsup := v.searchTarget(ctx, t, q)
			mu.Lock()
			defer mu.Unlock()
			res.Leases = append(res.Leases, leases...)
			res.Failures = append(res.Failures, fails...)
			res.Unsupported = append(res.Unsupported, unsup...)
		})
	}
	wg.Wait()
	slices.SortFunc(res.Leases, func(a, b Lease) int {
		return cmp.Or(cmp.Compare(a.Daemon, b.Daemon), cmp.Compare(a.Address, b.Address), cmp.Compare(a.Server, b.Server))
	})
	slices.SortFunc(res.Failures, func(a, b LeaseFailure) int {
		return cmp.Or(cmp.Compare(a.Server, b.Server), cmp.Compare(a.Daemon, b.Daemon))
	})
	slices.Sort(res.Unsupported)
	return res
}

func (v *View) searchTarget(ctx context.Context, t *target, q LeaseQuery) (leases []Lease, fails []LeaseFailure, unsup []string) {
	if err := v.detect(ctx, t); err != nil {
		return nil, []LeaseFailure{{Server: t.name, Command: "config-get", Err: err}}, nil
	}
	t.mu.Lock()
	daemons := map[string]*daemonCache{}
	for k, dc := range t.daemons {
		daemons[k] = dc
	}
	t.mu.Unlock()
	for _, c := range q.calls() {
		dc, ok := daemons[c.daemon]
		if !ok {
			continue
		}
		resp, err := t.client.Call(ctx, c.command, t.service(c.daemon), c.args)
		var ke *keactl.Error
		switch {
		case errors.As(err, &ke) && ke.Reason == keactl.ReasonUnsupported:
			unsup = append(unsup, fmt.Sprintf("%s %s: %s", t.name, c.daemon, c.command))
			continue
		case err != nil:
			fails = append(fails, LeaseFailure{Server: t.name, Daemon: c.daemon, Command: c.command, Err: err})
			continue
		case resp.Result == keactl.ResultEmpty:
			continue
		}
		found, err := parseLeases(resp.Arguments)
		if err != nil {
			fails = append(fails, LeaseFailure{Server: t.name, Daemon: c.daemon, Command: c.command,
				Err: &keactl.Error{Target: t.name, Command: c.command, Service: t.service(c.daemon), Reason: keactl.ReasonMalformed, Err: err}})
			continue
		}
		// The configuration names the subnet and the HA peer; a failure to
		// read it leaves them out rather than hiding the lease.
		cfg, _ := v.config(ctx, t, c.daemon, dc)
		for _, l := range found {
			l.Server, l.Daemon = t.name, c.daemon
			l.Labels = Labels{Server: t.name, Daemon: c.daemon, SubnetID: strconv.FormatInt(l.SubnetID, 10)}
			if cfg != nil {
				if s, ok := cfg.subnet(l.SubnetID); ok {
					l.Subnet, l.SharedNetwork, l.Labels.SharedNetwork = s.Prefix, s.SharedNetwork, s.SharedNetwork
				}
				if len(cfg.ha) > 0 {
					l.HAServer = cfg.ha[0].ThisServerName
				}
			}
			leases = append(leases, l)
		}
	}
	return leases, fails, unsup
}

type rawLease struct {
	IPAddress    string `json:"ip-address"`
	PrefixLen    int    `json:"prefix-len"`
	Type         string `json:"type"`
	HWAddress    string `json:"hw-address"`
	ClientID     string `json:"client-id"`
	DUID         string `json:"duid"`
	IAID         *int64 `json:"iaid"`
	Hostname     string `json:"hostname"`
	State        int    `json:"state"`
	CLTT         int64  `json:"cltt"`
	ValidLft     int64  `json:"valid-lft"`
	PreferredLft int64  `json:"preferred-lft"`
	SubnetID     int64  `json:"subnet-id"`
}

// parseLeases reads one lease (lease4-get, lease6-get) or a list
// ({"leases": […]}, the by-* commands).
func parseLeases(args json.RawMessage) ([]Lease, error) {
	var probe struct {
		Leases *[]rawLease `json:"leases"`
		rawLease
	}
	if err := json.Unmarshal(args, &probe); err != nil {
		return nil, fmt.Errorf("lease reply: %w", err)
	}
	raws := []rawLease{probe.rawLease}
	if probe.Leases != nil {
		raws = *probe.Leases
	}
	out := make([]Lease, 0, len(raws))
	for _, r := range raws {
		if _, err := netip.ParseAddr(r.IPAddress); err != nil {
			return nil, fmt.Errorf("lease reply: ip-address %q: %w", r.IPAddress, err)
		}
		l := Lease{Type: r.Type, Address: r.IPAddress, PrefixLen: r.PrefixLen, HWAddress: r.HWAddress,
			ClientID: r.ClientID, DUID: r.DUID, IAID: r.IAID, Hostname: r.Hostname, State: r.State,
			StateName: stateName(r.State), CLTT: time.Unix(r.CLTT, 0).UTC(),
			ValidLifetime: seconds(float64(r.ValidLft)), PreferredLifetime: seconds(float64(r.PreferredLft)),
			SubnetID: r.SubnetID}
		if l.Type == "" {
			l.Type = "V4"
		}
		l.Expires = l.CLTT.Add(l.ValidLifetime)
		out = append(out, l)
	}
	return out, nil
}

// seconds turns Kea's seconds into a duration, clamped to what a duration
// holds: a lifetime or age past 292 years (or below zero) in a reply must
// not wrap into a negative one on the page.
func seconds(v float64) time.Duration {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= float64(math.MaxInt64/int64(time.Second)):
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(v * float64(time.Second))
}

// stateName names Kea's lease states (Kea ARM, lease_cmds: 0 default,
// 1 declined, 2 expired-reclaimed; 3 released and 4 registered in Kea 3.x).
func stateName(s int) string {
	switch s {
	case 0:
		return "default"
	case 1:
		return "declined"
	case 2:
		return "expired-reclaimed"
	case 3:
		return "released"
	case 4:
		return "registered"
	}
	return "state " + strconv.Itoa(s)
}
