package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/keaview"
)

type leasesData struct {
	Search form.LeaseSearch
	Result *keaview.LeaseResult
}

// leases searches every server's leases (GET: searching changes nothing):
// by IP, MAC, client-id, DUID or hostname, each lease with the HA peer that
// answered; servers that failed are listed beside the results.
func (s *Server) leases(w http.ResponseWriter, r *http.Request) {
	f, err := form.ReadLeaseSearch(r)
	d := leasesData{Search: f}
	p := page{Title: "Lease search", Data: &d}
	status := http.StatusOK
	switch {
	case err != nil:
		p.Error, status = err.Error(), http.StatusBadRequest
	case f.Text != "" && s.kea == nil:
		p.Error = "The editor has no Kea view configured."
	case f.Text != "":
		res := s.kea.SearchLeases(r.Context(), f.Query)
		d.Result = &res
	}
	s.render(w, r, status, "leases", p)
}
