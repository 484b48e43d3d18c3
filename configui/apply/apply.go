// Package apply is the config editor's one way to change Kea: every form
// builds an Edit, and Apply takes it to every peer of a server or HA pair
// safely (no HTML here):
//
//  1. lock the pair (this editor's own lock, then a PostgreSQL advisory
//     lock, released on every path), and refuse while an earlier change of
//     the pair is still running in the change log (*InDoubtError: its
//     editor lost the database mid-apply);
//  2. read each peer's config-get and compare its hash, or the hash of the
//     part the form was built from (Scope: its subnet), with the form's
//     (*ConflictError on a mismatch, with what changed);
//  3. refuse unless every peer is up and, with HA, serving;
//  4. apply the edit to each peer's whole configuration and diff it;
//  5. record the attempt in the audit trail (nothing is sent to Kea
//     otherwise);
//  6. config-test the whole edited configuration on every peer (never a
//     fragment: a partial config-test breaks a running Kea 2.2 HA+MT
//     server);
//  7. one peer at a time: config-set, wait until its HA service is back in
//     the state it was in (Kea 2.2 restarts it: waiting, syncing, ready,
//     load-balancing), config-write, then config-get to check that Kea holds
//     what was sent (Kea 3.0: subnet4-update, or reservation-add/-update/
//     -del, instead of config-set where every peer has subnet_cmds or
//     host_cmds and the change fits them; see subnetcmds.go, hostcmds.go);
//  8. on any failure, put the peers already changed back to the
//     configuration read in step 2 (config-set, wait, config-write), and say
//     so; the audit row gets every step with Kea's own messages (kept and
//     recorded later when the database cannot take it now: Flush, Run).
package apply

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Peer is one Kea daemon the change goes to.
type Peer struct {
	Name    string // the configured server name
	Client  *keactl.Client
	Service string // "dhcp4"/"dhcp6" behind a Control Agent; "" when the daemon is reached directly
}

// EditFunc changes one peer's configuration in place. It is called once
// per peer with that peer's own configuration (HA peers differ in
// this-server-name) and must make the same change on each.
type EditFunc func(peer string, c Config) error

// Request is one change.
type Request struct {
	User, RemoteAddr string
	Server           string // the server or pair as the pages name it (audit, lock)
	Daemon           string // dhcp4 or dhcp6
	Peers            []Peer
	// Base is each peer's configuration hash the form was built from
	// (Scope.Hash when Scope is set); a peer missing here is not checked.
	Base map[string]string
	// Scope, when set, is the part of the configuration the form was
	// built from: only a change of that part conflicts, and the edit is
	// made on the current configuration (see Scope).
	Scope   *Scope
	Summary string
	Edit    EditFunc
}

// Options configure an Applier.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// LockWait bounds the wait for another change to the same pair.
	// Default 2 minutes.
	LockWait time.Duration
	// HAWait bounds the wait for a peer's HA service after config-set.
	// Default 2 minutes.
	HAWait time.Duration
	// PollEvery is the status-get period while waiting. Default 250 ms.
	PollEvery time.Duration
	// KeepConfigs is how many configurations read from Kea are kept to
	// show what changed on a conflict. Default 4.
	KeepConfigs int

	// AfterSet, when set, is called after peer i (in Request.Peers order)
	// took the change and before its HA wait: a seam for fault tests,
	// which make the next step fail there for real (a peer stopped, the
	// editor's PostgreSQL killed).
	AfterSet func(i int)
}

// Applier applies changes. It is safe for concurrent use; changes to the
// same pair are serialised by the lock.
type Applier struct {
	opts Options
	log  *slog.Logger

	mu   sync.Mutex
	seen []seenConfig // newest last
	// pairs serialises this editor's changes per pair before the
	// PostgreSQL lock is asked for: one waiting connection per pair, not
	// one per user (the pool is small), and a pair stays locked in this
	// process while an apply whose PostgreSQL lock died is still rolling
	// back.
	pairs map[string]chan struct{}
	// unrecorded are outcomes the change log could not take (the database
	// went away during the apply), recorded by Flush when it is back.
	unrecorded map[int64]outcome
}

// outcome is an apply's final record.
type outcome struct {
	status, diff, errText string
	steps                 []store.Step
}

type seenConfig struct {
	hash string
	cfg  Config
}

