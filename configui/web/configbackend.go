package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/configbackend"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/rules"
)

// Subnets kept in Kea's PostgreSQL configuration backend (config-control
// with config-databases): listed beside the file's, and added, edited and
// deleted in the database through configbackend, under the same pair lock
// and audit trail as every other change (apply.ApplyDB).

const (
	cbList   = "/servers/{server}/{daemon}/config-backend"
	cbAdd    = "/servers/{server}/{daemon}/config-backend/add"
	cbSubnet = "/servers/{server}/{daemon}/config-backend/subnets/{subnet_id}"
)

// backendCache keeps one connection pool per backend database, so Kea's
// on-fail state (ErrStopped) outlives a request, as it does in Kea.
type backendCache struct {
	mu sync.Mutex
	m  map[string]*configbackend.Backend
}

func (c *backendCache) get(ctx context.Context, log *slog.Logger, db configbackend.DB) (*configbackend.Backend, error) {
	key := fmt.Sprintf("%#v", db)
	c.mu.Lock()
	b, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	// Open may wait out Kea's reconnect settings: not under the mutex.
	b, err := configbackend.Open(ctx, log, db)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		b.Close()
		return old, nil
	}
	if c.m == nil {
		c.m = map[string]*configbackend.Backend{}
	}
	c.m[key] = b
	return b, nil
}

func (c *backendCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, b := range c.m {
		b.Close()
		delete(c.m, k)
	}
}

// errNoBackend: the daemon takes nothing from a configuration backend.
var errNoBackend = errors.New("this server has no configuration backend (no config-control.config-databases in its config-get)")

// cbTarget is a server or pair's configuration backend as read for a page
// or a change.
type cbTarget struct {
	peers []apply.Peer
	srv   *configbackend.Server // of the first peer with a backend
	b     *configbackend.Backend
	cfg   *configbackend.Config // everything in the backend for the daemon
	file  []configbackend.SubnetRef
	// onServer are the backend subnets the servers have in config-get.
	onServer map[uint32]bool
}

// tags are the server tags a new subnet may be for: "all" first.
func (t *cbTarget) tags() []string {
	out := []string{"all"}
	for _, s := range t.cfg.Servers {
		if s.Tag != "all" {
			out = append(out, s.Tag)
		}
	}
	return out
}

func (t *cbTarget) subnet(id uint32) *configbackend.Subnet {
	for i := range t.cfg.Subnets {
		if t.cfg.Subnets[i].ID == id {
			return &t.cfg.Subnets[i]
		}
	}
	return nil
}

// backendFor reads every peer's config-get, finds the configuration
// backend and reads what it holds for the daemon.
func (s *Server) backendFor(ctx context.Context, k config.Kea, daemon string) (*cbTarget, error) {
	peers, err := s.peersOf(ctx, k, daemon)
	if err != nil {
		return nil, err
	}
	pcs, err := s.apply.Read(ctx, daemon, peers)
	if err != nil {
		return nil, err
	}
	t := &cbTarget{peers: peers, onServer: map[uint32]bool{}}
	for _, pc := range pcs {
		raw, err := json.Marshal(map[string]any(pc.Config))
		if err != nil {
			return nil, err
		}
		srv, err := configbackend.Parse(daemon, raw)
		if errors.Is(err, configbackend.ErrNoBackend) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pc.Peer, err)
		}
		if t.srv == nil {
			t.srv = srv
		}
	}
	if t.srv == nil {
		return nil, errNoBackend
	}
	if len(t.srv.Databases) == 0 {
		return nil, fmt.Errorf("the configuration backend is not one the editor edits: %s", strings.Join(t.srv.Unsupported, "; "))
	}
	if t.b, err = s.backends.get(ctx, s.log, t.srv.Databases[0]); err != nil {
		return nil, err
	}
	if t.cfg, err = t.b.Read(ctx, daemon, ""); err != nil {
		return nil, err
	}
	for _, pc := range pcs {
		refs := configSubnets(pc.Peer, pc.Config, daemon)
		for _, r := range refs {
			if b := t.subnet(r.ID); b != nil && b.Prefix == r.Prefix {
				t.onServer[r.ID] = true
			}
		}
		t.file = append(t.file, configbackend.FileOnly(refs, t.cfg)...)
	}
	return t, nil
}

