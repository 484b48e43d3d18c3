package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetRemove takes the removal (operator); a subnet with active leases
// is refused before Kea is touched.
func (s *Server) subnetRemove(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	subnet := id(l, "subnet_id")
	f, common, err := form.ReadRemoveSubnet(r, l["daemon"], subnet)
	sp := editSpec{kind: "subnet-remove", title: subnetRemoveTitle(l), k: k, l: l, common: common, subnetID: subnet,
		edit: f.Edit(), summary: f.Summary(), leases: addressLeases(l["daemon"], subnet, f.Stranded),
		view: func(c apply.Config) any { v, _ := subnetRefView(c, l["daemon"], subnet); return v }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
