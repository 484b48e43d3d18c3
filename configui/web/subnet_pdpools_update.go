package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetPDPoolsUpdate takes the pd-pools form (operator); a shrink or
// removal is checked against the delegated prefixes in use.
func (s *Server) subnetPDPoolsUpdate(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	if l["daemon"] != "dhcp6" {
		s.fail(w, r, nil, http.StatusNotFound, "Prefix delegation is DHCPv6 only.")
		return
	}
	subnet := id(l, "subnet_id")
	f, common, err := form.ReadPDPools(r, subnet)
	sp := editSpec{kind: "pd-pools", title: pdPoolsTitle(l), k: k, l: l, common: common, subnetID: subnet,
		edit: f.Edit(), summary: f.Summary(), leases: prefixLeases(subnet, f.Stranded),
		view: func(c apply.Config) any { v, _ := pdPoolsView(c, subnet, &f, nil); return v }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
