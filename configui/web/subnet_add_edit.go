package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// subnetAddForm is the add-a-subnet form's view model.
type subnetAddForm struct {
	edit.NewSubnet
	SharedNetworks []string
}

func subnetAddView(c apply.Config, daemon string, submitted *edit.NewSubnet) any {
	f := subnetAddForm{NewSubnet: edit.NewSubnet{Daemon: daemon}, SharedNetworks: edit.SharedNetworks(c, daemon)}
	if submitted != nil {
		f.NewSubnet = *submitted
	}
	return f
}

func subnetAddTitle(l inbox.PageLabels) string {
	return "Add a " + l["daemon"] + " subnet to " + l["server"]
}

// subnetAddEdit shows the add-a-subnet form (operator).
func (s *Server) subnetAddEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon")
	if !ok {
		return
	}
	s.showEditPage(w, r, "subnet-add", subnetAddTitle(l), k, l, func(c apply.Config) (any, error) {
		return subnetAddView(c, l["daemon"], nil), nil
	})
}
