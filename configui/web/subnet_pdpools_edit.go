package web

import (
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// pdPoolsForm is the pd-pools form's view model.
type pdPoolsForm struct {
	SubnetID int64
	Existing int
	Rows     []pdRowView
}

type pdRowView struct {
	edit.PDRow
	Index             int
	Field, LenField   string
	Current           string
	Existing          bool
	Problem, LenError string
}

func pdPoolsView(c apply.Config, id int64, submitted *edit.PDPools, probs edit.Problems) (any, error) {
	cur, err := edit.CurrentPDPools(c, id)
	if err != nil {
		return nil, err
	}
	f := pdPoolsForm{SubnetID: id, Existing: len(cur)}
	rows := append([]edit.PDRow(nil), cur...)
	rows = append(rows, edit.PDRow{}, edit.PDRow{})
	if submitted != nil && submitted.Existing == len(cur) {
		rows = submitted.Rows
	}
	for i, r := range rows {
		v := pdRowView{PDRow: r, Index: i, Field: edit.PDField(i), LenField: edit.PDLenField(i), Existing: i < len(cur)}
		if v.Existing {
			v.Current = cur[i].Prefix + " delegating /" + cur[i].Delegated
		}
		f.Rows = append(f.Rows, v)
	}
	return f, nil
}

func pdPoolsTitle(l inbox.PageLabels) string {
	return "Prefix delegation pools of subnet " + l["subnet_id"] + " (dhcp6) of " + l["server"]
}

// subnetPDPoolsEdit shows the pd-pools form of a DHCPv6 subnet (operator).
func (s *Server) subnetPDPoolsEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	if l["daemon"] != "dhcp6" {
		s.fail(w, r, nil, http.StatusNotFound, "Prefix delegation is DHCPv6 only.")
		return
	}
	s.showEditPage(w, r, "pd-pools", pdPoolsTitle(l), k, l, func(c apply.Config) (any, error) {
		return pdPoolsView(c, id(l, "subnet_id"), nil, nil)
	})
}
