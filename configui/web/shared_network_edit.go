package web

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// sharedNetworkForm is the shared network settings form's view model: the
// subnet settings form's fields (template "f-settings"), set on the shared
// network.
type sharedNetworkForm struct {
	edit.Settings
	SharedNetwork string
	Subnets       []netip.Prefix
	V6            bool
	Inherited     map[string]string // Kea key → the global value
}

func sharedNetworkView(c apply.Config, daemon, name string, submitted *edit.SharedNetworkSettings) (any, error) {
	cur, prefixes, err := edit.CurrentSharedNetworkSettings(c, daemon, name)
	if err != nil {
		return nil, err
	}
	f := sharedNetworkForm{Settings: cur.Settings, SharedNetwork: name, Subnets: prefixes, V6: daemon == "dhcp6", Inherited: map[string]string{}}
	for _, k := range []string{"valid-lifetime", "renew-timer", "rebind-timer", "preferred-lifetime"} {
		if n, ok := edit.Inherited(c, daemon, "", k); ok {
			f.Inherited[k] = strconv.FormatInt(n, 10)
		}
	}
	if submitted != nil {
		f.Settings = submitted.Settings
	}
	return f, nil
}

func sharedNetworkTitle(l inbox.PageLabels) string {
	return "Settings of shared network " + l["shared_network"] + " (" + l["daemon"] + ") of " + l["server"]
}

// sharedNetworkEdit shows the settings form of a shared network
// (operator): the subnet settings, for every subnet in it.
func (s *Server) sharedNetworkEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "shared_network")
	if !ok {
		return
	}
	s.showEditPage(w, r, "shared-network-settings", sharedNetworkTitle(l), k, l, func(c apply.Config) (any, error) {
		return sharedNetworkView(c, l["daemon"], l["shared_network"], nil)
	})
}