// New makes an Applier.
func New(opts Options) *Applier {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LockWait <= 0 {
		opts.LockWait = 2 * time.Minute
	}
	if opts.HAWait <= 0 {
		opts.HAWait = 2 * time.Minute
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 250 * time.Millisecond
	}
	if opts.KeepConfigs <= 0 {
		opts.KeepConfigs = 4
	}
	return &Applier{opts: opts, log: opts.Logger, pairs: map[string]chan struct{}{}, unrecorded: map[int64]outcome{}}
}

// PeerConfig is one peer's configuration as read.
type PeerConfig struct {
	Peer   string
	Config Config
	Hash   string
	// HAState is the peer's HA state from status-get; "" without HA.
	HAState string
}

// Read reads every peer's configuration (config-get), for a form to be
// built from: its hashes go into Request.Base.
func (a *Applier) Read(ctx context.Context, daemon string, peers []Peer) ([]PeerConfig, error) {
	out := make([]PeerConfig, len(peers))
	errs := make([]error, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			c, err := a.configGet(ctx, p, daemon)
			if err == nil {
				out[i] = PeerConfig{Peer: p.Name, Config: c, Hash: c.Hash()}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, pc := range out {
		a.remember(pc.Hash, pc.Config)
	}
	return out, nil
}

func (a *Applier) configGet(ctx context.Context, p Peer, daemon string) (Config, error) {
	resp, err := p.Client.Call(ctx, "config-get", p.Service, nil)
	if err != nil {
		return nil, &StepError{Peer: p.Name, Command: "config-get", Text: keaText(err), Err: err}
	}
	c, err := ParseConfig(resp.Arguments)
	if err != nil {
		return nil, &StepError{Peer: p.Name, Command: "config-get", Text: err.Error(), Err: err}
	}
	if _, err := c.Daemon(daemon); err != nil {
		return nil, &StepError{Peer: p.Name, Command: "config-get", Text: err.Error(), Err: err}
	}
	return c, nil
}

func (a *Applier) remember(hash string, c Config) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.seen {
		if s.hash == hash {
			return
		}
	}
	a.seen = append(a.seen, seenConfig{hash, c})
	if len(a.seen) > a.opts.KeepConfigs {
		a.seen = a.seen[len(a.seen)-a.opts.KeepConfigs:]
	}
}

func (a *Applier) recall(hash string) Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.seen {
		if s.hash == hash {
			return s.cfg
		}
	}
	return nil
}

// recallScope is a kept configuration whose part in scope hashes as base.
func (a *Applier) recallScope(sc *Scope, daemon, base string) Config {
	a.mu.Lock()
	seen := slices.Clone(a.seen)
	a.mu.Unlock()
	for i := len(seen) - 1; i >= 0; i-- {
		if sc.Hash(daemon, seen[i].cfg) == base {
			return seen[i].cfg
		}
	}
	return nil
}

// Preview is what a change would do, read without the lock: the diff to
// show before the user confirms.
type Preview struct {
	Peers  []PeerConfig
	Edited []Config
	Edits  [][]Edit // per peer
}

// Diff is the change as text: one diff when every peer's is the same (the
// usual case), else one per peer.
func (p *Preview) Diff() string {
	if len(p.Edits) == 0 {
		return ""
	}
	first := Render(p.Edits[0])
	same := true
	for _, e := range p.Edits[1:] {
		if Render(e) != first {
			same = false
		}
	}
	if same {
		return first
	}
	var b strings.Builder
	for i, e := range p.Edits {
		fmt.Fprintf(&b, "# %s\n%s", p.Peers[i].Peer, Render(e))
	}
	return b.String()
}

// Preview reads the peers, checks the base hashes and makes the edit,
// without touching Kea.
func (a *Applier) Preview(ctx context.Context, req Request) (*Preview, error) {
	if err := check(req); err != nil {
		return nil, err
	}
	pcs, err := a.Read(ctx, req.Daemon, req.Peers)
	if err != nil {
		return nil, err
	}
	return a.edit(req, pcs)
}

