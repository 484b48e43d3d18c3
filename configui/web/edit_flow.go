package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/rules"
)

// Every edit goes form → preview (the diff) → confirm → apply → result,
// through apply.Applier. An edit page is a GET file that builds the form
// from the configuration read from every peer (its hashes travel in the
// form), and a POST file that reads the typed form and hands an editSpec
// to runEdit; only building the edit differs between forms.

// editData is what the edit template gets.
type editData struct {
	Kind      string // the form: pools, lifetimes, …
	Step      string // form, confirm, result
	Labels    inbox.PageLabels
	Action    string // where the form posts
	Back      string // the page the edit belongs to
	Dashboard string // Grafana, when configured
	Peers     []string
	Base      []string // "peer:hash" of the configuration the form was built from
	Form      any      // the form's view model
	Problems  edit.Problems
	Conflict  *apply.ConflictError
	// CBConflict is a configuration backend subnet changed since its form
	// was read.
	CBConflict *cbConflict
	Message    string // a failure that is not a field's (Kea's own message)
	Diff       string
	Hidden     []hiddenField // the confirm step carries the form as it was
	Result     *apply.Result
	ResultErr  string
	// NotRecorded: the change log could not take the outcome (the
	// database went away during the apply); the editor records it later.
	NotRecorded bool
}

type hiddenField struct{ Name, Value string }

// Problem is the message of one field, for the templates.
func (d *editData) Problem(field string) string { return d.Problems.Field(field) }

// editSpec is one submitted edit.
type editSpec struct {
	kind     string
	title    string
	k        config.Kea
	l        inbox.PageLabels
	common   form.EditCommon
	edit     apply.EditFunc
	summary  string
	subnetID int64
	// leases checks the edit against the subnet's active leases read from
	// one peer (pool shrinks, subnet removals); nil when leases do not
	// matter. readErr says the leases could not be read from that peer.
	leases func(ctx context.Context, p apply.Peer, c apply.Config) (problems, readErr error)
	// view builds the form's view model from a peer's configuration, for
	// showing the form again with the user's input and the problems.
	view func(c apply.Config) any
}

// editBack is the page an edit of l belongs to.
func editBack(l inbox.PageLabels) string {
	var links rules.Links
	if l["subnet_id"] != "" {
		return links.ConfigUIURL(rules.ConfigUISubnet, l)
	}
	if l["shared_network"] != "" {
		return links.ConfigUIURL(rules.ConfigUISharedNetwork, l)
	}
	return links.ConfigUIURL("/servers/{server}/{daemon}/subnets", l)
}

func (s *Server) dashboardFor(l inbox.PageLabels) string {
	if s.cfg.Web.GrafanaURL == "" {
		return ""
	}
	u, err := rules.Links{Grafana: s.cfg.Web.GrafanaURL}.DashboardURL(rules.UIDKeaSubnets, l)
	if err != nil {
		return ""
	}
	return u
}

func (s *Server) newEditData(kind string, l inbox.PageLabels, action string) *editData {
	return &editData{Kind: kind, Step: "form", Labels: l, Action: action, Back: editBack(l), Dashboard: s.dashboardFor(l)}
}

// peersOf is the servers a change to the page's daemon must reach.
func (s *Server) peersOf(ctx context.Context, k config.Kea, daemon string) ([]apply.Peer, error) {
	if s.kea == nil {
		return nil, errors.New("the editor has no Kea view configured")
	}
	pts, err := s.kea.ChangePeers(ctx, k.Name, daemon)
	if err != nil {
		return nil, err
	}
	out := make([]apply.Peer, len(pts))
	for i, p := range pts {
		out[i] = apply.Peer{Name: p.Name, Client: p.Client, Service: p.Service}
	}
	return out, nil
}

// pairName names the server or pair in the audit trail.
func pairName(peers []apply.Peer) string {
	var n []string
	for _, p := range peers {
		n = append(n, p.Name)
	}
	return strings.Join(n, "+")
}

// readForEdit reads every peer's configuration for a form: d gets the
// peers and the base hashes; the first peer's configuration is returned.
func (s *Server) readForEdit(ctx context.Context, k config.Kea, daemon string, d *editData) (apply.Config, error) {
	peers, err := s.peersOf(ctx, k, daemon)
	if err != nil {
		return nil, err
	}
	pcs, err := s.apply.Read(ctx, daemon, peers)
	if err != nil {
		return nil, err
	}
	base := map[string]string{}
	d.Peers = nil
	sc := scopeOf(d.Labels)
	for _, pc := range pcs {
		base[pc.Peer] = pc.Hash
		if sc != nil {
			base[pc.Peer] = sc.Hash(daemon, pc.Config)
		}
		d.Peers = append(d.Peers, pc.Peer)
	}
	d.Base = form.EncodeBase(base)
	slices.Sort(d.Base)
	return pcs[0].Config, nil
}

