package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/rules"
)

// keaData is the frame every Kea page shares: which server and object it
// is about, what Kea says about it (View, from keaview), and the firing
// alerts whose labels match it.
type keaData struct {
	Kind      string // server, ha, subnets, subnet, pool, pd-pool, shared-network
	Server    config.Kea
	Labels    inbox.PageLabels
	Alerts    []inbox.Alert
	AlertsErr string
	View      any    // the keaview model of the page
	KeaErr    string // why Kea's part is missing
	Extra     any    // page-specific (the subnet list's filter and alerts)
}

// pageLabels reads and checks the path's labels: the server must be
// configured, the daemon dhcp4 or dhcp6, IDs numbers. ok is false after a
// 404 was written.
func (s *Server) pageLabels(w http.ResponseWriter, r *http.Request, names ...string) (config.Kea, inbox.PageLabels, bool) {
	l := inbox.PageLabels{}
	k, found := s.cfg.Server(r.PathValue("server"))
	if !found {
		s.fail(w, r, nil, http.StatusNotFound, "No Kea server named "+strconv.Quote(r.PathValue("server"))+" in the editor's configuration.")
		return k, nil, false
	}
	l["server"] = k.Name
	for _, n := range names {
		v := r.PathValue(n)
		switch n {
		case "daemon":
			if v != "dhcp4" && v != "dhcp6" || len(k.Daemons) > 0 && !slices.Contains(k.Daemons, v) {
				s.fail(w, r, nil, http.StatusNotFound, "Server "+k.Name+" has no daemon "+strconv.Quote(v)+".")
				return k, nil, false
			}
		case "subnet_id", "pool_id":
			if id, err := strconv.ParseUint(v, 10, 32); err != nil || (n == "subnet_id" && id == 0) {
				s.fail(w, r, nil, http.StatusNotFound, n+" "+strconv.Quote(v)+" is not a Kea ID.")
				return k, nil, false
			}
		case "shared_network":
			if v == "" || len(v) > 256 {
				s.fail(w, r, nil, http.StatusNotFound, "Not a shared network name.")
				return k, nil, false
			}
		}
		l[n] = v
	}
	return k, l, true
}

func id(l inbox.PageLabels, name string) int64 {
	n, _ := strconv.ParseInt(l[name], 10, 64)
	return n
}

// keaPage renders a Kea page: load reads Kea through keaview, the alerts
// come from the inbox. Either may fail without the other: while the
// database is away the page still shows Kea, and while Kea is unreachable
// it still shows the alerts (often about exactly that). An object Kea does
// not have is a 404.
func (s *Server) keaPage(w http.ResponseWriter, r *http.Request, kind, title string, k config.Kea, l inbox.PageLabels, load func(context.Context, *keaview.View) (any, error), extra ...any) {
	d := keaData{Kind: kind, Server: k, Labels: l}
	if len(extra) > 0 {
		d.Extra = extra[0]
	}
	status := http.StatusOK
	if s.kea == nil {
		d.KeaErr = "The editor has no Kea view configured."
	} else {
		v, err := load(r.Context(), s.kea)
		switch {
		case errors.Is(err, keaview.ErrNotFound):
			s.fail(w, r, nil, http.StatusNotFound, err.Error())
			return
		case err != nil:
			d.KeaErr = "Kea could not be read: " + err.Error()
			status = http.StatusBadGateway
		default:
			d.View = v
		}
	}
	// On the subnet list a subnet's alerts are on its row; here only the
	// daemon's own.
	as, err := s.store.FiringBy(r.Context(), l, store.FiringFilter{WithoutSubnet: kind == "subnets"})
	switch {
	case errors.Is(err, store.ErrUnavailable):
		d.AlertsErr = "The alert inbox is unavailable while the database is away."
	case err != nil:
		s.log.Error("reading alerts for a page", "err", err)
		d.AlertsErr = "The alerts could not be read."
	default:
		d.Alerts = as
	}
	s.render(w, r, status, "kea", page{Title: title, Crumbs: crumbs(l), Data: d})
}

// crumbs is the trail from the server list down to the page.
func crumbs(l inbox.PageLabels) []crumb {
	var links rules.Links
	c := []crumb{{"Servers", "/servers"}, {l["server"], links.ConfigUIURL(rules.ConfigUIServer, l)}}
	if d := l["daemon"]; d != "" {
		c = append(c, crumb{d + " subnets", links.ConfigUIURL("/servers/{server}/{daemon}/subnets", l)})
	}
	if l["subnet_id"] != "" {
		c = append(c, crumb{"subnet " + l["subnet_id"], links.ConfigUIURL(rules.ConfigUISubnet, l)})
	}
	return c
}
