package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetPoolsUpdate takes the pools form (operator): preview shows the
// diff, apply makes the change on every peer. A shrink or removal is
// checked against the subnet's active leases before Kea is touched.
func (s *Server) subnetPoolsUpdate(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	subnet := id(l, "subnet_id")
	f, common, err := form.ReadPools(r, l["daemon"], subnet)
	sp := editSpec{kind: "pools", title: poolsTitle(l), k: k, l: l, common: common, subnetID: subnet,
		edit: f.Edit(), summary: f.Summary(), leases: addressLeases(l["daemon"], subnet, f.Stranded),
		view: func(c apply.Config) any { return poolsView(c, l["daemon"], subnet, &f) }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
