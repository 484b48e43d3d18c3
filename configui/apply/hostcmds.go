package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Kea 3.0 ships host_cmds: where every peer lists "reservation-add" and
// "reservation-del" and the change alters only the host reservations of
// existing subnets, each added, edited or deleted reservation is sent with
// those commands instead of a whole config-set. The reservations are in the
// configuration (a hosts database is written by configui/hostsdb), so every
// command carries "operation-target": "memory": without it Kea 3.0.4
// answers "Host database not available, cannot add host." config-test of the
// whole configuration before, config-write and the read-back after, and the
// rollback (by config-set of the configuration read) are unchanged.

// hostOp is one host_cmds command.
type hostOp struct {
	command string
	args    map[string]any
}

// identifierKeys are the members naming a reservation's host, as Kea
// writes them in a reservation and in reservation-del's identifier-type.
var identifierKeys = []string{"hw-address", "duid", "client-id", "circuit-id", "flex-id"}

// reservationKey is "type=identifier" of a reservation; ok is false for a
// reservation without exactly one identifier.
func reservationKey(r any) (typ, id string, ok bool) {
	m, _ := r.(map[string]any)
	n := 0
	for _, k := range identifierKeys {
		if v, found := m[k].(string); found && v != "" {
			typ, id = k, v
			n++
		}
	}
	return typ, id, n == 1
}

// withoutReservations is a copy of the daemon's subnet lists with every
// subnet's reservations left out, for checking nothing else changed.
func withoutReservations(lists map[string][]any) map[string][]any {
	out := make(map[string][]any, len(lists))
	for where, l := range lists {
		cp := make([]any, len(l))
		for i, s := range l {
			m, ok := s.(map[string]any)
			if !ok {
				cp[i] = s
				continue
			}
			sm := make(map[string]any, len(m))
			for k, v := range m {
				if k != "reservations" {
					sm[k] = v
				}
			}
			cp[i] = sm
		}
		out[where] = cp
	}
	return out
}

// reservationOps returns the host_cmds commands that turn orig's subnet
// reservations into edited's, when nothing else changed: deletions first
// (so an address or identifier can move between hosts), then updates, then
// additions. An edit is reservation-update when the peer has it
// (update), else reservation-del and reservation-add. ok is false when
// anything but subnet reservations changed, or a reservation has no single
// identifier.
func reservationOps(orig, edited Config, daemon string, update bool) (ops []hostOp, ok bool) {
	ol, orest, ok1 := subnetLists(orig, daemon)
	el, erest, ok2 := subnetLists(edited, daemon)
	if !ok1 || !ok2 || !equal(orest, erest) || !equal(anyLists(withoutReservations(ol)), anyLists(withoutReservations(el))) {
		return nil, false
	}
	var dels, upds, adds []hostOp
	target := "memory"
	for where, os := range ol {
		es := el[where]
		for i := range os {
			om, _ := os[i].(map[string]any)
			em, _ := es[i].(map[string]any)
			if equal(om["reservations"], em["reservations"]) {
				continue
			}
			subnetID := em["id"]
			before := map[string]any{}
			or, _ := om["reservations"].([]any)
			for _, r := range or {
				typ, id, ok := reservationKey(r)
				if !ok {
					return nil, false
				}
				before[typ+"="+id] = r
			}
			er, _ := em["reservations"].([]any)
			seen := map[string]bool{}
			for _, r := range er {
				typ, id, ok := reservationKey(r)
				if !ok || seen[typ+"="+id] {
					return nil, false
				}
				seen[typ+"="+id] = true
				host := map[string]any{"subnet-id": subnetID}
				for k, v := range r.(map[string]any) {
					host[k] = v
				}
				add := hostOp{"reservation-add", map[string]any{"reservation": host, "operation-target": target}}
				old, had := before[typ+"="+id]
				switch {
				case !had:
					adds = append(adds, add)
				case equal(old, r):
				case update:
					upds = append(upds, hostOp{"reservation-update", map[string]any{"reservation": host, "operation-target": target}})
				default:
					dels = append(dels, delOp(subnetID, typ, id, target))
					adds = append(adds, add)
				}
			}
			for _, r := range or {
				typ, id, _ := reservationKey(r)
				if !seen[typ+"="+id] {
					dels = append(dels, delOp(subnetID, typ, id, target))
				}
			}
		}
	}
	ops = append(append(dels, upds...), adds...)
	return ops, len(ops) > 0
}

func delOp(subnetID any, typ, id, target string) hostOp {
	return hostOp{"reservation-del", map[string]any{"subnet-id": subnetID, "identifier-type": typ, "identifier": id,
		"operation-target": target}}
}

