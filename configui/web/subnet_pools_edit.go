package web

import (
	"fmt"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// poolsForm is the pools form's view model.
type poolsForm struct {
	SubnetID      int64
	Prefix        string
	SharedNetwork string
	Existing      int
	Rows          []poolRowView
}

type poolRowView struct {
	Index    int
	Field    string // pool.N
	Range    string // as submitted, or as configured
	Current  string // the configured range of an existing pool
	Class    string // the existing pool's class, or the new row's input
	Existing bool
}

// newPoolRows is how many empty rows the form offers for new pools.
const newPoolRows = 2

// poolsView builds the form from a configuration and, after a submit,
// the user's input.
func poolsView(c apply.Config, daemon string, id int64, submitted *edit.Pools) any {
	f := poolsForm{SubnetID: id}
	loc, err := edit.FindSubnet(c, daemon, id)
	if err != nil {
		return f
	}
	f.Prefix = fmt.Sprint(loc.Subnet["subnet"])
	f.SharedNetwork = loc.SharedNetwork
	pools, _ := loc.Subnet["pools"].([]any)
	f.Existing = len(pools)
	for i, p := range pools {
		pm, _ := p.(map[string]any)
		rng := fmt.Sprint(pm["pool"])
		cl, _ := pm["client-class"].(string)
		f.Rows = append(f.Rows, poolRowView{Index: i, Range: rng, Current: rng, Class: cl, Existing: true})
	}
	for i := 0; i < newPoolRows; i++ {
		f.Rows = append(f.Rows, poolRowView{Index: len(f.Rows)})
	}
	if submitted != nil && submitted.Existing == f.Existing {
		for i, row := range submitted.Rows {
			if i >= len(f.Rows) {
				f.Rows = append(f.Rows, poolRowView{Index: i})
			}
			f.Rows[i].Range = row.Range
			if i >= f.Existing {
				f.Rows[i].Class = row.Class
			}
		}
	}
	for i := range f.Rows {
		f.Rows[i].Field = edit.PoolField(i)
	}
	return f
}

// subnetPoolsEdit shows the pools form of a subnet (operator): one row per
// pool, its range editable (empty removes it), and rows for new pools.
func (s *Server) subnetPoolsEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	id := id(l, "subnet_id")
	s.showEditPage(w, r, "pools", poolsTitle(l), k, l, func(c apply.Config) (any, error) {
		if _, err := edit.FindSubnet(c, l["daemon"], id); err != nil {
			return nil, err
		}
		return poolsView(c, l["daemon"], id, nil), nil
	})
}

func poolsTitle(l inbox.PageLabels) string {
	return "Pools of subnet " + l["subnet_id"] + " (" + l["daemon"] + ") of " + l["server"]
}
