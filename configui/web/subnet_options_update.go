package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetOptionsUpdate takes the raw option form (operator). The data of
// the common options is checked here; every option is checked by Kea's own
// definitions in the config-test of every peer before anything is set.
func (s *Server) subnetOptionsUpdate(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	subnet := id(l, "subnet_id")
	f, common, err := form.ReadOption(r, l["daemon"], subnet)
	sp := editSpec{kind: "options", title: optionsTitle(l), k: k, l: l, common: common, subnetID: subnet,
		edit: f.Edit(), summary: f.Summary(),
		view: func(c apply.Config) any { v, _ := optionsView(c, l["daemon"], subnet, f); return v }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
