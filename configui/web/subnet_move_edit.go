package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

func subnetMoveTitle(l inbox.PageLabels) string {
	return "Shared network of subnet " + l["subnet_id"] + " (" + l["daemon"] + ") of " + l["server"]
}

// subnetMoveEdit offers to move a subnet into a shared network or out of
// it (operator).
func (s *Server) subnetMoveEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	s.showEditPage(w, r, "subnet-move", subnetMoveTitle(l), k, l, func(c apply.Config) (any, error) {
		v, err := subnetRefView(c, l["daemon"], id(l, "subnet_id"))
		v.To = v.SharedNetwork
		return v, err
	})
}
