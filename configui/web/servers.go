package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
)

type serverRow struct {
	Kea    config.Kea
	Live   *keaview.Server
	Firing int // -1: unknown (database away)
}

type serversData struct {
	Rows  []serverRow
	Pairs []keaview.HAPair
}

// servers lists the configured Kea servers: state, versions and daemons
// live from Kea, HA pairs side by side, and their firing alerts.
func (s *Server) servers(w http.ResponseWriter, r *http.Request) {
	var d serversData
	live := map[string]*keaview.Server{}
	if s.kea != nil {
		ov := s.kea.Overview(r.Context())
		for i := range ov.Servers {
			live[ov.Servers[i].Name] = &ov.Servers[i]
		}
		d.Pairs = ov.Pairs
	}
	for _, k := range s.cfg.Kea {
		row := serverRow{Kea: k, Live: live[k.Name], Firing: -1}
		if as, err := s.store.Firing(r.Context(), inbox.PageLabels{"server": k.Name}); err == nil {
			row.Firing = len(as)
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, "servers", page{Title: "Kea servers", Data: d})
}