// configSubnets lists the subnets of a peer's config-get (top level and in
// shared networks).
func configSubnets(peer string, c apply.Config, daemon string) []configbackend.SubnetRef {
	d, err := c.Daemon(daemon)
	if err != nil {
		return nil
	}
	key := "subnet4"
	if daemon == "dhcp6" {
		key = "subnet6"
	}
	var out []configbackend.SubnetRef
	add := func(list any) {
		l, _ := list.([]any)
		for _, x := range l {
			m, _ := x.(map[string]any)
			id, _ := strconv.ParseUint(fmt.Sprint(m["id"]), 10, 32)
			p, err := netip.ParsePrefix(fmt.Sprint(m["subnet"]))
			if err == nil && id > 0 {
				out = append(out, configbackend.SubnetRef{Server: peer, ID: uint32(id), Prefix: p})
			}
		}
	}
	add(d[key])
	nets, _ := d["shared-networks"].([]any)
	for _, n := range nets {
		m, _ := n.(map[string]any)
		add(m[key])
	}
	return out
}

// subnetOrigins says, for a backend-fed daemon, where each subnet id of
// config-get comes from: nil without a backend.
func (s *Server) subnetOrigins(ctx context.Context, k config.Kea, daemon string) (map[string]string, error) {
	t, err := s.backendFor(ctx, k, daemon)
	if errors.Is(err, errNoBackend) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range t.file {
		out[strconv.FormatUint(uint64(f.ID), 10)] = "config file"
	}
	for id := range t.onServer {
		out[strconv.FormatUint(uint64(id), 10)] = "config backend"
	}
	return out, nil
}

// cbPage is the configuration backend page's view model.
type cbPage struct {
	Labels    inbox.PageLabels
	DB        string
	Schema    string
	ServerTag string
	FetchWait time.Duration
	Subnets   []configbackend.Subnet
	Networks  []configbackend.SharedNetwork
	Options   []configbackend.Option // global options
	OnServer  map[uint32]bool
	Tags      []string
	Err       string
	NoBackend bool
}

// configBackend lists the subnets kept in the daemon's configuration
// backend, with their server tags and whether the server has pulled them.
func (s *Server) configBackend(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon")
	if !ok {
		return
	}
	p := cbPage{Labels: l}
	status := http.StatusOK
	t, err := s.backendFor(r.Context(), k, l["daemon"])
	switch {
	case errors.Is(err, errNoBackend):
		p.NoBackend = true
	case err != nil:
		p.Err, status = "The configuration backend could not be read: "+err.Error(), http.StatusBadGateway
	default:
		p.DB, p.Schema, p.ServerTag, p.FetchWait = t.b.DB().String(), t.b.Schema().String(), t.srv.ServerTag, t.srv.FetchWaitTime
		p.Subnets, p.OnServer, p.Tags = t.cfg.Subnets, t.onServer, t.tags()
		p.Networks, p.Options = t.cfg.SharedNetworks, t.cfg.GlobalOptions
	}
	s.render(w, r, status, "backend", page{Title: l["daemon"] + " configuration backend of " + k.Name, Crumbs: crumbs(l), Data: p})
}

// cbForm is the backend subnet form's view model.
type cbForm struct {
	V6      bool
	Adding  bool
	DB      string
	Tags    []string
	Current *configbackend.Subnet // the subnet as read (editing)
	Orig    string                // its JSON as read: what changed meanwhile on a conflict
	Rows    []cbPoolRow
	PDRows  []cbPoolRow
	form.BackendSubnet
}

type cbPoolRow struct{ Field, Value string }

