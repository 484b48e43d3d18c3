package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
)

// subnetsExtra is the subnet list's filter, the firing alerts per subnet
// and the paging links.
type subnetsExtra struct {
	Filter     form.SubnetFilter
	BySubnet   map[string][]inbox.Alert
	Prev, Next string
}

// subnets lists a daemon's subnets a page at a time, with utilisation and
// the alerts firing on each; "alerting only" keeps the subnets with one.
func (s *Server) subnets(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon")
	if !ok {
		return
	}
	f, err := form.ReadSubnetFilter(r)
	if err != nil {
		s.fail(w, r, nil, http.StatusBadRequest, err.Error())
		return
	}
	ex := &subnetsExtra{Filter: f, BySubnet: map[string][]inbox.Alert{}}
	// Alerts of a subnet (or of one of its pools) carry its subnet_id.
	as, aerr := s.store.Firing(r.Context(), l)
	for _, a := range as {
		if id := a.Labels["subnet_id"]; id != "" {
			ex.BySubnet[id] = append(ex.BySubnet[id], a)
		}
	}
	if f.AlertingOnly && errors.Is(aerr, store.ErrUnavailable) {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "\"Alerting only\" needs the alert inbox, which is unavailable while the database is away.")
		return
	}
	s.keaPage(w, r, "subnets", l["daemon"]+" subnets of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
		pg, err := v.Subnets(ctx, k.Name, l["daemon"], keaview.SubnetQuery{Prefix: f.Prefix, ID: f.ID, SharedNetwork: f.SharedNetwork,
			AlertingOnly: f.AlertingOnly, Alerting: func(sl keaview.Labels) bool { return len(ex.BySubnet[sl.SubnetID]) > 0 },
			Page: f.Page, PerPage: 50})
		if err != nil {
			return nil, err
		}
		link := func(p int) string {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(p))
			return r.URL.Path + "?" + q.Encode()
		}
		if pg.Page > 1 {
			ex.Prev = link(pg.Page - 1)
		}
		if pg.Page < pg.Pages {
			ex.Next = link(pg.Page + 1)
		}
		return pg, nil
	}, ex)
}
