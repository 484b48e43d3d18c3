// Package edit turns the editor's forms into changes of a Kea
// configuration (apply.EditFunc), and validates them first against the
// configuration they will change and the lease data, with messages that
// name the field at fault. Nothing here talks to Kea: apply sends the
// result.
package edit

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// Located is a subnet found in a daemon's configuration.
type Located struct {
	Subnet        map[string]any
	SharedNetwork string // "" when the subnet is at the top level
	// Index is its position in its list.
	Index int
}

// subnetKey is "subnet4" or "subnet6".
func subnetKey(daemon string) string {
	if daemon == "dhcp6" {
		return "subnet6"
	}
	return "subnet4"
}

// number reads a JSON number member as int64.
func number(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case float64:
		return int64(x), float64(int64(x)) == x
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// Subnets calls fn for every subnet of the daemon, top-level and in
// shared networks, in configuration order, until fn returns false.
func Subnets(d map[string]any, daemon string, fn func(Located) bool) {
	key := subnetKey(daemon)
	top, _ := d[key].([]any)
	for i, s := range top {
		if m, ok := s.(map[string]any); ok {
			if !fn(Located{Subnet: m, Index: i}) {
				return
			}
		}
	}
	sns, _ := d["shared-networks"].([]any)
	for _, sn := range sns {
		snm, ok := sn.(map[string]any)
		if !ok {
			continue
		}
		name, _ := snm["name"].(string)
		subs, _ := snm[key].([]any)
		for i, s := range subs {
			if m, ok := s.(map[string]any); ok {
				if !fn(Located{Subnet: m, SharedNetwork: name, Index: i}) {
					return
				}
			}
		}
	}
}

// FindSubnet finds a subnet by id.
func FindSubnet(c apply.Config, daemon string, id int64) (Located, error) {
	d, err := c.Daemon(daemon)
	if err != nil {
		return Located{}, err
	}
	var found *Located
	Subnets(d, daemon, func(l Located) bool {
		if n, ok := number(l.Subnet["id"]); ok && n == id {
			found = &l
			return false
		}
		return true
	})
	if found == nil {
		return Located{}, &apply.EditError{Field: "subnet", Msg: "subnet " + strconv.FormatInt(id, 10) + " is not in the configuration any more"}
	}
	return *found, nil
}

// poolList returns a subnet's "pools" or "pd-pools" list.
func poolList(s map[string]any, pd bool) []any {
	key := "pools"
	if pd {
		key = "pd-pools"
	}
	l, _ := s[key].([]any)
	return l
}

func errorf(field, format string, args ...any) error {
	return &apply.EditError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// jsonInt is a decimal integer as the decoded JSON number it replaces.
func jsonInt(s string) json.Number { return json.Number(s) }