func check(req Request) error {
	if len(req.Peers) == 0 {
		return fmt.Errorf("%w: no server to change", ErrRefused)
	}
	if req.Edit == nil {
		return fmt.Errorf("%w: no edit", ErrRefused)
	}
	if req.Daemon != "dhcp4" && req.Daemon != "dhcp6" {
		return fmt.Errorf("%w: daemon %q: the editor changes dhcp4 and dhcp6", ErrRefused, req.Daemon)
	}
	return nil
}

func (a *Applier) edit(req Request, pcs []PeerConfig) (*Preview, error) {
	for _, pc := range pcs {
		base, ok := req.Base[pc.Peer]
		if !ok {
			continue
		}
		if req.Scope == nil {
			if base == pc.Hash {
				continue
			}
			ce := &ConflictError{Peer: pc.Peer, Base: base, Now: pc.Hash}
			if old := a.recall(base); old != nil {
				ce.Changes = DiffConfigs(old, pc.Config)
			}
			return nil, ce
		}
		now := req.Scope.Hash(req.Daemon, pc.Config)
		if base == now {
			continue
		}
		ce := &ConflictError{Peer: pc.Peer, Scope: req.Scope.Name, Base: base, Now: now}
		if old := a.recallScope(req.Scope, req.Daemon, base); old != nil {
			ce.Changes = DiffConfigs(req.Scope.Part(req.Daemon, old), req.Scope.Part(req.Daemon, pc.Config))
		}
		return nil, ce
	}
	for _, pc := range pcs {
		if err := noConfigBackend(pc.Config, req.Daemon); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrRefused, pc.Peer, err)
		}
	}
	p := &Preview{Peers: pcs}
	changed := false
	for _, pc := range pcs {
		c := pc.Config.Clone()
		if err := req.Edit(pc.Peer, c); err != nil {
			return nil, err
		}
		edits := DiffConfigs(pc.Config, c)
		changed = changed || len(edits) > 0
		p.Edited = append(p.Edited, c)
		p.Edits = append(p.Edits, edits)
	}
	if !changed {
		return nil, ErrNoChange
	}
	return p, nil
}

// Result is what an apply did.
type Result struct {
	ChangeID   int64
	Status     string // a store.Change* status
	Diff       string
	Steps      []store.Step
	RolledBack []string
}

// servingStates are the HA states in which a server answers clients.
var servingStates = map[string]bool{"load-balancing": true, "hot-standby": true, "partner-down": true,
	"passive-backup": true, "partner-in-maintenance": true, "communication-recovery": true}

// Serving says whether an HA state answers DHCP clients ("" is no HA).
func Serving(state string) bool { return state == "" || servingStates[state] }

// run is one apply in progress.
type run struct {
	a     *Applier
	req   Request
	steps []store.Step
	mu    sync.Mutex
	// unwritten are peers rolled back whose file could not be rewritten.
	unwritten []string
}

func (r *run) step(peer, command string, began time.Time, result int, text string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, store.Step{At: began.UTC(), Peer: peer, Command: command, OK: ok, Result: result, Text: text,
		Took: time.Since(began).Round(time.Millisecond).String()})
}

// call sends one command and records it as a step.
func (r *run) call(ctx context.Context, p Peer, command string, args any) (keactl.Response, error) {
	began := time.Now()
	resp, err := p.Client.Call(ctx, command, p.Service, args)
	if err != nil {
		var ke *keactl.Error
		result := -1
		if errors.As(err, &ke) && ke.Err == nil {
			result = ke.Result
		}
		r.step(p.Name, command, began, result, keaText(err), false)
		return resp, &StepError{Peer: p.Name, Command: command, Text: keaText(err), Err: err}
	}
	text := resp.Text
	if command == "config-write" && len(resp.Arguments) > 0 {
		text += " " + string(resp.Arguments)
		if err := writtenSize(resp.Arguments); err != nil {
			text += ": " + err.Error()
			r.step(p.Name, command, began, resp.Result, text, false)
			return resp, &StepError{Peer: p.Name, Command: command, Text: text, Err: err}
		}
	}
	r.step(p.Name, command, began, resp.Result, text, true)
	return resp, nil
}

