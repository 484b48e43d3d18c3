package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/form"
)

// sharedNetworkUpdate takes the shared network settings form (operator).
func (s *Server) sharedNetworkUpdate(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "shared_network")
	if !ok {
		return
	}
	f, common, err := form.ReadSharedNetworkSettings(r, l["daemon"], l["shared_network"])
	sp := editSpec{kind: "shared-network-settings", title: sharedNetworkTitle(l), k: k, l: l, common: common,
		edit: f.Edit(), summary: f.Summary(),
		view: func(c apply.Config) any { v, _ := sharedNetworkView(c, l["daemon"], l["shared_network"], &f); return v }}
	if err != nil {
		s.badForm(w, r, sp, err)
		return
	}
	s.runEdit(w, r, sp)
}