// scopeOf is the part of the configuration a form of page l is built
// from: its subnet on a subnet's edit pages, so that users changing
// different subnets of one pair do not conflict (apply.Scope); the whole
// configuration otherwise (adding a subnet, a shared network's settings).
func scopeOf(l inbox.PageLabels) *apply.Scope {
	if l["subnet_id"] == "" {
		return nil
	}
	return apply.SubnetScope(id(l, "subnet_id"))
}

// renderEdit writes the edit page.
func (s *Server) renderEdit(w http.ResponseWriter, r *http.Request, status int, title string, d *editData) {
	c := crumbs(d.Labels)
	if d.Kind == "cb-subnet" {
		// The backend's forms belong to its page, not to the Kea subnet page.
		l := maps.Clone(d.Labels)
		delete(l, "subnet_id")
		c = append(crumbs(l), crumb{"configuration backend", d.Back})
	}
	s.render(w, r, status, "edit", page{Title: title, Crumbs: c, Data: d})
}

// showForm renders the form again with the user's input: after problems,
// a conflict (then with the current hashes, so that the next submit is
// checked against what the user has now been shown) or a failure.
func (s *Server) showForm(w http.ResponseWriter, r *http.Request, status int, sp editSpec, d *editData) {
	d.Step = "form"
	cfg, err := s.readForEdit(r.Context(), sp.k, sp.l["daemon"], d)
	if err != nil {
		d.Message = strings.TrimSpace(d.Message + " Kea could not be read: " + err.Error())
		if status < 500 {
			status = http.StatusBadGateway
		}
		s.renderEdit(w, r, status, sp.title, d)
		return
	}
	if d.Conflict == nil {
		// Keep checking against the configuration the user started from.
		d.Base = form.EncodeBase(sp.common.Base)
		slices.Sort(d.Base)
	}
	d.Form = sp.view(cfg)
	s.renderEdit(w, r, status, sp.title, d)
}

// runEdit is the POST side of every edit form.
func (s *Server) runEdit(w http.ResponseWriter, r *http.Request, sp editSpec) {
	ctx := r.Context()
	d := s.newEditData(sp.kind, sp.l, r.URL.Path)
	u := userOf(r)
	peers, err := s.peersOf(ctx, sp.k, sp.l["daemon"])
	if err != nil {
		d.Message = "The servers to change could not be found: " + err.Error()
		s.renderEdit(w, r, http.StatusBadGateway, sp.title, d)
		return
	}
	req := apply.Request{User: u.Name, RemoteAddr: s.remoteAddr(r).String(), Server: pairName(peers), Daemon: sp.l["daemon"],
		Peers: peers, Base: sp.common.Base, Scope: scopeOf(sp.l), Summary: sp.summary, Edit: sp.edit}
	pv, err := s.apply.Preview(ctx, req)
	if err == nil && sp.leases != nil {
		err = s.checkLeases(ctx, peers, sp, pv.Peers[0].Config)
	}
	if err != nil {
		s.editFailed(w, r, sp, d, err)
		return
	}
	if sp.common.Step == form.StepPreview {
		d.Step = "confirm"
		d.Diff = pv.Diff()
		d.Peers = pairNames(peers)
		d.Hidden = hiddenOf(r.PostForm)
		s.renderEdit(w, r, http.StatusOK, sp.title, d)
		return
	}
	res, err := s.apply.Apply(ctx, req)
	for _, p := range peers {
		s.kea.Invalidate(p.Name, sp.l["daemon"])
	}
	if res == nil {
		s.editFailed(w, r, sp, d, err)
		return
	}
	d.Step, d.Result, d.Peers, d.Diff = "result", res, pairNames(peers), res.Diff
	if d.Dashboard == "" {
		d.Dashboard = s.alertDashboard(ctx, sp.l)
	}
	status := http.StatusOK
	if err != nil {
		d.ResultErr = err.Error()
		status = http.StatusBadGateway
		d.NotRecorded = errors.Is(err, apply.ErrNotRecorded)
		if res.Status != store.ChangeApplied {
			// Nothing stands: the user's input comes back with the result,
			// to try again once the cause is gone.
			d.Hidden = hiddenOf(r.PostForm)
		}
	}
	s.renderEdit(w, r, status, sp.title, d)
}

func pairNames(peers []apply.Peer) []string {
	var n []string
	for _, p := range peers {
		n = append(n, p.Name)
	}
	return n
}