// writtenSize checks config-write's reported size. Kea (2.2 to 3.0)
// writes the file through a C++ stream it never checks: on ENOSPC it still
// answers "successful", with the stream's failed position as the size, -1
// (measured on a full tmpfs, TestRealHAPairApply/SecondPeerDiskFullRolledBack).
func writtenSize(args json.RawMessage) error {
	var w struct {
		Size *json.Number `json:"size"`
	}
	if json.Unmarshal(args, &w) != nil || w.Size == nil {
		return nil // an older or newer reply without a size: nothing to check
	}
	if n, err := w.Size.Int64(); err != nil || n <= 0 {
		return fmt.Errorf("Kea says successful but reports size %s: the write failed (disk full or an I/O error), and the file may be cut short", w.Size)
	}
	return nil
}

// keaText is Kea's own message when Kea answered, else the error.
func keaText(err error) string {
	var ke *keactl.Error
	if errors.As(err, &ke) && ke.Err == nil && ke.Text != "" {
		return ke.Text
	}
	return err.Error()
}

// Apply makes the change on every peer, or on none.
func (a *Applier) Apply(ctx context.Context, req Request) (*Result, error) {
	if err := check(req); err != nil {
		return nil, err
	}
	if a.opts.Store == nil {
		return nil, fmt.Errorf("%w: no database for the audit trail", ErrRefused)
	}
	lock, unlock, err := a.lockPair(ctx, req.Server, req.Daemon, peerNames(req.Peers))
	if err != nil {
		return nil, err
	}
	defer unlock()

	r := &run{a: a, req: req}
	rec := store.Change{Username: req.User, RemoteAddr: req.RemoteAddr, Server: req.Server, Daemon: req.Daemon,
		Peers: peerNames(req.Peers), Summary: req.Summary}
	// An attempt refused under the lock is recorded too (nothing was sent
	// to Kea but reads).
	refused := func(status, diff string, err error) error {
		c := rec
		c.Status, c.Diff, c.Error, c.Steps = status, diff, err.Error(), r.steps
		_, _ = a.opts.Store.RecordChange(ctx, c)
		return err
	}
	pcs, err := r.readAll(ctx)
	if err != nil {
		return nil, refused(store.ChangeFailed, "", err)
	}
	for _, pc := range pcs {
		a.remember(pc.Hash, pc.Config)
	}

	p, err := a.edit(req, pcs)
	if err != nil {
		var ce *ConflictError
		if errors.As(err, &ce) {
			// A lost race is worth a line in the change log.
			diff := ""
			if ce.Changes != nil {
				diff = Render(ce.Changes)
			}
			return nil, refused(store.ChangeConflict, diff, err)
		}
		return nil, err
	}
	for _, pc := range pcs {
		if !Serving(pc.HAState) {
			return nil, refused(store.ChangeFailed, p.Diff(), fmt.Errorf("%w: %s is in HA state %q, not serving clients: wait until the pair is healthy", ErrRefused, pc.Peer, pc.HAState))
		}
	}
	diff := p.Diff()
	rec.Diff = diff
	id, err := a.opts.Store.StartChange(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("%w: the audit trail cannot record it: %w", ErrRefused, err)
	}
	res := &Result{ChangeID: id, Diff: diff}
	status, applyErr := r.apply(ctx, lock, pcs, p)
	res.Status, res.Steps = status, r.steps
	var rb *RollbackError
	if errors.As(applyErr, &rb) {
		res.RolledBack = rb.RolledBack
	}
	errText := ""
	if applyErr != nil {
		errText = applyErr.Error()
	}
	if err := a.finish(ctx, id, outcome{status, diff, errText, r.steps}); err != nil {
		applyErr = errors.Join(applyErr, err)
	}
	return res, applyErr
}

// finish records an apply's outcome. The change is done whatever the
// database says now: with a context of its own, so a caller that gave up
// does not lose the row, and when the database is away the outcome is kept
// for Flush (the pair stays refused to other editors meanwhile, since its
// row still says running).
func (a *Applier) finish(ctx context.Context, id int64, o outcome) error {
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	err := a.opts.Store.FinishChange(fctx, id, o.status, o.diff, o.errText, o.steps)
	if err == nil {
		return nil
	}
	a.mu.Lock()
	a.unrecorded[id] = o
	a.mu.Unlock()
	a.log.Error("recording the outcome of a change; kept until the database is back", "change", id, "status", o.status, "err", err)
	return fmt.Errorf("%w: change #%d (%s) could not be recorded (%w); this editor records it when the database is back, and no other change to these servers starts until then",
		ErrNotRecorded, id, o.status, err)
}

