package apply

import (
	"context"
)

// Kea 3.0 ships subnet_cmds: where a peer lists "subnet4-update" (or
// "subnet6-update") and the change touches only the contents of existing
// subnets, each changed subnet is replaced with that command instead of a
// whole config-set. It does not restart the HA service, and Kea does not
// re-parse 10,000 subnets for a pool change. Any other change (a subnet
// added, removed or moved, a global or shared-network parameter) still
// goes by config-set. config-test of the whole configuration, config-write,
// the read-back and the rollback (by config-set) are the same either way.

// subnetUpdateCommand is the subnet_cmds command for the daemon.
func subnetUpdateCommand(daemon string) string {
	if daemon == "dhcp6" {
		return "subnet6-update"
	}
	return "subnet4-update"
}

// hasCommand asks the peer's list-commands whether it has command.
func (r *run) hasCommand(ctx context.Context, p Peer, command string) bool {
	cmds, err := r.commands(ctx, p)
	return err == nil && cmds[command]
}

// commands is the peer's list-commands as a set.
func (r *run) commands(ctx context.Context, p Peer) (map[string]bool, error) {
	return listCommands(ctx, p)
}

// subnetLists returns the daemon's subnet lists by container ("" for the
// top level, else the shared network's name), and the daemon object with
// those lists left out, for comparing the rest.
func subnetLists(c Config, daemon string) (map[string][]any, map[string]any, bool) {
	key := "subnet4"
	if daemon == "dhcp6" {
		key = "subnet6"
	}
	d, err := c.Daemon(daemon)
	if err != nil {
		return nil, nil, false
	}
	lists := map[string][]any{}
	rest := make(map[string]any, len(d))
	for k, v := range d {
		rest[k] = v
	}
	top, _ := d[key].([]any)
	lists[""] = top
	delete(rest, key)
	sns, _ := d["shared-networks"].([]any)
	var snRest []any
	for _, sn := range sns {
		m, ok := sn.(map[string]any)
		if !ok {
			return nil, nil, false
		}
		name, _ := m["name"].(string)
		l, _ := m[key].([]any)
		lists["shared-network "+name] = l
		cp := make(map[string]any, len(m))
		for k, v := range m {
			if k != key {
				cp[k] = v
			}
		}
		snRest = append(snRest, cp)
	}
	rest["shared-networks"] = snRest
	return lists, rest, true
}

// changedSubnets returns the subnets of edited that differ from orig when
// nothing else changed: the same subnets (by id, in the same place and
// order) and the same everything outside them. ok is false otherwise.
func changedSubnets(orig, edited Config, daemon string) (changed []any, ok bool) {
	ol, orest, ok1 := subnetLists(orig, daemon)
	el, erest, ok2 := subnetLists(edited, daemon)
	if !ok1 || !ok2 || len(ol) != len(el) || !equal(orest, erest) {
		return nil, false
	}
	for where, os := range ol {
		es, found := el[where]
		if !found || len(os) != len(es) {
			return nil, false
		}
		for i := range os {
			om, _ := os[i].(map[string]any)
			em, _ := es[i].(map[string]any)
			if om == nil || em == nil || !scalarEqual(om["id"], em["id"]) {
				return nil, false
			}
			if equal(om, em) {
				continue
			}
			// subnet_cmds refuses host reservations in a subnet it updates
			// ("must not specify host reservations"): a subnet that has
			// any goes by config-set.
			if rs, _ := om["reservations"].([]any); len(rs) > 0 {
				return nil, false
			}
			if rs, _ := em["reservations"].([]any); len(rs) > 0 {
				return nil, false
			}
			sub := make(map[string]any, len(em))
			for k, v := range em {
				if k != "reservations" {
					sub[k] = v
				}
			}
			changed = append(changed, sub)
		}
	}
	return changed, true
}