func cbFormOf(t *cbTarget, daemon string, cur *configbackend.Subnet, submitted *form.BackendSubnet, orig string) cbForm {
	f := cbForm{V6: daemon == "dhcp6", Adding: cur == nil, DB: t.b.DB().String(), Tags: t.tags(), Current: cur, Orig: orig}
	switch {
	case submitted != nil:
		f.BackendSubnet = *submitted
	case cur != nil:
		e := configbackend.EditOf(*cur)
		f.BackendSubnet = form.BackendSubnet{Version: cur.Token(), ID: strconv.FormatUint(uint64(cur.ID), 10), Prefix: e.Prefix,
			SharedNetwork: e.SharedNetwork, Interface: e.Interface, Pools: e.Pools, PDPools: e.PDPools, Valid: i64s(e.ValidLifetime), Renew: i64s(e.RenewTimer),
			Rebind: i64s(e.RebindTimer), Preferred: i64s(e.PreferredLifetime), Tag: strings.Join(cur.Tags, ",")}
		f.Orig = cbJSON(cur)
	default:
		f.Tag = "all"
		if t.srv.ServerTag != "" && slices.Contains(f.Tags, t.srv.ServerTag) {
			f.Tag = t.srv.ServerTag
		}
	}
	pools := slices.Clone(f.Pools)
	for len(pools) == 0 || pools[len(pools)-1] != "" {
		pools = append(pools, "") // one empty row to add a pool
	}
	for i, p := range pools {
		f.Rows = append(f.Rows, cbPoolRow{Field: "pool." + strconv.Itoa(i), Value: p})
	}
	if f.V6 {
		pd := slices.Clone(f.PDPools)
		for len(pd) == 0 || pd[len(pd)-1] != "" {
			pd = append(pd, "")
		}
		for i, p := range pd {
			f.PDRows = append(f.PDRows, cbPoolRow{Field: "pd." + strconv.Itoa(i), Value: p})
		}
	}
	return f
}