// Unrecorded is the ids of outcomes kept for the change log.
func (a *Applier) Unrecorded() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]int64, 0, len(a.unrecorded))
	for id := range a.unrecorded {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Flush records the outcomes the database could not take, oldest first,
// and stops at the first failure.
func (a *Applier) Flush(ctx context.Context) error {
	for _, id := range a.Unrecorded() {
		a.mu.Lock()
		o, ok := a.unrecorded[id]
		a.mu.Unlock()
		if !ok {
			continue
		}
		if err := a.opts.Store.FinishChange(ctx, id, o.status, o.diff, o.errText, o.steps); err != nil {
			return fmt.Errorf("recording change #%d: %w", id, err)
		}
		a.mu.Lock()
		delete(a.unrecorded, id)
		a.mu.Unlock()
		a.log.Info("recorded a change's outcome after the database came back", "change", id, "status", o.status)
	}
	return nil
}

// Run records kept outcomes as soon as the database takes them, checking
// at each tick of every until ctx ends (the editor runs it beside the store's watcher).
func (a *Applier) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if ids := a.Unrecorded(); len(ids) > 0 {
				a.log.Error("stopping with change outcomes not recorded: their rows stay running", "changes", ids)
			}
			return
		case <-t.C:
		}
		if len(a.Unrecorded()) > 0 && a.opts.Store.Up() {
			if err := a.Flush(ctx); err != nil {
				a.log.Warn("recording kept change outcomes", "err", err)
			}
		}
	}
}

// CloseInterrupted closes change id, left running by an editor that lost
// the database or stopped mid-apply, once an admin has checked the servers
// (store.ChangeInterrupted). It takes the pair's lock first, so a change
// whose apply is still going on cannot be closed under it.
func (a *Applier) CloseInterrupted(ctx context.Context, id int64, admin, note string) error {
	c, err := a.opts.Store.Change(ctx, id)
	if err != nil {
		return err
	}
	if c.Status != store.ChangeRunning {
		return fmt.Errorf("change #%d is %s, not running: %w", id, c.Status, store.ErrNotFound)
	}
	name := lockName(c.Daemon, c.Peers)
	lctx, cancel := context.WithTimeout(ctx, a.opts.LockWait)
	defer cancel()
	release, err := a.pairSlot(lctx, c.Server, name)
	if err != nil {
		return err
	}
	defer release()
	lock, err := a.opts.Store.Lock(lctx, name)
	if err != nil {
		return fmt.Errorf("%w: cannot lock %s: %w", ErrRefused, c.Server, err)
	}
	defer lock.Unlock()
	if err := a.Flush(ctx); err != nil {
		a.log.Warn("recording kept change outcomes", "err", err)
	}
	return a.opts.Store.CloseInterrupted(ctx, id, admin, note)
}

// pairSlot takes this editor's own lock of a pair, waiting until ctx ends.
func (a *Applier) pairSlot(ctx context.Context, server, name string) (func(), error) {
	a.mu.Lock()
	ch, ok := a.pairs[name]
	if !ok {
		ch = make(chan struct{}, 1)
		a.pairs[name] = ch
	}
	a.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: cannot lock %s: %w (waited until %v)", ErrRefused, server, store.ErrLocked, ctx.Err())
	}
}

// lockPair takes the pair: this editor's own lock first, then the
// PostgreSQL advisory lock shared with other editors; then it records
// what this editor still keeps and refuses while an earlier change on the
// pair has no outcome in the change log (InDoubtError).
func (a *Applier) lockPair(ctx context.Context, server, daemon string, peers []string) (*store.Lock, func(), error) {
	name := lockName(daemon, peers)
	lctx, cancel := context.WithTimeout(ctx, a.opts.LockWait)
	defer cancel()
	release, err := a.pairSlot(lctx, server, name)
	if err != nil {
		return nil, nil, err
	}
	lock, err := a.opts.Store.Lock(lctx, name)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("%w: cannot lock %s: %w", ErrRefused, server, err)
	}
	unlock := func() { lock.Unlock(); release() }
	if err := a.Flush(ctx); err != nil {
		a.log.Warn("recording kept change outcomes", "err", err)
	}
	running, err := a.opts.Store.RunningChanges(ctx, daemon, peers)
	if err != nil {
		unlock()
		return nil, nil, fmt.Errorf("%w: cannot read the change log of %s: %w", ErrRefused, server, err)
	}
	if len(running) > 0 {
		unlock()
		return nil, nil, &InDoubtError{Change: running[0]}
	}
	return lock, unlock, nil
}