func anyLists(m map[string][]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// hostCmdsOps returns the host_cmds commands for every peer, or nil when
// the change is not for host_cmds: not only reservations, or a peer
// without reservation-add and reservation-del in its list-commands.
func (r *run) hostCmdsOps(ctx context.Context, pcs []PeerConfig, p *Preview) [][]hostOp {
	out := make([][]hostOp, len(r.req.Peers))
	for i, pe := range r.req.Peers {
		cmds, err := r.commands(ctx, pe)
		if err != nil || !cmds["reservation-add"] || !cmds["reservation-del"] {
			return nil
		}
		ops, ok := reservationOps(pcs[i].Config, p.Edited[i], r.req.Daemon, cmds["reservation-update"])
		if !ok {
			return nil
		}
		out[i] = ops
	}
	return out
}

// sendHostOps sends one peer's host_cmds commands in order.
func (r *run) sendHostOps(ctx context.Context, pe Peer, ops []hostOp) error {
	for _, op := range ops {
		if _, err := r.call(ctx, pe, op.command, op.args); err != nil {
			return fmt.Errorf("host_cmds: %w", err)
		}
	}
	return nil
}

// listCommands is the peer's list-commands as a set.
func listCommands(ctx context.Context, p Peer) (map[string]bool, error) {
	resp, err := p.Client.Call(ctx, "list-commands", p.Service, nil)
	if err != nil {
		return nil, err
	}
	var cmds []string
	if err := json.Unmarshal(resp.Arguments, &cmds); err != nil {
		return nil, fmt.Errorf("list-commands of %s: %w", p.Name, err)
	}
	set := make(map[string]bool, len(cmds))
	for _, c := range cmds {
		set[c] = true
	}
	return set, nil
}

// HostCmdsEverywhere says whether every peer lists reservation-add and
// reservation-del (Kea 3.0's host_cmds).
func HostCmdsEverywhere(ctx context.Context, peers []Peer) bool {
	for _, p := range peers {
		cmds, err := listCommands(ctx, p)
		if err != nil || !cmds["reservation-add"] || !cmds["reservation-del"] {
			return false
		}
	}
	return len(peers) > 0
}

// formMembers are the reservation members the editor's form sets; an edit
// keeps every other member (options, next-server, …) Kea has.
var formMembers = append(slices.Clone(identifierKeys), "ip-address", "ip-addresses", "prefixes", "hostname", "client-classes", "subnet-id")

// HostCmdsDB changes one reservation of subnet in the hosts database the
// peers share, with host_cmds on p and "operation-target": "database" (Kea
// writes its own rows). orig is "type=identifier" of the reservation edited
// or deleted ("" adds one); host is the reservation as the form made it
// (nil deletes). An edit keeps the members the form does not show: it is
// reservation-update, or reservation-del and reservation-add when the
// identifier changed (the old host is put back if the add fails). It
// returns what Kea said, for the audit row.
func HostCmdsDB(ctx context.Context, p Peer, subnet int64, orig string, host map[string]any) (string, error) {
	var did []string
	call := func(command string, args map[string]any) error {
		args["operation-target"] = "database"
		resp, err := p.Client.Call(ctx, command, p.Service, args)
		if err != nil {
			return &StepError{Peer: p.Name, Command: command, Text: keaText(err), Err: err}
		}
		did = append(did, fmt.Sprintf("%s on %s: %s", command, p.Name, resp.Text))
		return nil
	}
	result := func(err error) (string, error) { return strings.Join(did, "; "), err }
	put := map[string]any{"subnet-id": subnet}
	if orig == "" {
		for k, v := range host {
			put[k] = v
		}
		return result(call("reservation-add", map[string]any{"reservation": put}))
	}
	typ, id, _ := strings.Cut(orig, "=")
	key := map[string]any{"subnet-id": subnet, "identifier-type": typ, "identifier": id}
	if host == nil {
		return result(call("reservation-del", maps.Clone(key)))
	}
	resp, err := p.Client.Call(ctx, "reservation-get", p.Service, map[string]any{"subnet-id": subnet, "identifier-type": typ,
		"identifier": id, "operation-target": "database"})
	var old map[string]any
	if err == nil && resp.Result == 0 {
		err = json.Unmarshal(resp.Arguments, &old)
	}
	if err != nil || old == nil {
		return result(&StepError{Peer: p.Name, Command: "reservation-get", Text: fmt.Sprintf("the reservation %s is not in the hosts database", orig), Err: err})
	}
	for k, v := range old {
		if !slices.Contains(formMembers, k) {
			put[k] = v
		}
	}
	for k, v := range host {
		put[k] = v
	}
	if nt, nid, _ := reservationKey(host); nt+"="+nid == orig {
		return result(call("reservation-update", map[string]any{"reservation": put}))
	}
	if err := call("reservation-del", maps.Clone(key)); err != nil {
		return result(err)
	}
	if err := call("reservation-add", map[string]any{"reservation": put}); err != nil {
		if rerr := call("reservation-add", map[string]any{"reservation": old}); rerr != nil {
			err = errors.Join(err, fmt.Errorf("putting %s back: %w", orig, rerr))
		}
		return result(err)
	}
	return result(nil)
}
