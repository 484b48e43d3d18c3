package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/hostsdb"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// reservationsForm is the reservations page's view model: the subnet's
// reservations (configuration and hosts database) and the form.
type reservationsForm struct {
	SubnetID int64
	Prefix   string
	V6       bool
	DB       bool   // new reservations go to Kea's hosts database
	DBErr    string // the hosts database could not be read
	DBBase   string
	Hosts    []edit.Host
	IDTypes  []string
	edit.ReservationForm
}

// hostsOf reads the subnet's reservations in Kea's hosts database, when
// the daemon has one: conn is "" without.
func hostsOf(ctx context.Context, c apply.Config, daemon string, id int64) (hosts []edit.Host, conn string, err error) {
	entry := edit.HostsDatabase(c, daemon)
	if entry == nil {
		return nil, "", nil
	}
	conn, err = hostsdb.ConnString(entry)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	hosts, err = hostsdb.List(ctx, conn, daemon, id)
	return hosts, conn, err
}

func reservationsView(ctx context.Context, c apply.Config, daemon string, id int64, submitted *edit.ReservationForm, editKey string) (any, error) {
	loc, err := edit.FindSubnet(c, daemon, id)
	if err != nil {
		return nil, err
	}
	hosts, err := edit.ConfigHosts(c, daemon, id)
	if err != nil {
		return nil, err
	}
	f := reservationsForm{SubnetID: id, Prefix: fmt.Sprint(loc.Subnet["subnet"]), V6: daemon == "dhcp6", IDTypes: edit.IdentifierTypes,
		ReservationForm: edit.ReservationForm{IDType: "hw-address"}}
	db, conn, err := hostsOf(ctx, c, daemon, id)
	if conn != "" {
		f.DB = true
		if err != nil {
			f.DBErr = err.Error()
		}
		f.DBBase = hostsdb.Hash(db)
		hosts = append(hosts, db...)
	}
	f.Hosts = hosts
	if submitted != nil {
		f.ReservationForm = *submitted
	} else if editKey != "" {
		if i := slices.IndexFunc(hosts, func(h edit.Host) bool { return h.Key() == editKey }); i >= 0 {
			h := hosts[i]
			f.ReservationForm = edit.ReservationForm{Orig: editKey, IDType: h.IDType, ID: h.ID, Addresses: strings.Join(h.Addresses, ", "),
				Prefixes: strings.Join(h.Prefixes, ", "), Hostname: h.Hostname, Classes: strings.Join(h.Classes, ", ")}
		}
	}
	return f, nil
}

func reservationsTitle(l inbox.PageLabels) string {
	return "Reservations of subnet " + l["subnet_id"] + " (" + l["daemon"] + ") of " + l["server"]
}

// subnetReservationsEdit lists a subnet's reservations with a form to add
// one, or to edit or delete the one named by ?edit=type=identifier
// (operator).
func (s *Server) subnetReservationsEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	s.showEditPage(w, r, "reservations", reservationsTitle(l), k, l, func(c apply.Config) (any, error) {
		return reservationsView(r.Context(), c, l["daemon"], id(l, "subnet_id"), nil, r.URL.Query().Get("edit"))
	})
}
