package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/store"
)

const inboxPageSize = 100

type inboxData struct {
	Filter     form.InboxFilter
	Alerts     []inbox.Alert
	Total      int
	Prev, Next string
	Servers    []string
}

// inbox lists stored alerts, newest first, a page at a time.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	f, err := form.ReadInboxFilter(r)
	if err != nil {
		s.fail(w, r, nil, http.StatusBadRequest, err.Error())
		return
	}
	d := inboxData{Filter: f}
	for _, k := range s.cfg.Kea {
		d.Servers = append(d.Servers, k.Name)
	}
	p := page{Title: "Alert inbox", Data: &d}
	d.Alerts, d.Total, err = s.store.Alerts(r.Context(), store.AlertQuery{Status: f.Status, Server: f.Server,
		Limit: inboxPageSize, Offset: (f.Page - 1) * inboxPageSize})
	if errors.Is(err, store.ErrUnavailable) {
		p.Error = "The database is unavailable, so the inbox cannot be read now; it reconnects by itself."
		s.render(w, r, http.StatusServiceUnavailable, "inbox", p)
		return
	}
	if err != nil {
		s.log.Error("reading the inbox", "err", err)
		s.fail(w, r, nil, http.StatusInternalServerError, "The inbox could not be read.")
		return
	}
	link := func(pg int) string {
		q := url.Values{}
		if f.Status != "" {
			q.Set("status", f.Status)
		}
		if f.Server != "" {
			q.Set("server", f.Server)
		}
		q.Set("page", strconv.Itoa(pg))
		return "/inbox?" + q.Encode()
	}
	if f.Page > 1 {
		d.Prev = link(f.Page - 1)
	}
	if f.Page*inboxPageSize < d.Total {
		d.Next = link(f.Page + 1)
	}
	s.render(w, r, http.StatusOK, "inbox", p)
}
