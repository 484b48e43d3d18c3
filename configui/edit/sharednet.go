package edit

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// SharedNetworkSettings is the settings form of a shared network: the
// subnet settings form's fields, set on the shared network for every
// subnet in it that has no value of its own.
type SharedNetworkSettings struct {
	Settings
	Name string
}

// followKeys are the members a subnet inherits from its shared network
// that Kea 2.2's config-get writes into every subnet.
var followKeys = []string{"valid-lifetime", "renew-timer", "rebind-timer", "preferred-lifetime",
	"min-valid-lifetime", "max-valid-lifetime", "min-preferred-lifetime", "max-preferred-lifetime"}

// sharedScope is the form's shared network, with its subnets' prefixes.
func (f SharedNetworkSettings) sharedScope(c apply.Config) (scope, map[string]any, []netip.Prefix, error) {
	d, err := c.Daemon(f.Daemon)
	if err != nil {
		return scope{}, nil, nil, err
	}
	if f.Name == "" {
		return scope{}, nil, nil, errorf("shared_network", "no shared network named")
	}
	sn, err := container(d, f.Name)
	if err != nil {
		return scope{}, nil, nil, err
	}
	var prefixes []netip.Prefix
	subs, _ := sn[subnetKey(f.Daemon)].([]any)
	for _, x := range subs {
		m, _ := x.(map[string]any)
		s, _ := m["subnet"].(string)
		if p, err := netip.ParsePrefix(s); err == nil {
			prefixes = append(prefixes, p.Masked())
		}
	}
	return scope{m: sn,
		above: func(k string) (int64, bool) { return number(d[k]) },
		routerProblem: func(a netip.Addr) string {
			var ps []string
			for _, p := range prefixes {
				if p.Contains(a) {
					return ""
				}
				ps = append(ps, p.String())
			}
			return fmt.Sprintf("router %s is outside every subnet of shared network %s (%s)", a, f.Name, strings.Join(ps, ", "))
		}}, d, prefixes, nil
}

// Check validates the form against a configuration.
func (f SharedNetworkSettings) Check(c apply.Config) error {
	sc, d, _, err := f.sharedScope(c)
	if err != nil {
		return err
	}
	return f.check(d, sc)
}

// Edit sets the shared network's members from the form. Kea 2.2's
// config-get writes the inherited lifetimes into every subnet, so a
// subnet cannot show whether its value is its own or inherited: a subnet
// whose value equals the shared network's before the change follows the
// change (its member is removed and it inherits again); a subnet with a
// different value keeps it, and must still have its lifetimes in order.
func (f SharedNetworkSettings) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		sc, d, _, err := f.sharedScope(c)
		if err != nil {
			return err
		}
		if err := f.check(d, sc); err != nil {
			return err
		}
		inEffect := func() map[string]int64 {
			eff := map[string]int64{}
			for _, k := range followKeys {
				if n, ok := number(sc.m[k]); ok {
					eff[k] = n
				} else if n, ok := sc.above(k); ok {
					eff[k] = n
				}
			}
			return eff
		}
		subnetEffect := func(s map[string]any, above map[string]int64) map[string]int64 {
			eff := map[string]int64{}
			for _, k := range followKeys {
				if n, ok := number(s[k]); ok {
					eff[k] = n
				} else if n, ok := above[k]; ok {
					eff[k] = n
				}
			}
			return eff
		}
		subs, _ := sc.m[subnetKey(f.Daemon)].([]any)
		old := inEffect()
		broken := map[int]map[string]bool{} // order problems a subnet had before
		for i, x := range subs {
			s, _ := x.(map[string]any)
			broken[i] = map[string]bool{}
			for _, p := range lifetimeOrder(f.Daemon, subnetEffect(s, old), nil) {
				broken[i][p.msg] = true
			}
		}
		f.set(sc)
		now := inEffect()
		var p Problems
		for i, x := range subs {
			s, _ := x.(map[string]any)
			for _, k := range followKeys {
				o, had := old[k]
				if n, ok := number(s[k]); ok && had && n == o && now[k] != o {
					delete(s, k)
				}
			}
			for _, op := range lifetimeOrder(f.Daemon, subnetEffect(s, now), nil) {
				if !broken[i][op.msg] && p.Field(op.field) == "" {
					id, _ := number(s["id"])
					p.add(op.field, fmt.Sprintf("subnet %d keeps a value of its own: %s", id, op.msg))
				}
			}
		}
		return p.err()
	}
}

// Summary says the change in a line.
func (f SharedNetworkSettings) Summary() string {
	return fmt.Sprintf("settings of shared network %s (%s)", f.Name, f.Daemon)
}

// CurrentSharedNetworkSettings is the form filled from the shared
// network's own members, and its subnets' prefixes.
func CurrentSharedNetworkSettings(c apply.Config, daemon, name string) (SharedNetworkSettings, []netip.Prefix, error) {
	f := SharedNetworkSettings{Settings: Settings{Daemon: daemon}, Name: name}
	sc, _, prefixes, err := f.sharedScope(c)
	if err != nil {
		return f, nil, err
	}
	f.fill(sc.m)
	return f, prefixes, nil
}
