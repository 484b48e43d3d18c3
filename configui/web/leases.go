package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/form"
)

type leasesData struct {
	Search    form.LeaseSearch
	KeaNotice string
}

// leases is the lease search form (GET: searching changes nothing).
func (s *Server) leases(w http.ResponseWriter, r *http.Request) {
	f, err := form.ReadLeaseSearch(r)
	p := page{Title: "Lease search", Data: leasesData{Search: f, KeaNotice: keaNotice}}
	status := http.StatusOK
	if err != nil {
		p.Error, status = err.Error(), http.StatusBadRequest
	}
	s.render(w, r, status, "leases", p)
}
