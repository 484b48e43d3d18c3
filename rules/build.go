package rules

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Build returns the rule groups for c, with its per-alert overrides applied.
// It fails on an override naming no alert, and on two alerts of one name.
func Build(c *Config) ([]Group, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	groups := []Group{selfGroup(c), keaGroup(c), haGroup(c), reviewGroup(c), bindGroup(c)}

	seen := map[string]bool{}
	for _, g := range groups {
		for _, a := range g.Alerts {
			if seen[a.Name] {
				return nil, fmt.Errorf("rules: two alerts are named %s", a.Name)
			}
			seen[a.Name] = true
		}
	}
	var errs []error
	for _, name := range sortedKeys(c.Alerts) {
		if !seen[name] {
			errs = append(errs, fmt.Errorf("alerts: there is no alert named %q (known: %s)", name, strings.Join(sortedKeys(seen), ", ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	disabled := map[string]bool{}
	for name, o := range c.Alerts {
		disabled[name] = o.Disabled
	}
	var out []Group
	for _, g := range groups {
		kept := g
		kept.Alerts = nil
		for _, a := range g.Alerts {
			if disabled[a.Name] {
				continue
			}
			o := c.Alerts[a.Name]
			if o.For != nil {
				a.For = *o.For
			}
			if o.Severity != "" {
				a.Severity = o.Severity
			}
			a.Supersedes = slices.DeleteFunc(slices.Clone(a.Supersedes), func(n string) bool { return disabled[n] })
			kept.Alerts = append(kept.Alerts, a)
		}
		if len(kept.Alerts) > 0 || len(kept.Recordings) > 0 {
			out = append(out, kept)
		}
	}
	return out, nil
}

// Alerts returns every alert of the groups, in order.
func Alerts(groups []Group) []Alert {
	var as []Alert
	for _, g := range groups {
		as = append(as, g.Alerts...)
	}
	return as
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, string(k))
	}
	sort.Strings(ks)
	return ks
}