func lockName(daemon string, peers []string) string {
	names := slices.Clone(peers)
	slices.Sort(names)
	return daemon + ":" + strings.Join(names, "+")
}

func peerNames(ps []Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// readAll reads every peer's configuration and HA state under the lock.
func (r *run) readAll(ctx context.Context) ([]PeerConfig, error) {
	pcs := make([]PeerConfig, len(r.req.Peers))
	for i, p := range r.req.Peers {
		c, err := r.a.configGet(ctx, p, r.req.Daemon)
		if err != nil {
			return nil, err
		}
		state, err := r.haState(ctx, p)
		if err != nil {
			return nil, err
		}
		pcs[i] = PeerConfig{Peer: p.Name, Config: c, Hash: c.Hash(), HAState: state}
	}
	return pcs, nil
}

// haState is the peer's local HA state from status-get ("" without HA).
func (r *run) haState(ctx context.Context, p Peer) (string, error) {
	resp, err := p.Client.Call(ctx, "status-get", p.Service, nil)
	if err != nil {
		return "", &StepError{Peer: p.Name, Command: "status-get", Text: keaText(err), Err: err}
	}
	var st struct {
		HA []struct {
			Servers struct {
				Local struct {
					State string `json:"state"`
				} `json:"local"`
			} `json:"ha-servers"`
		} `json:"high-availability"`
	}
	if err := json.Unmarshal(resp.Arguments, &st); err != nil {
		return "", &StepError{Peer: p.Name, Command: "status-get", Text: err.Error(), Err: err}
	}
	if len(st.HA) == 0 {
		return "", nil
	}
	return cmp.Or(st.HA[0].Servers.Local.State, "unknown"), nil
}

// apply runs steps 6 to 8 and returns the change's final status.
func (r *run) apply(ctx context.Context, lock *store.Lock, pcs []PeerConfig, p *Preview) (string, error) {
	peers := r.req.Peers
	// config-test of the whole edited configuration, every peer, first.
	for i, pe := range peers {
		if _, err := r.call(ctx, pe, "config-test", map[string]any(p.Edited[i])); err != nil {
			return store.ChangeFailed, err
		}
	}
	// Reservations alone go by host_cmds where every peer has it.
	hostOps := r.hostCmdsOps(ctx, pcs, p)
	touched := 0 // peers 0..touched-1 may have been changed
	fail := func(err error) (string, error) {
		return r.rollback(ctx, pcs, touched, err)
	}
	for i, pe := range peers {
		if err := lock.Check(ctx); err != nil {
			if touched == 0 {
				return store.ChangeFailed, fmt.Errorf("%w: %w", ErrRefused, err)
			}
			return fail(fmt.Errorf("the change lock was lost before %s: %w", pe.Name, err))
		}
		// Never take a peer down while another one is not serving.
		for j, other := range peers {
			if j == i {
				continue
			}
			if st, err := r.haState(ctx, other); err != nil || !Serving(st) {
				if err == nil {
					err = fmt.Errorf("%s is in HA state %q", other.Name, st)
				}
				return fail(fmt.Errorf("not changing %s while its partner is not serving: %w", pe.Name, err))
			}
		}
		touched = i + 1
		if hostOps != nil {
			if err := r.sendHostOps(ctx, pe, hostOps[i]); err != nil {
				return fail(err)
			}
		} else if subnets, ok := changedSubnets(pcs[i].Config, p.Edited[i], r.req.Daemon); ok && len(subnets) > 0 &&
			r.hasCommand(ctx, pe, subnetUpdateCommand(r.req.Daemon)) {
			key := "subnet4"
			if r.req.Daemon == "dhcp6" {
				key = "subnet6"
			}
			for _, sub := range subnets {
				if _, err := r.call(ctx, pe, subnetUpdateCommand(r.req.Daemon), map[string]any{key: []any{sub}}); err != nil {
					return fail(err)
				}
			}
		} else if _, err := r.call(ctx, pe, "config-set", map[string]any(p.Edited[i])); err != nil {
			return fail(err)
		}
		if r.a.opts.AfterSet != nil {
			r.a.opts.AfterSet(i)
		}
		if err := r.waitHA(ctx, pe, pcs[i].HAState, false); err != nil {
			return fail(err)
		}
		if _, err := r.call(ctx, pe, "config-write", nil); err != nil {
			return fail(err)
		}
		if err := r.verify(ctx, pe, p.Edited[i]); err != nil {
			return fail(err)
		}
	}
	return store.ChangeApplied, nil
}

// waitHA polls status-get until the peer's HA service is back in want (or,
// for a rollback, in any serving state), at most HAWait.
func (r *run) waitHA(ctx context.Context, p Peer, want string, anyServing bool) error {
	if want == "" {
		return nil
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.a.opts.HAWait)
	defer cancel()
	tick := time.NewTicker(r.a.opts.PollEvery)
	defer tick.Stop()
	last, lastErr := "", error(nil)
	var seen []string
	for {
		st, err := r.haState(ctx, p)
		last, lastErr = st, err
		if err == nil && (len(seen) == 0 || seen[len(seen)-1] != st) {
			seen = append(seen, st)
		}
		if err == nil && (st == want || anyServing && Serving(st)) {
			r.step(p.Name, "status-get (wait for HA)", began, 0, strings.Join(seen, " → "), true)
			return nil
		}
		select {
		case <-ctx.Done():
			text := fmt.Sprintf("HA state %q after %s, want %q (seen %s)", last, r.a.opts.HAWait, want, strings.Join(seen, " → "))
			if lastErr != nil {
				text += ": " + lastErr.Error()
			}
			r.step(p.Name, "status-get (wait for HA)", began, -1, text, false)
			return &StepError{Peer: p.Name, Command: "status-get (wait for HA)", Text: text, Err: ctx.Err()}
		case <-tick.C:
		}
	}
}

// verify reads the configuration back after config-write: Kea must hold
// every value that was sent (it adds defaults of its own, so the check is
// containment, not equality).
func (r *run) verify(ctx context.Context, p Peer, sent Config) error {
	began := time.Now()
	got, err := r.a.configGet(ctx, p, r.req.Daemon)
	if err != nil {
		r.step(p.Name, "config-get (verify)", began, -1, keaText(err), false)
		return err
	}
	if path, ok := contains(map[string]any(got), map[string]any(sent), ""); !ok {
		text := "Kea does not hold what was sent, at " + path
		r.step(p.Name, "config-get (verify)", began, -1, text, false)
		return &StepError{Peer: p.Name, Command: "config-get (verify)", Text: text}
	}
	r.step(p.Name, "config-get (verify)", began, 0, "holds the change; hash "+got.Hash()[:12], true)
	return nil
}

func contains(got, want any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return join(path, k), false
			}
			if k == "reservations" {
				// Kea keeps host reservations as a set: host_cmds may list
				// them back in another order than the one sent.
				if p, ok := containsAnyOrder(gv, wv, join(path, k)); !ok {
					return p, false
				}
				continue
			}
			if p, ok := contains(gv, wv, join(path, k)); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := contains(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	if scalarEqual(got, want) {
		return "", true
	}
	// Kea writes a pool back in its own form: "198.18.0.12-198.18.0.13"
	// comes back as "198.18.0.12/31". The same addresses are the same pool.
	if g, ok := got.(string); ok {
		if w, ok := want.(string); ok && samePool(g, w) {
			return "", true
		}
	}
	return path, false
}

// containsAnyOrder is contains for a list whose order does not matter:
// as many members, each wanted one held by a different member.
func containsAnyOrder(got, want any, path string) (string, bool) {
	g, ok1 := got.([]any)
	w, ok2 := want.([]any)
	if !ok1 || !ok2 {
		return contains(got, want, path)
	}
	if len(g) != len(w) {
		return path, false
	}
	used := make([]bool, len(g))
	for i, wv := range w {
		found := false
		for j, gv := range g {
			if !used[j] {
				if _, ok := contains(gv, wv, ""); ok {
					used[j], found = true, true
					break
				}
			}
		}
		if !found {
			return fmt.Sprintf("%s[%d]", path, i), false
		}
	}
	return "", true
}

// samePool says whether two pool strings ("first-last" or "prefix/len")
// cover the same addresses.
func samePool(a, b string) bool {
	fa, la, ok1 := poolBounds(a)
	fb, lb, ok2 := poolBounds(b)
	return ok1 && ok2 && fa == fb && la == lb
}

func poolBounds(s string) (netip.Addr, netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if f, l, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(f))
		b, err2 := netip.ParseAddr(strings.TrimSpace(l))
		return a, b, err1 == nil && err2 == nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, false
	}
	p = p.Masked()
	last := p.Addr().AsSlice()
	for i := p.Bits(); i < len(last)*8; i++ {
		last[i/8] |= 1 << (7 - i%8)
	}
	l, _ := netip.AddrFromSlice(last)
	return p.Addr(), l, true
}

