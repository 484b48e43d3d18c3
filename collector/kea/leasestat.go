package kea

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// stat-lease4-get / stat-lease6-get (stat_cmds hook) count leases per
// subnet from the lease database itself, independently of Kea's statistics
// (which HA syncs, restarts and config changes can leave wrong). Kea walks
// its leases to answer, so it is asked once per lease pass, not per poll.

type statLeases struct {
	rows []statLeaseRow
}

type statLeaseRow struct {
	subnet                         int64
	assigned, declined, pdAssigned *float64
	// Kea's assigned statistic minus the lease database's count, from the
	// statistics of the same poll; nil when either is missing.
	drift, pdDrift *float64
}

func (p *Poller) readStatLeases(ctx context.Context, ds *daemonState) {
	cmd := "stat-lease4-get"
	if ds.name == "dhcp6" {
		cmd = "stat-lease6-get"
	}
	var raw json.RawMessage
	if !p.callArgs(ctx, ds, cmd, nil, &raw) {
		return
	}
	st, err := parseStatLeases(raw, ds.name == "dhcp6")
	if err != nil {
		p.record(ds, cmd, &keactl.Error{Target: p.name, Command: cmd, Service: p.service(ds.name), Reason: keactl.ReasonMalformed, Err: err})
		return
	}
	driftOf(st, ds)
	ds.lease.stat = st
}

// driftOf sets each row's drift: Kea's assigned statistic of the subnet, as
// this poll read it a moment before, minus what the lease database holds.
// Kea counts a declined lease as assigned in its statistics (a decline does
// not decrement assigned-addresses, and a restart's recount adds declined
// leases to it), while stat-lease4-get's assigned column counts leases in
// the default state only: so the lease database's declined count is added
// back, and a healthy Kea with declines shows 0.
func driftOf(st *statLeases, ds *daemonState) {
	acc := ds.acc
	if acc == nil || acc.cfg == nil || acc.cfg != ds.cfg {
		return
	}
	for i := range st.rows {
		r := &st.rows[i]
		si, ok := acc.cfg.subnets[r.subnet]
		if !ok {
			continue
		}
		for d, dv := range acc.ds {
			p := acc.subnets[d][si.idx]
			if !p.hasAssigned {
				continue
			}
			switch {
			case !dv.pd && r.assigned != nil && r.declined != nil:
				v := p.assigned - (*r.assigned + *r.declined)
				r.drift = &v
			case dv.pd && r.pdAssigned != nil:
				v := p.assigned - *r.pdAssigned
				r.pdDrift = &v
			}
		}
	}
}

// parseStatLeases reads {"result-set": {"columns": [...], "rows": [[...]]}},
// finding the columns by name.
func parseStatLeases(args json.RawMessage, v6 bool) (*statLeases, error) {
	var a struct {
		ResultSet *struct {
			Columns []string            `json:"columns"`
			Rows    [][]json.RawMessage `json:"rows"`
		} `json:"result-set"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, err
	}
	if a.ResultSet == nil {
		return nil, errors.New(`no "result-set"`)
	}
	col := map[string]int{}
	for i, c := range a.ResultSet.Columns {
		col[c] = i
	}
	idCol, ok := col["subnet-id"]
	if !ok {
		return nil, errors.New(`no "subnet-id" column`)
	}
	assigned, declined := "assigned-addresses", "declined-addresses"
	if v6 {
		// Kea 2.2 names the DHCPv6 declined column declined-nas; Kea 3.0
		// (seen on 3.0.4) declined-addresses, as its statistic is named.
		assigned, declined = "assigned-nas", "declined-nas"
		if _, ok := col[declined]; !ok {
			declined = "declined-addresses"
		}
	}
	cell := func(row []json.RawMessage, name string) *float64 {
		i, ok := col[name]
		if !ok || i >= len(row) {
			return nil
		}
		v := jsonNum(row[i])
		if v != nil && *v < 0 {
			return nil // Kea 2.2's -1 for counts past int64: unknown
		}
		return v
	}
	st := &statLeases{}
	for n, row := range a.ResultSet.Rows {
		if idCol >= len(row) {
			return nil, fmt.Errorf("row %d has %d cells", n+1, len(row))
		}
		id := jsonNum(row[idCol])
		if id == nil {
			return nil, fmt.Errorf("row %d: subnet-id %s is not a number", n+1, row[idCol])
		}
		r := statLeaseRow{subnet: int64(*id), assigned: cell(row, assigned), declined: cell(row, declined)}
		if v6 {
			r.pdAssigned = cell(row, "assigned-pds")
		}
		st.rows = append(st.rows, r)
	}
	return st, nil
}
