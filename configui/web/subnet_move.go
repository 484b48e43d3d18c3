package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetMove takes the shared-network form (operator).
func (s *Server) subnetMove(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	subnet := id(l, "subnet_id")
	f, common, err := form.ReadMoveSubnet(r, l["daemon"], subnet)
	sp := editSpec{kind: "subnet-move", title: subnetMoveTitle(l), k: k, l: l, common: common, subnetID: subnet,
		edit: f.Edit(), summary: f.Summary(),
		view: func(c apply.Config) any {
			v, _ := subnetRefView(c, l["daemon"], subnet)
			v.To = f.To
			return v
		}}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
