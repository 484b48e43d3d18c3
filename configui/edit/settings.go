package edit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// Settings is the subnet settings form: lifetimes, the common options,
// relay addresses and the client class. An empty field means "not set on
// the subnet" (the shared network's or the global value applies).
type Settings struct {
	Daemon   string
	SubnetID int64
	// Lifetimes, seconds.
	Valid, Renew, Rebind, Preferred string
	// Options: DHCPv4 routers, domain-name-servers, domain-name; DHCPv6
	// dns-servers, domain-search (in Routers' place: DHCPv6 has no routers).
	Routers, DNSServers, DomainName string
	// Relay addresses, separated by commas or spaces.
	Relay       string
	ClientClass string
}

// settingOption is an option the form edits.
type settingOption struct {
	field, name string
	code        int
	kind        string // addresses, domain, domains
}

func settingOptions(daemon string) []settingOption {
	if daemon == "dhcp6" {
		return []settingOption{{"dns_servers", "dns-servers", 23, "addresses"}, {"domain_name", "domain-search", 24, "domains"}}
	}
	return []settingOption{{"routers", "routers", 3, "addresses"}, {"dns_servers", "domain-name-servers", 6, "addresses"}, {"domain_name", "domain-name", 15, "domain"}}
}

func (f Settings) optionValue(field string) string {
	switch field {
	case "routers":
		return f.Routers
	case "dns_servers":
		return f.DNSServers
	}
	return f.DomainName
}

func (f Settings) space() string {
	if f.Daemon == "dhcp6" {
		return "dhcp6"
	}
	return "dhcp4"
}

// lifetimeKeys are the form's lifetime fields and Kea's keys.
func (f Settings) lifetimes() []struct{ field, key, v string } {
	l := []struct{ field, key, v string }{
		{"valid", "valid-lifetime", f.Valid}, {"renew", "renew-timer", f.Renew}, {"rebind", "rebind-timer", f.Rebind}}
	if f.Daemon == "dhcp6" {
		l = append(l, struct{ field, key, v string }{"preferred", "preferred-lifetime", f.Preferred})
	}
	return l
}

var labelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// checkDomain validates a domain name (RFC 1123 labels, 253 characters).
func checkDomain(s string) error {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return fmt.Errorf("%q is not a domain name", s)
	}
	for _, l := range strings.Split(s, ".") {
		if !labelRE.MatchString(l) {
			return fmt.Errorf("%q is not a domain name: label %q", s, l)
		}
	}
	return nil
}

// splitList splits on commas and spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// addresses reads a list of addresses of the family, without duplicates.
func addresses(s string, want int) ([]string, error) {
	var out []string
	seen := map[netip.Addr]bool{}
	for _, x := range splitList(s) {
		a, err := netip.ParseAddr(x)
		if err != nil || fam(a) != want || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IPv%d address", x, want)
		}
		if seen[a] {
			return nil, fmt.Errorf("%s is listed twice", a)
		}
		seen[a] = true
		out = append(out, a.String())
	}
	return out, nil
}

// inherited is the value in effect above the subnet: its shared
// network's, else the global one.
func inherited(d map[string]any, sharedNetwork, key string) (int64, bool) {
	if sharedNetwork != "" {
		sns, _ := d["shared-networks"].([]any)
		for _, sn := range sns {
			m, _ := sn.(map[string]any)
			if m["name"] == sharedNetwork {
				if n, ok := number(m[key]); ok {
					return n, true
				}
			}
		}
	}
	return number(d[key])
}

// scope is what a settings form changes: a subnet or a shared network.
type scope struct {
	m map[string]any // its members
	// above is the value of a key in effect above it (for a subnet its
	// shared network's, else the global; for a shared network the global).
	above func(key string) (int64, bool)
	// routerProblem says why a router address does not belong, "" when it does.
	routerProblem func(a netip.Addr) string
}

// subnetScope is the scope of the form's subnet.
func (f Settings) subnetScope(c apply.Config) (scope, map[string]any, error) {
	loc, prefix, d, err := locate(c, f.Daemon, f.SubnetID)
	if err != nil {
		return scope{}, nil, err
	}
	return scope{m: loc.Subnet,
		above: func(k string) (int64, bool) { return inherited(d, loc.SharedNetwork, k) },
		routerProblem: func(a netip.Addr) string {
			if prefix.Contains(a) {
				return ""
			}
			return fmt.Sprintf("router %s is outside subnet %s", a, prefix)
		}}, d, nil
}

// Check validates the form against a configuration.
func (f Settings) Check(c apply.Config) error {
	sc, d, err := f.subnetScope(c)
	if err != nil {
		return err
	}
	return f.check(d, sc)
}

