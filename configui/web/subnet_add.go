package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetAdd takes the add-a-subnet form (operator).
func (s *Server) subnetAdd(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon")
	if !ok {
		return
	}
	f, common, err := form.ReadNewSubnet(r, l["daemon"])
	sp := editSpec{kind: "subnet-add", title: subnetAddTitle(l), k: k, l: l, common: common,
		edit: f.Edit(), summary: f.Summary(),
		view: func(c apply.Config) any { return subnetAddView(c, l["daemon"], &f) }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
