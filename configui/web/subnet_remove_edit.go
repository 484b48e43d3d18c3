package web

import (
	"fmt"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// subnetRefForm names the subnet a remove or move form is about.
type subnetRefForm struct {
	SubnetID       int64
	Prefix         string
	SharedNetwork  string   // where it is now
	SharedNetworks []string // where it may go
	To             string   // submitted
}

func subnetRefView(c apply.Config, daemon string, id int64) (subnetRefForm, error) {
	loc, err := edit.FindSubnet(c, daemon, id)
	if err != nil {
		return subnetRefForm{}, err
	}
	return subnetRefForm{SubnetID: id, Prefix: fmt.Sprint(loc.Subnet["subnet"]), SharedNetwork: loc.SharedNetwork,
		SharedNetworks: edit.SharedNetworks(c, daemon)}, nil
}

func subnetRemoveTitle(l inbox.PageLabels) string {
	return "Remove subnet " + l["subnet_id"] + " (" + l["daemon"] + ") from " + l["server"]
}

// subnetRemoveEdit asks to confirm the removal of a subnet (operator).
func (s *Server) subnetRemoveEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	s.showEditPage(w, r, "subnet-remove", subnetRemoveTitle(l), k, l, func(c apply.Config) (any, error) {
		return subnetRefView(c, l["daemon"], id(l, "subnet_id"))
	})
}