// check validates the form for a scope of daemon configuration d.
func (f Settings) check(d map[string]any, sc scope) error {
	var p Problems
	eff := map[string]int64{}
	set := map[string]bool{} // set on the form, not inherited
	for _, lt := range f.lifetimes() {
		v := strings.TrimSpace(lt.v)
		set[lt.key] = v != ""
		if v == "" {
			if n, ok := sc.above(lt.key); ok {
				eff[lt.key] = n
			}
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 4294967295 {
			p.add(lt.field, fmt.Sprintf("%q is not a number of seconds (0 to 4294967295)", v))
			continue
		}
		eff[lt.key] = n
	}
	for _, m := range lifetimeOrder(f.Daemon, eff, set) {
		if p.Field(m.field) == "" {
			p.add(m.field, m.msg)
		}
	}
	fam := family(f.Daemon)
	for _, o := range settingOptions(f.Daemon) {
		v := strings.TrimSpace(f.optionValue(o.field))
		if v == "" {
			continue
		}
		switch o.kind {
		case "addresses":
			as, err := addresses(v, fam)
			if err != nil {
				p.add(o.field, err.Error())
				continue
			}
			if o.name == "routers" {
				for _, a := range as {
					if msg := sc.routerProblem(netip.MustParseAddr(a)); msg != "" {
						p.add(o.field, msg)
						break
					}
				}
			}
		case "domain":
			if err := checkDomain(v); err != nil {
				p.add(o.field, err.Error())
			}
		case "domains":
			for _, x := range splitList(v) {
				if err := checkDomain(x); err != nil {
					p.add(o.field, err.Error())
					break
				}
			}
		}
	}
	if _, err := addresses(f.Relay, fam); err != nil {
		p.add("relay", err.Error())
	}
	if cl := strings.TrimSpace(f.ClientClass); cl != "" && !classDefined(d, cl) {
		p.add("client_class", fmt.Sprintf("client class %q is not defined in client-classes", cl))
	}
	return p.err()
}

// lifetimeFields maps Kea's lifetime keys to the form's fields.
var lifetimeFields = map[string]string{"renew-timer": "renew", "rebind-timer": "rebind", "valid-lifetime": "valid", "preferred-lifetime": "preferred"}

type orderProblem struct{ field, msg string }

// lifetimeOrder checks renew < rebind < valid (and preferred <= valid)
// on the values in effect; a pair where neither value is in set is
// skipped (an order already broken above is not the form's fault; nil
// set checks every pair).
func lifetimeOrder(daemon string, eff map[string]int64, set map[string]bool) []orderProblem {
	var out []orderProblem
	mine := func(a, b string) bool { return set == nil || set[a] || set[b] }
	for _, o := range [][2]string{{"renew-timer", "rebind-timer"}, {"rebind-timer", "valid-lifetime"}, {"renew-timer", "valid-lifetime"}} {
		a, okA := eff[o[0]]
		b, okB := eff[o[1]]
		if okA && okB && a >= b && mine(o[0], o[1]) {
			out = append(out, orderProblem{lifetimeFields[o[0]], fmt.Sprintf("lifetimes out of order: %s (%d) must be less than %s (%d)", o[0], a, o[1], b)})
		}
	}
	if daemon == "dhcp6" {
		a, okA := eff["preferred-lifetime"]
		b, okB := eff["valid-lifetime"]
		if okA && okB && a > b && mine("preferred-lifetime", "valid-lifetime") {
			out = append(out, orderProblem{"preferred", fmt.Sprintf("lifetimes out of order: preferred-lifetime (%d) must not exceed valid-lifetime (%d)", a, b)})
		}
	}
	return out
}

// Edit sets the subnet's members from the form.
func (f Settings) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		sc, d, err := f.subnetScope(c)
		if err != nil {
			return err
		}
		if err := f.check(d, sc); err != nil {
			return err
		}
		f.set(sc)
		return nil
	}
}