// checkLeases runs the spec's lease check with the subnet's active leases,
// read from the first peer that answers (HA peers hold the same leases).
func (s *Server) checkLeases(ctx context.Context, peers []apply.Peer, sp editSpec, cfg apply.Config) error {
	var errs []error
	for _, p := range peers {
		problems, err := sp.leases(ctx, p, cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return problems
	}
	return &leaseReadError{errors.Join(errs...)}
}

// addressLeases is a lease check on a subnet's active addresses.
func addressLeases(daemon string, subnet int64, stranded func(apply.Config, []netip.Addr) error) func(context.Context, apply.Peer, apply.Config) (error, error) {
	return func(ctx context.Context, p apply.Peer, c apply.Config) (error, error) {
		leases, err := edit.ActiveLeases(ctx, p.Client, p.Service, daemon, subnet, time.Now())
		if err != nil {
			return nil, err
		}
		return stranded(c, leases), nil
	}
}

// prefixLeases is a lease check on a DHCPv6 subnet's delegated prefixes.
func prefixLeases(subnet int64, stranded func(apply.Config, []netip.Prefix) error) func(context.Context, apply.Peer, apply.Config) (error, error) {
	return func(ctx context.Context, p apply.Peer, c apply.Config) (error, error) {
		ps, err := edit.ActivePrefixes(ctx, p.Client, p.Service, subnet, time.Now())
		if err != nil {
			return nil, err
		}
		return stranded(c, ps), nil
	}
}

type leaseReadError struct{ err error }

func (e *leaseReadError) Error() string {
	return "the subnet's leases could not be read, and this change must be checked against them: " + e.err.Error()
}

// editFailed shows the form again, or the failure, for an error of
// Preview or Apply.
func (s *Server) editFailed(w http.ResponseWriter, r *http.Request, sp editSpec, d *editData, err error) {
	var probs edit.Problems
	var ee *apply.EditError
	var ce *apply.ConflictError
	var se *apply.StepError
	var le *leaseReadError
	switch {
	case errors.As(err, &probs):
		d.Problems = probs
		s.showForm(w, r, http.StatusBadRequest, sp, d)
	case errors.As(err, &ee):
		d.Problems = edit.Problems{*ee}
		s.showForm(w, r, http.StatusBadRequest, sp, d)
	case errors.Is(err, apply.ErrNoChange):
		d.Message = "The form changes nothing."
		s.showForm(w, r, http.StatusBadRequest, sp, d)
	case errors.As(err, &ce):
		d.Conflict = ce
		s.showForm(w, r, http.StatusConflict, sp, d)
	case errors.As(err, new(*apply.InDoubtError)):
		d.Message = "Refused, nothing was changed: " + err.Error()
		s.showForm(w, r, http.StatusServiceUnavailable, sp, d)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, apply.ErrRefused):
		d.Message = "Refused, nothing was changed: " + err.Error()
		if errors.Is(err, store.ErrUnavailable) {
			d.Message = "Refused, nothing was changed: the database (the change lock and the audit trail) is unavailable. Try again when it is back."
		}
		s.showForm(w, r, http.StatusServiceUnavailable, sp, d)
	case errors.As(err, &le), errors.As(err, &se):
		d.Message = "Nothing was changed: " + err.Error()
		s.showForm(w, r, http.StatusBadGateway, sp, d)
	default:
		var kerr keaErr
		if errors.As(err, &kerr) {
			d.Message = "Nothing was changed: " + err.Error()
			s.showForm(w, r, http.StatusBadGateway, sp, d)
			return
		}
		s.log.Error("edit", "kind", sp.kind, "err", err)
		d.Message = "Nothing was changed: " + err.Error()
		s.showForm(w, r, http.StatusInternalServerError, sp, d)
	}
}

// keaErr matches keaview's not-found and keactl errors by behaviour.
type keaErr interface{ FailureReason() string }

// hiddenOf carries a submitted form into the confirm step (less the step
// and the token, which the template writes itself).
func hiddenOf(v url.Values) []hiddenField {
	var out []hiddenField
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "step" || k == "csrf_token" {
			continue
		}
		for _, x := range v[k] {
			out = append(out, hiddenField{k, x})
		}
	}
	return out
}

// showEditPage is the GET side of every edit form: read every peer's
// configuration, then build the form's view model from it (an error from
// view is a 404: the object is not in the configuration).
func (s *Server) showEditPage(w http.ResponseWriter, r *http.Request, kind, title string, k config.Kea, l inbox.PageLabels, view func(c apply.Config) (any, error)) {
	d := s.newEditData(kind, l, r.URL.Path)
	cfg, err := s.readForEdit(r.Context(), k, l["daemon"], d)
	if err != nil {
		d.Message = "Kea could not be read, so nothing can be edited now: " + err.Error()
		s.renderEdit(w, r, http.StatusBadGateway, title, d)
		return
	}
	v, err := view(cfg)
	if err != nil {
		s.fail(w, r, nil, http.StatusNotFound, err.Error())
		return
	}
	d.Form = v
	s.renderEdit(w, r, http.StatusOK, title, d)
}

// badForm answers a form that could not be read at all.
func (s *Server) badForm(w http.ResponseWriter, r *http.Request, sp editSpec, err error) {
	d := s.newEditData(sp.kind, sp.l, r.URL.Path)
	d.Message = err.Error()
	s.showForm(w, r, http.StatusBadRequest, sp, d)
}

// formField is one labelled input of an edit form.
type formField struct {
	D                        *editData
	Name, Label, Value, Hint string
}

// alertDashboard is the dashboard link of an alert firing on the page,
// for the result page when the editor has no grafana-url of its own.
func (s *Server) alertDashboard(ctx context.Context, l inbox.PageLabels) string {
	as, err := s.store.Firing(ctx, l)
	if err != nil {
		return ""
	}
	for _, a := range as {
		if u := a.Annotations["dashboard_url"]; strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			return u
		}
	}
	return ""
}
