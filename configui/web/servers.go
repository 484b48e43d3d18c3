package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

type serverRow struct {
	Kea    config.Kea
	Firing int // -1: unknown (database away)
}

// servers lists the configured Kea servers with their firing alerts.
func (s *Server) servers(w http.ResponseWriter, r *http.Request) {
	rows := make([]serverRow, 0, len(s.cfg.Kea))
	for _, k := range s.cfg.Kea {
		row := serverRow{Kea: k, Firing: -1}
		if as, err := s.store.Firing(r.Context(), inbox.PageLabels{"server": k.Name}); err == nil {
			row.Firing = len(as)
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "servers", page{Title: "Kea servers", Notice: keaNotice, Data: rows})
}
