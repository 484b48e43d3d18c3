package web

import (
	"io/fs"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/rules"
)

// access says who may use a route.
type access int

const (
	public   access = iota // anyone: health, sign-in, static files
	bearer                 // the webhook: its own bearer token
	viewer                 // a signed-in user
	operator               // a signed-in operator or admin
	admin                  // a signed-in admin
)

func (a access) role() string {
	switch a {
	case operator:
		return auth.Operator
	case admin:
		return auth.Admin
	}
	return auth.Viewer
}

type route struct {
	pattern string
	access  access
	handler http.HandlerFunc
}

// routes is every route of the editor, in one place. The Kea pages are at
// exactly the rules.ConfigUI* patterns that alerts link to.
func (s *Server) routes() []route {
	static, _ := fs.Sub(staticFS, "static")
	return []route{
		{"GET /-/healthy", public, s.healthy},
		{"GET /-/ready", public, s.ready},
		{"GET /static/", public, http.StripPrefix("/static/", http.FileServerFS(static)).ServeHTTP},
		{"GET /login", public, s.loginForm},
		{"POST /login", public, s.loginSubmit},
		{"POST " + rules.ConfigUIInbox, bearer, s.webhook},

		{"POST /logout", viewer, s.logout},
		{"GET /{$}", viewer, s.home},
		{"GET /inbox", viewer, s.inbox},
		{"GET /leases", viewer, s.leases},
		{"GET /servers", viewer, s.servers},
		{"GET " + rules.ConfigUIServer, viewer, s.server},
		{"GET " + rules.ConfigUIHA, viewer, s.ha},
		{"GET /servers/{server}/{daemon}/subnets", viewer, s.subnets},
		{"GET " + rules.ConfigUISubnet, viewer, s.subnet},
		{"GET " + rules.ConfigUIPool, viewer, s.pool},
		{"GET " + rules.ConfigUIPDPool, viewer, s.pdPool},
		{"GET " + rules.ConfigUISharedNetwork, viewer, s.sharedNetwork},
		{"GET " + cbList, viewer, s.configBackend},

		{"GET /audit", operator, s.audit},
		{"GET /changes", operator, s.changes},
		{"GET /changes/{change_id}", operator, s.change},
		{"GET " + editPools, operator, s.subnetPoolsEdit},
		{"POST " + editPools, operator, s.subnetPoolsUpdate},
		{"GET " + editPDPools, operator, s.subnetPDPoolsEdit},
		{"POST " + editPDPools, operator, s.subnetPDPoolsUpdate},
		{"GET " + editReservations, operator, s.subnetReservationsEdit},
		{"POST " + editReservations, operator, s.subnetReservationsUpdate},
		{"GET " + editOptions, operator, s.subnetOptionsEdit},
		{"POST " + editOptions, operator, s.subnetOptionsUpdate},
		{"GET " + editSettings, operator, s.subnetSettingsEdit},
		{"POST " + editSettings, operator, s.subnetSettingsUpdate},
		{"GET " + editRemove, operator, s.subnetRemoveEdit},
		{"POST " + editRemove, operator, s.subnetRemove},
		{"GET " + editMove, operator, s.subnetMoveEdit},
		{"POST " + editMove, operator, s.subnetMove},
		{"GET " + editSubnetAdd, operator, s.subnetAddEdit},
		{"POST " + editSubnetAdd, operator, s.subnetAdd},
		{"GET " + editSharedNet, operator, s.sharedNetworkEdit},
		{"POST " + editSharedNet, operator, s.sharedNetworkUpdate},
		{"GET " + cbAdd, operator, s.cbEditPage},
		{"POST " + cbAdd, operator, s.cbEdit},
		{"GET " + cbSubnet, operator, s.cbEditPage},
		{"POST " + cbSubnet, operator, s.cbEdit},

		{"GET /users", admin, s.users},
		{"POST /users", admin, s.userCreate},
		{"POST /users/{username}/delete", admin, s.userDelete},
		{"POST /changes/{change_id}/close", admin, s.changeClose},
	}
}

// buildHandler wraps every route in what its access needs, and the whole
// mux in security headers, cross-origin protection and the on-fail gate.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		var h http.Handler = rt.handler
		switch rt.access {
		case public, bearer:
		default:
			h = s.requireUser(rt.access.role(), h)
		}
		mux.Handle(rt.pattern, h)
	}
	cop := http.NewCrossOriginProtection()
	return s.headers(s.gate(cop.Handler(mux)))
}
