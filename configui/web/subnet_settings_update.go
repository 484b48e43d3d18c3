package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// subnetSettingsUpdate takes the settings form (operator).
func (s *Server) subnetSettingsUpdate(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	subnet := id(l, "subnet_id")
	f, common, err := form.ReadSettings(r, l["daemon"], subnet)
	sp := editSpec{kind: "settings", title: settingsTitle(l), k: k, l: l, common: common, subnetID: subnet,
		edit: f.Edit(), summary: f.Summary(),
		view: func(c apply.Config) any { v, _ := settingsView(c, l["daemon"], subnet, &f); return v }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
