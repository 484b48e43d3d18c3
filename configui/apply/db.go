package apply

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
)

// DBRequest is a change kept outside Kea's configuration (host
// reservations in Kea's hosts database): the same lock and audit trail as
// a configuration change, with Do making it.
type DBRequest struct {
	User, RemoteAddr, Server, Daemon string
	Peers                            []string // the pair sharing the database (lock and audit)
	Summary, Diff                    string
	Target                           string // what Do writes to, for the steps ("hosts-database")
	// Command names the step in the audit row: "transaction" (SQL) when
	// empty, "host_cmds" when Do sends Kea's reservation commands.
	Command string
	// Do makes the change in one transaction and says what it did.
	Do func(ctx context.Context) (string, error)
	// Conflict, when set, says whether an error of Do is a lost race (the
	// object changed since the form read it): recorded as a conflict, as
	// Apply records one, rather than a failure.
	Conflict func(error) bool
}

// ApplyDB locks the pair, records the attempt, runs Do and records its
// outcome. Nothing is done when the attempt cannot be recorded.
func (a *Applier) ApplyDB(ctx context.Context, req DBRequest) (*Result, error) {
	if a.opts.Store == nil {
		return nil, fmt.Errorf("%w: no database for the audit trail", ErrRefused)
	}
	_, unlock, err := a.lockPair(ctx, req.Server, req.Daemon, req.Peers)
	if err != nil {
		return nil, err
	}
	defer unlock()
	id, err := a.opts.Store.StartChange(ctx, store.Change{Username: req.User, RemoteAddr: req.RemoteAddr, Server: req.Server,
		Daemon: req.Daemon, Peers: req.Peers, Summary: req.Summary, Diff: req.Diff})
	if err != nil {
		return nil, fmt.Errorf("%w: the audit trail cannot record it: %w", ErrRefused, err)
	}
	began := time.Now()
	did, doErr := req.Do(ctx)
	step := store.Step{At: began.UTC(), Peer: req.Target, Command: cmp.Or(req.Command, "transaction"), OK: doErr == nil, Text: did,
		Took: time.Since(began).Round(time.Millisecond).String()}
	status := store.ChangeApplied
	errText := ""
	if doErr != nil {
		status, errText, step.Text, step.Result = store.ChangeFailed, doErr.Error(), doErr.Error(), -1
		if req.Conflict != nil && req.Conflict(doErr) {
			status = store.ChangeConflict
		}
	}
	res := &Result{ChangeID: id, Status: status, Diff: req.Diff, Steps: []store.Step{step}}
	if err := a.finish(ctx, id, outcome{status, req.Diff, errText, res.Steps}); err != nil {
		doErr = errors.Join(doErr, err)
	}
	return res, doErr
}
