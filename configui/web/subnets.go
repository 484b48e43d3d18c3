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
	// Origins marks each subnet "config file" or "config backend" on a
	// server with a configuration backend (nil without one).
	Origins    map[string]string
	OriginsErr string
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
	// Alerts of a subnet (or of one of its pools) carry its subnet_id. Every
	// alerting subnet for the filter (a server may have thousands), then the
	// alerts of the page's rows only.
	alerting, aerr := s.store.FiringSubnets(r.Context(), l)
	if f.AlertingOnly && errors.Is(aerr, store.ErrUnavailable) {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "\"Alerting only\" needs the alert inbox, which is unavailable while the database is away.")
		return
	}
	s.keaPage(w, r, "subnets", l["daemon"]+" subnets of "+k.Name, k, l, func(ctx context.Context, v *keaview.View) (any, error) {
		pg, err := v.Subnets(ctx, k.Name, l["daemon"], keaview.SubnetQuery{Prefix: f.Prefix, ID: f.ID, SharedNetwork: f.SharedNetwork,
			AlertingOnly: f.AlertingOnly, Alerting: func(sl keaview.Labels) bool { return alerting[sl.SubnetID] },
			Page: f.Page, PerPage: 50})
		if err != nil {
			return nil, err
		}
		if ex.Origins, err = s.subnetOrigins(ctx, k, l["daemon"]); err != nil {
			ex.OriginsErr = err.Error()
		}
		if len(alerting) > 0 {
			ids := make([]string, 0, len(pg.Rows))
			for _, row := range pg.Rows {
				if alerting[row.Labels.SubnetID] {
					ids = append(ids, row.Labels.SubnetID)
				}
			}
			// A failure here shows as the page's own "alerts could not be read".
			as, _ := s.store.FiringBy(ctx, l, store.FiringFilter{SubnetIDs: ids})
			for _, a := range as {
				ex.BySubnet[a.Labels["subnet_id"]] = append(ex.BySubnet[a.Labels["subnet_id"]], a)
			}
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