// rollback puts peers 0..touched-1 back to the configuration read at the
// start, last changed first.
func (r *run) rollback(ctx context.Context, pcs []PeerConfig, touched int, cause error) (string, error) {
	// Rolling back must not be cut short by the caller going away.
	ctx = context.WithoutCancel(ctx)
	rb := &RollbackError{Cause: cause}
	var errs []error
	for i := touched - 1; i >= 0; i-- {
		pe, orig := r.req.Peers[i], pcs[i]
		if err := r.restore(ctx, pe, orig); err != nil {
			rb.Failed = append(rb.Failed, pe.Name)
			errs = append(errs, err)
			continue
		}
		rb.RolledBack = append(rb.RolledBack, pe.Name)
	}
	slices.Reverse(rb.RolledBack)
	rb.Unwritten = r.unwritten
	if len(rb.Failed) > 0 {
		rb.RBErr = errors.Join(errs...)
		r.a.log.Error("rollback failed", "server", r.req.Server, "failed", rb.Failed, "err", rb.RBErr)
		return store.ChangeRollbackFailed, rb
	}
	if len(rb.RolledBack) == 0 {
		return store.ChangeFailed, cause
	}
	return store.ChangeRolledBack, rb
}

// restore puts one peer back, if it changed.
func (r *run) restore(ctx context.Context, p Peer, orig PeerConfig) error {
	cur, err := r.a.configGet(ctx, p, r.req.Daemon)
	if err == nil && cur.Hash() == orig.Hash {
		r.step(p.Name, "config-get (rollback)", time.Now(), 0, "unchanged, nothing to roll back", true)
		return nil
	}
	if _, err := r.call(ctx, p, "config-set", map[string]any(orig.Config)); err != nil {
		return err
	}
	if err := r.waitHA(ctx, p, orig.HAState, true); err != nil {
		return err
	}
	// The file may hold the new configuration: write the old one back.
	// A failure here is recorded and said, but the running configuration
	// is what serves clients, so it does not undo the rollback.
	if _, err := r.call(ctx, p, "config-write", nil); err != nil {
		r.mu.Lock()
		r.unwritten = append(r.unwritten, p.Name)
		r.mu.Unlock()
	}
	began := time.Now()
	back, err := r.a.configGet(ctx, p, r.req.Daemon)
	if err != nil {
		return err
	}
	if back.Hash() != orig.Hash {
		text := fmt.Sprintf("after the rollback the configuration hashes %.12s, not %.12s as before", back.Hash(), orig.Hash)
		r.step(p.Name, "config-get (rollback)", began, -1, text, false)
		return &StepError{Peer: p.Name, Command: "config-get (rollback)", Text: text}
	}
	r.step(p.Name, "config-get (rollback)", began, 0, "back to hash "+orig.Hash[:12], true)
	return nil
}

// noConfigBackend refuses a daemon that pulls its configuration from a
// configuration backend (config-control with config-databases): its
// config-get merges what it pulled, and a config-set of that would copy the
// backend's subnets into the file. Those are edited in the backend
// (configui/configbackend).
func noConfigBackend(c Config, daemon string) error {
	d, err := c.Daemon(daemon)
	if err != nil {
		return err
	}
	cc, _ := d["config-control"].(map[string]any)
	if dbs, _ := cc["config-databases"].([]any); len(dbs) > 0 {
		return errors.New("this server takes its configuration from a configuration backend (config-control): a whole-configuration change would copy the backend's subnets into its file; change them in the backend")
	}
	return nil
}
