package web

import (
	"bytes"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/rules"
)

// crumb is one step of the breadcrumb trail.
type crumb struct{ Title, URL string }

// page is what every template gets.
type page struct {
	Title   string
	User    *User
	CSRF    string
	Crumbs  []crumb
	Error   string // shown at the top, role="alert"
	Notice  string
	DBUp    bool
	Data    any
	Version string
}

// render writes template name with data; a template error is a 500 and
// nothing half-written reaches the client.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	if p.User == nil {
		p.User = userOf(r)
	}
	p.CSRF = s.csrfFor(p.User)
	p.DBUp = s.store.Up()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("rendering page", "template", name, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, u *User, status int, msg string) {
	s.render(w, r, status, "error", page{Title: http.StatusText(status), User: u, Error: msg})
}

// alertPage is the editor page an alert belongs on: the most specific of
// the rules.ConfigUI* patterns its labels fill, or "" when it names no
// server.
func alertPage(a inbox.Alert) string {
	l := a.Labels
	var links rules.Links
	switch {
	case l["server"] == "":
		return ""
	case l["daemon"] != "" && l["subnet_id"] != "" && l["pool_id"] != "" && l["lease_type"] == "prefix":
		return links.ConfigUIURL(rules.ConfigUIPDPool, l)
	case l["daemon"] != "" && l["subnet_id"] != "" && l["pool_id"] != "":
		return links.ConfigUIURL(rules.ConfigUIPool, l)
	case l["daemon"] != "" && l["subnet_id"] != "":
		return links.ConfigUIURL(rules.ConfigUISubnet, l)
	case l["daemon"] != "" && l["shared_network"] != "":
		return links.ConfigUIURL(rules.ConfigUISharedNetwork, l)
	}
	return links.ConfigUIURL(rules.ConfigUIServer, l)
}