func i64s(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// cbJSON is a backend subnet as the diff and the audit trail show it.
func cbJSON(s *configbackend.Subnet) string {
	b, _ := json.Marshal(cbMap(configbackend.EditOf(*s)))
	return string(b)
}

func cbMap(e configbackend.SubnetEdit) map[string]any {
	m := map[string]any{"id": e.ID, "subnet": e.Prefix, "server-tags": e.Tags}
	pools := []any{}
	for _, p := range e.Pools {
		pools = append(pools, map[string]any{"pool": p})
	}
	m["pools"] = pools
	if len(e.PDPools) > 0 {
		pd := []any{}
		for _, p := range e.PDPools {
			pd = append(pd, p)
		}
		m["pd-pools"] = pd
	}
	for k, v := range map[string]*int64{"valid-lifetime": e.ValidLifetime, "renew-timer": e.RenewTimer,
		"rebind-timer": e.RebindTimer, "preferred-lifetime": e.PreferredLifetime} {
		if v != nil {
			m[k] = *v
		}
	}
	if e.SharedNetwork != "" {
		m["shared-network-name"] = e.SharedNetwork
	}
	if e.Interface != "" {
		m["interface"] = e.Interface
	}
	return m
}

// normalised makes a map as apply.Diff takes it: decoded JSON with
// json.Number numbers.
func normalised(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	return decodeJSON(string(b))
}

func decodeJSON(s string) map[string]any {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var out map[string]any
	if d.Decode(&out) != nil {
		return map[string]any{}
	}
	return out
}

func cbTitle(l inbox.PageLabels, adding bool) string {
	if adding {
		return "Add a " + l["daemon"] + " subnet to the configuration backend of " + l["server"]
	}
	return "Subnet " + l["subnet_id"] + " (" + l["daemon"] + ") in the configuration backend of " + l["server"]
}

// cbConflict is a backend subnet changed or deleted since the form read
// it: the user's input is kept and Changes says what changed meanwhile.
type cbConflict struct {
	SubnetID  uint32
	Read, Now string // versions (modification_ts); Now "" when deleted
	Changes   []apply.Edit
}

func (c *cbConflict) Error() string {
	if c.Now == "" {
		return fmt.Sprintf("subnet %d was deleted from the configuration backend since this form was opened (read at %s)", c.SubnetID, c.Read)
	}
	return fmt.Sprintf("subnet %d in the configuration backend was changed since this form was opened (read at %s, changed at %s)", c.SubnetID, c.Read, c.Now)
}

// cbEditPage shows the add form, or the edit/delete form of one subnet
// (operator).
func (s *Server) cbEditPage(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.cbPageLabels(w, r)
	if !ok {
		return
	}
	adding := l["subnet_id"] == ""
	d := s.cbEditData(l, r.URL.Path)
	t, err := s.backendFor(r.Context(), k, l["daemon"])
	if errors.Is(err, errNoBackend) {
		s.fail(w, r, nil, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		d.Message = "The configuration backend could not be read, so nothing can be edited now: " + err.Error()
		s.renderEdit(w, r, http.StatusBadGateway, cbTitle(l, adding), d)
		return
	}
	var cur *configbackend.Subnet
	if !adding {
		if cur = t.subnet(uint32(id(l, "subnet_id"))); cur == nil {
			s.fail(w, r, nil, http.StatusNotFound, "No subnet "+l["subnet_id"]+" in the configuration backend "+t.b.DB().String()+".")
			return
		}
	}
	d.Form = cbFormOf(t, l["daemon"], cur, nil, "")
	s.renderEdit(w, r, http.StatusOK, cbTitle(l, adding), d)
}

// cbPageLabels reads a backend subnet page's labels: the daemon, and the
// subnet id unless the page adds one.
func (s *Server) cbPageLabels(w http.ResponseWriter, r *http.Request) (config.Kea, inbox.PageLabels, bool) {
	names := []string{"daemon"}
	if r.PathValue("subnet_id") != "" {
		names = append(names, "subnet_id")
	}
	return s.pageLabels(w, r, names...)
}

func (s *Server) cbEditData(l inbox.PageLabels, action string) *editData {
	d := s.newEditData("cb-subnet", l, action)
	var links rules.Links
	d.Back = links.ConfigUIURL(cbList, l)
	return d
}

// cbEdit takes the backend subnet form (operator): preview, then the
// change in one transaction under the pair's lock, recorded in the
// change log.
func (s *Server) cbEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.cbPageLabels(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	adding := l["subnet_id"] == ""
	daemon := l["daemon"]
	title := cbTitle(l, adding)
	d := s.cbEditData(l, r.URL.Path)
	f, ferr := form.ReadBackendSubnet(r)
	t, err := s.backendFor(ctx, k, daemon)
	if errors.Is(err, errNoBackend) {
		s.fail(w, r, nil, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		d.Message = "Nothing was changed: the configuration backend could not be read: " + err.Error()
		s.renderEdit(w, r, http.StatusBadGateway, title, d)
		return
	}
	var cur *configbackend.Subnet
	if adding {
		f.Delete = false // only an existing subnet is deleted
	} else {
		cur = t.subnet(uint32(id(l, "subnet_id")))
		f.ID = l["subnet_id"] // the path names the subnet; ids are not changed in place
	}
	orig := r.PostFormValue("orig")
	// again shows the form with the user's input and what went wrong.
	again := func(status int) {
		d.Step = "form"
		show := cur
		if d.Conflict != nil || d.CBConflict != nil {
			// The next submit is checked against what is now shown.
			f.Version, orig = "", ""
			if show != nil {
				f.Version, orig = show.Token(), cbJSON(show)
			}
		}
		fm := cbFormOf(t, daemon, show, &f, orig)
		if show == nil && !adding {
			fm.Adding = false
		}
		d.Form = fm
		s.renderEdit(w, r, status, title, d)
	}
	if ferr != nil {
		d.Message = ferr.Error()
		again(http.StatusBadRequest)
		return
	}
	if !adding && (cur == nil || cur.Token() != f.Version) {
		c := &cbConflict{SubnetID: uint32(id(l, "subnet_id")), Read: f.Version}
		before := decodeJSON(orig)
		if cur != nil {
			c.Now = cur.Token()
			c.Changes = apply.Diff(before, normalised(cbMap(configbackend.EditOf(*cur))))
		}
		d.CBConflict = c
		status := http.StatusConflict
		if cur == nil {
			d.Message = c.Error() + ". Nothing was changed."
		}
		again(status)
		return
	}
	e, rows, err := f.Edit()
	if err == nil && !adding {
		e.Tags = slices.Clone(cur.Tags) // server tags are not changed in place
	}
	meta := configbackend.Meta{Actor: userOf(r).Name, FileSubnets: t.file}
	if err == nil && !f.Delete {
		err = e.Validate(daemon)
		if err == nil {
			err = t.b.Check(ctx, daemon, e, !adding, meta)
		}
	}
	if err != nil {
		if p, ok := cbProblem(err, rows, f.PDRows()); ok {
			d.Problems = edit.Problems{p}
			again(http.StatusBadRequest)
			return
		}
		d.Message = "Nothing was changed: " + err.Error()
		again(http.StatusBadGateway)
		return
	}
	path := "config-backend." + map[string]string{"dhcp4": "subnet4", "dhcp6": "subnet6"}[daemon] + "[" + strconv.FormatUint(uint64(e.ID), 10) + "]"
	var before, after map[string]any
	verb := "add"
	if cur != nil {
		before = map[string]any{path: normalised(cbMap(configbackend.EditOf(*cur)))}
		verb = "update"
	}
	if f.Delete {
		verb = "delete"
		after = map[string]any{}
	} else {
		after = map[string]any{path: normalised(cbMap(e))}
	}
	if before == nil {
		before = map[string]any{}
	}
	edits := apply.Diff(before, after)
	if len(edits) == 0 {
		d.Message = "The form changes nothing."
		again(http.StatusBadRequest)
		return
	}
	diff := apply.Render(edits)
	target := "configuration backend " + t.b.DB().String()
	if f.Step == form.StepPreview {
		d.Step, d.Diff, d.Peers, d.Hidden = "confirm", diff, []string{target}, hiddenOf(r.PostForm)
		s.renderEdit(w, r, http.StatusOK, title, d)
		return
	}
	summary := fmt.Sprintf("configuration backend: %s %s subnet %d %s for server tag %s", verb, daemon, e.ID, e.Prefix, strings.Join(e.Tags, ","))
	if f.Delete {
		summary = fmt.Sprintf("configuration backend: delete %s subnet %d %s", daemon, cur.ID, cur.Prefix)
	}
	var expect time.Time
	if cur != nil {
		expect = cur.ModificationTS
	}
	req := apply.DBRequest{User: userOf(r).Name, RemoteAddr: s.remoteAddr(r).String(), Server: pairName(t.peers), Daemon: daemon,
		Peers: pairNames(t.peers), Summary: summary, Diff: diff, Target: target,
		Conflict: func(err error) bool {
			return errors.Is(err, configbackend.ErrConflict) || errors.Is(err, configbackend.ErrNotFound)
		},
		Do: func(ctx context.Context) (string, error) {
			var res configbackend.Result
			var err error
			switch verb {
			case "add":
				res, err = t.b.CreateSubnet(ctx, daemon, e, meta)
			case "update":
				res, err = t.b.UpdateSubnet(ctx, daemon, e, expect, meta)
			default:
				res, err = t.b.DeleteSubnet(ctx, daemon, cur.ID, expect, meta)
			}
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("committed audit revision %d at %s; servers pick it up at their next pull (config-fetch-wait-time %s)",
				res.Revision, res.At.UTC().Format(time.RFC3339Nano), t.srv.FetchWaitTime), nil
		}}
	res, err := s.apply.ApplyDB(ctx, req)
	for _, p := range t.peers {
		if s.kea != nil {
			s.kea.Invalidate(p.Name, daemon)
		}
	}
	if res == nil {
		d.Message = "Refused, nothing was changed: " + err.Error()
		again(http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		if errors.Is(err, configbackend.ErrConflict) || errors.Is(err, configbackend.ErrNotFound) {
			// Lost a race after the preview: show what is there now.
			if nt, rerr := s.backendFor(ctx, k, daemon); rerr == nil {
				t = nt
				if !adding {
					cur = t.subnet(e.ID)
				}
			}
			c := &cbConflict{SubnetID: e.ID, Read: f.Version}
			was := decodeJSON(orig)
			if cur != nil {
				c.Now = cur.Token()
				c.Changes = apply.Diff(was, normalised(cbMap(configbackend.EditOf(*cur))))
			}
			d.CBConflict = c
			d.Message = fmt.Sprintf("Nothing was changed (change #%d records the attempt).", res.ChangeID)
			again(http.StatusConflict)
			return
		}
		if p, ok := cbProblem(err, rows, f.PDRows()); ok {
			d.Problems = edit.Problems{p}
			d.Message = fmt.Sprintf("Nothing was changed (change #%d records the attempt).", res.ChangeID)
			again(http.StatusBadRequest)
			return
		}
	}
	d.Step, d.Result, d.Peers, d.Diff = "result", res, []string{target}, diff
	status := http.StatusOK
	if err != nil {
		d.ResultErr, status = err.Error()+" (nothing was changed: the transaction was rolled back)", http.StatusBadGateway
		if errors.Is(err, configbackend.ErrUnavailable) {
			d.ResultErr = err.Error() + ". Unless the connection was lost during COMMIT itself, PostgreSQL rolled the transaction back and nothing was changed; reload the subnet to see what the backend holds."
		}
	}
	s.renderEdit(w, r, status, title, d)
}

// cbFieldLabel names a backend subnet form's field as its label does, for
// the list of problems above the form: "Pool 1", not "pool.0".
func cbFieldLabel(field string) string {
	if kind, n, ok := strings.Cut(field, "."); ok {
		if i, err := strconv.Atoi(n); err == nil {
			switch kind {
			case "pool":
				return "Pool " + strconv.Itoa(i+1)
			case "pd":
				return "Prefix delegation pool " + strconv.Itoa(i+1)
			}
		}
	}
	if l, ok := map[string]string{"id": "Subnet ID", "prefix": "Prefix", "tag": "Server tag", "valid": "Valid lifetime",
		"renew": "Renew timer (T1)", "rebind": "Rebind timer (T2)", "preferred": "Preferred lifetime",
		"shared_network": "Shared network", "interface": "Interface"}[field]; ok {
		return l
	}
	return field
}

// cbProblem turns a refused value into the form field it is about.
func cbProblem(err error, rows, pdRows []int) (apply.EditError, bool) {
	if fe, ok := form.AsFieldError(err); ok {
		return apply.EditError{Field: fe.Field, Msg: fe.Msg}, true
	}
	var ve *configbackend.ValidationError
	if !errors.As(err, &ve) {
		return apply.EditError{}, false
	}
	field := map[string]string{"valid-lifetime": "valid", "renew-timer": "renew", "rebind-timer": "rebind",
		"preferred-lifetime": "preferred", "shared-network": "shared_network", "tags": "tag", "interface": "interface"}[ve.Field]
	if field == "" {
		field = ve.Field
	}
	var i int
	if _, err := fmt.Sscanf(ve.Field, "pools[%d]", &i); err == nil && i >= 0 && i < len(rows) {
		field = "pool." + strconv.Itoa(rows[i])
	}
	if _, err := fmt.Sscanf(ve.Field, "pd-pools[%d]", &i); err == nil && i >= 0 && i < len(pdRows) {
		field = "pd." + strconv.Itoa(pdRows[i])
	}
	return apply.EditError{Field: field, Msg: ve.Msg}, true
}
