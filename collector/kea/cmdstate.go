package kea

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Commands beside statistic-get-all (status-get, ha-heartbeat, lease
// pages) are best effort: a failure is counted and the poll goes on, and a
// command Kea refuses or lacks is asked again only every unavailableRetry,
// so that ddiscope does not fill Kea's log with denials.

const unavailableRetry = 10 * time.Minute

type cmdKey struct {
	command string
	reason  keactl.Reason
}

// cmdState is one daemon's record of its secondary commands.
type cmdState struct {
	errors      map[cmdKey]uint64
	unavailable map[string]unavailable
	labels      map[cmdKey]*[]string // shared extra label values
}

type unavailable struct {
	reason  keactl.Reason
	retryAt time.Time
}

func newCmdState() *cmdState {
	return &cmdState{errors: map[cmdKey]uint64{}, unavailable: map[string]unavailable{}, labels: map[cmdKey]*[]string{}}
}

// allowed reports whether the command may be sent now.
func (c *cmdState) allowed(command string, now time.Time) bool {
	u, ok := c.unavailable[command]
	return !ok || !now.Before(u.retryAt)
}

// result records the outcome of a command. It returns true when the
// command succeeded.
func (c *cmdState) result(command string, err error, now time.Time) bool {
	if err == nil {
		delete(c.unavailable, command)
		return true
	}
	reason := keactl.ReasonOf(err)
	switch reason {
	case keactl.ReasonUnauthorized, keactl.ReasonForbidden, keactl.ReasonUnsupported:
		c.unavailable[command] = unavailable{reason: reason, retryAt: now.Add(unavailableRetry)}
		if reason == keactl.ReasonUnsupported {
			return false // a hook not loaded is a fact, not an error
		}
	case keactl.ReasonCanceled:
		return false // shutdown or reload: not Kea's doing
	}
	c.errors[cmdKey{command, reason}]++
	return false
}

func (c *cmdState) label(k cmdKey) *[]string {
	l := c.labels[k]
	if l == nil {
		v := []string{k.command, string(k.reason)}
		l = &v
		c.labels[k] = l
	}
	return l
}

// samples appends ddiscope_kea_command_errors_total and
// ddiscope_kea_command_unavailable, in a stable order.
func (c *cmdState) samples(cat *catalog.Catalog, id *collector.Identity, snap *collector.Snapshot) {
	if m := cat.Metric("ddiscope_kea_command_errors_total"); m != nil {
		keys := make([]cmdKey, 0, len(c.errors))
		for k := range c.errors {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, cmpKey)
		for _, k := range keys {
			snap.Samples = append(snap.Samples, collector.Sample{Metric: m, ID: id, Extra: c.label(k), Value: float64(c.errors[k])})
		}
	}
	if m := cat.Metric("ddiscope_kea_command_unavailable"); m != nil {
		keys := make([]cmdKey, 0, len(c.unavailable))
		for cmd, u := range c.unavailable {
			keys = append(keys, cmdKey{cmd, u.reason})
		}
		slices.SortFunc(keys, cmpKey)
		for _, k := range keys {
			snap.Samples = append(snap.Samples, collector.Sample{Metric: m, ID: id, Extra: c.label(k), Value: 1})
		}
	}
}

func cmpKey(a, b cmdKey) int {
	if a.command != b.command {
		if a.command < b.command {
			return -1
		}
		return 1
	}
	if a.reason < b.reason {
		return -1
	}
	if a.reason > b.reason {
		return 1
	}
	return 0
}

// callArgs sends a secondary command and decodes its arguments into into,
// recording the outcome. It reports false when there is nothing to read:
// the command failed or is not to be sent now.
func (p *Poller) callArgs(ctx context.Context, ds *daemonState, command string, args any, into *json.RawMessage) bool {
	if !ds.cmds.allowed(command, p.now()) {
		return false
	}
	_, err := p.client.CallInto(ctx, command, p.service(ds.name), args, into)
	if err == nil && len(*into) == 0 {
		err = &keactl.Error{Target: p.name, Command: command, Service: p.service(ds.name), Reason: keactl.ReasonMalformed, Err: errors.New("reply has no arguments")}
	}
	return p.record(ds, command, err)
}

// record notes a secondary command's outcome, logging once when Kea starts
// refusing it.
func (p *Poller) record(ds *daemonState, command string, err error) bool {
	_, was := ds.cmds.unavailable[command]
	if ds.cmds.result(command, err, p.now()) {
		return true
	}
	switch r := keactl.ReasonOf(err); {
	case r == keactl.ReasonCanceled:
	case ds.cmds.unavailable[command].reason == r && !was:
		p.log.Warn("kea refuses or lacks a command: its metrics are left out, asked again in 10 minutes (ddiscope_kea_command_unavailable)",
			"daemon", ds.name, "command", command, "reason", r, "err", err)
	default:
		p.log.Debug("kea command failed", "daemon", ds.name, "command", command, "err", err)
	}
	return false
}