// set writes the form into the scope's members (the form is checked).
func (f Settings) set(sc scope) {
	s := sc.m
	for _, lt := range f.lifetimes() {
		v := strings.TrimSpace(lt.v)
		bounds := lt.key == "valid-lifetime" || lt.key == "preferred-lifetime"
		base := strings.TrimSuffix(lt.key, "-lifetime")
		minK, maxK := "min-"+base+"-lifetime", "max-"+base+"-lifetime"
		if v == "" {
			// Bounds the editor set to follow the scope's value go with it.
			if old, ok := number(s[lt.key]); ok && bounds {
				for _, k := range []string{minK, maxK} {
					if n, ok := number(s[k]); ok && n == old {
						delete(s, k)
					}
				}
			}
			delete(s, lt.key)
			continue
		}
		s[lt.key] = jsonInt(v)
		if !bounds {
			continue
		}
		// Kea bounds what clients may ask for with min- and
		// max-valid-lifetime, which default to valid-lifetime but
		// config-get writes out globally: where the bounds in effect
		// would exclude the new value, the scope gets bounds equal to
		// it, as Kea's own default.
		n, _ := strconv.ParseInt(v, 10, 64)
		lo, okLo := number(s[minK])
		if !okLo {
			lo, okLo = sc.above(minK)
		}
		hi, okHi := number(s[maxK])
		if !okHi {
			hi, okHi = sc.above(maxK)
		}
		if okLo && n < lo || okHi && n > hi {
			s[minK], s[maxK] = jsonInt(v), jsonInt(v)
		}
	}
	opts, hadOpts := s["option-data"].([]any)
	for _, o := range settingOptions(f.Daemon) {
		v := strings.TrimSpace(f.optionValue(o.field))
		if o.kind == "addresses" || o.kind == "domains" {
			v = strings.Join(splitList(v), ", ")
		}
		opts = setOption(opts, f.space(), o.name, o.code, v)
	}
	if hadOpts || len(opts) > 0 {
		s["option-data"] = opts
	}
	// Kea writes "relay": {"ip-addresses": []} for a subnet without
	// relays: keep that shape rather than remove the member.
	relay, _ := addresses(f.Relay, family(f.Daemon))
	if r, ok := s["relay"].(map[string]any); ok {
		r["ip-addresses"] = toAny(relay)
		delete(r, "ip-address")
	} else if len(relay) > 0 {
		s["relay"] = map[string]any{"ip-addresses": toAny(relay)}
	}
	if cl := strings.TrimSpace(f.ClientClass); cl == "" {
		delete(s, "client-class")
	} else {
		s["client-class"] = cl
	}
}

// setOption sets (or, with v "", removes) the option of that name or code
// in an option-data list, keeping the entry's other members.
func setOption(opts []any, space, name string, code int, v string) []any {
	out := []any{}
	done := false
	for _, o := range opts {
		m, _ := o.(map[string]any)
		sp, _ := m["space"].(string)
		n, _ := number(m["code"])
		if m != nil && (sp == "" || sp == space) && (m["name"] == name || n == int64(code)) {
			if v == "" {
				continue
			}
			m["data"] = v
			done = true
		}
		out = append(out, o)
	}
	if !done && v != "" {
		out = append(out, map[string]any{"name": name, "data": v})
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// Summary says the change in a line.
func (f Settings) Summary() string {
	return fmt.Sprintf("settings of subnet %d (%s)", f.SubnetID, f.Daemon)
}

// CurrentSettings is the form filled from the subnet's own members.
func CurrentSettings(c apply.Config, daemon string, id int64) (Settings, Located, error) {
	f := Settings{Daemon: daemon, SubnetID: id}
	loc, err := FindSubnet(c, daemon, id)
	if err != nil {
		return f, loc, err
	}
	f.fill(loc.Subnet)
	return f, loc, nil
}

// fill sets the form's fields from the members of a subnet or shared network.
func (f *Settings) fill(s map[string]any) {
	get := func(k string) string {
		if n, ok := number(s[k]); ok {
			return strconv.FormatInt(n, 10)
		}
		return ""
	}
	f.Valid, f.Renew, f.Rebind, f.Preferred = get("valid-lifetime"), get("renew-timer"), get("rebind-timer"), get("preferred-lifetime")
	opts, _ := s["option-data"].([]any)
	for _, o := range settingOptions(f.Daemon) {
		for _, x := range opts {
			m, _ := x.(map[string]any)
			n, _ := number(m["code"])
			if m["name"] == o.name || n == int64(o.code) {
				v, _ := m["data"].(string)
				switch o.field {
				case "routers":
					f.Routers = v
				case "dns_servers":
					f.DNSServers = v
				default:
					f.DomainName = v
				}
			}
		}
	}
	if r, ok := s["relay"].(map[string]any); ok {
		if l, ok := r["ip-addresses"].([]any); ok {
			var as []string
			for _, a := range l {
				as = append(as, fmt.Sprint(a))
			}
			f.Relay = strings.Join(as, ", ")
		}
	}
	f.ClientClass, _ = s["client-class"].(string)
}

// Inherited is the value of a lifetime in effect above a subnet in that
// shared network ("" for none): the shared network's, else the global.
func Inherited(c apply.Config, daemon, sharedNetwork, key string) (int64, bool) {
	d, err := c.Daemon(daemon)
	if err != nil {
		return 0, false
	}
	return inherited(d, sharedNetwork, key)
}
