package dashboards

import (
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/catalog"
)

// kea_ha_state and kea_ha_partner_state have one 0/1 series per state. A
// state timeline needs one series per relationship whose value is the
// state, so the state becomes its place in the catalog's list (from 1; 0
// when no known state is 1) and a value mapping turns it back into words.

// stateIndex is that number for metric's one-hot series, whose label
// (state, status) takes the values of states.
func (g *gen) stateIndex(metric, label string, states []string, matchers ...string) string {
	parts := make([]string, len(states))
	for i, s := range states {
		m := append(append([]string(nil), matchers...), label+`="`+s+`"`)
		parts[i] = g.sel(metric, m...) + " * " + strconv.Itoa(i+1)
	}
	return "sum without (" + label + ") (\n  " + strings.Join(parts, "\nor\n  ") + "\n)"
}

// stateMapping names and colours the numbers of stateIndex.
func stateMapping(states []string, color func(string) string) []valueMap {
	vm := []valueMap{{value: "0", text: "unknown", color: grey}}
	for i, s := range states {
		vm = append(vm, valueMap{value: strconv.Itoa(i + 1), text: s, color: color(s)})
	}
	return vm
}

// haStateColor follows the alerts: the normal states green, partner-down
// (which has its own warning) orange, maintenance asked for by an operator
// blue, start-up states yellow, and the states HA gave up in red.

// TODO(rules): the normal states are rules' haNormalStates; export them.
func haStateColor(state string) string {
	switch state {
	case "load-balancing", "hot-standby", "backup", "passive-backup":
		return green
	case "partner-down":
		return orange
	case "in-maintenance", "partner-in-maintenance":
		return "blue"
	case "waiting", "syncing", "ready", "communication-recovery":
		return "yellow"
	default: // terminated, unavailable
		return red
	}
}

// haStates and haPartnerStates are the catalog's lists, named here so that
// the dashboards read as what they show.
func haStates() []string        { return catalog.HAStates }
func haPartnerStates() []string { return catalog.HAPartnerStates }

// socketColor: ready is normal, retrying may recover, failed gave up.
func socketColor(status string) string {
	switch status {
	case "ready":
		return green
	case "retrying":
		return orange
	default:
		return red
	}
}
