package web

import (
	"net/http"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// settingsForm is the subnet settings form's view model.
type settingsForm struct {
	edit.Settings
	Prefix, SharedNetwork string
	V6                    bool
	Inherited             map[string]string // Kea key → value in effect above the subnet
}

func settingsView(c apply.Config, daemon string, id int64, submitted *edit.Settings) (any, error) {
	cur, loc, err := edit.CurrentSettings(c, daemon, id)
	if err != nil {
		return nil, err
	}
	f := settingsForm{Settings: cur, SharedNetwork: loc.SharedNetwork, V6: daemon == "dhcp6", Inherited: map[string]string{}}
	f.Prefix, _ = loc.Subnet["subnet"].(string)
	for _, k := range []string{"valid-lifetime", "renew-timer", "rebind-timer", "preferred-lifetime"} {
		if n, ok := edit.Inherited(c, daemon, loc.SharedNetwork, k); ok {
			f.Inherited[k] = strconv.FormatInt(n, 10)
		}
	}
	if submitted != nil {
		f.Settings = *submitted
	}
	return f, nil
}

func settingsTitle(l inbox.PageLabels) string {
	return "Settings of subnet " + l["subnet_id"] + " (" + l["daemon"] + ") of " + l["server"]
}

// subnetSettingsEdit shows the settings form of a subnet (operator):
// lifetimes, routers, DNS servers, domain name, relay addresses, class.
func (s *Server) subnetSettingsEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	s.showEditPage(w, r, "settings", settingsTitle(l), k, l, func(c apply.Config) (any, error) {
		return settingsView(c, l["daemon"], id(l, "subnet_id"), nil)
	})
}
