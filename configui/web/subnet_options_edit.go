package web

import (
	"fmt"
	"net/http"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/inbox"
)

// optionsForm is the raw option form's view model: the subnet's own
// option-data and the form.
type optionsForm struct {
	SubnetID int64
	Prefix   string
	Options  []map[string]any
	edit.OptionForm
}

func optionsView(c apply.Config, daemon string, id int64, submitted *edit.OptionForm) (any, error) {
	loc, err := edit.FindSubnet(c, daemon, id)
	if err != nil {
		return nil, err
	}
	f := optionsForm{SubnetID: id, Prefix: fmt.Sprint(loc.Subnet["subnet"]), OptionForm: edit.OptionForm{CSV: true}}
	opts, _ := loc.Subnet["option-data"].([]any)
	for _, o := range opts {
		if m, ok := o.(map[string]any); ok {
			f.Options = append(f.Options, m)
		}
	}
	if submitted != nil {
		f.OptionForm = *submitted
	}
	return f, nil
}

func optionsTitle(l inbox.PageLabels) string {
	return "Options of subnet " + l["subnet_id"] + " (" + l["daemon"] + ") of " + l["server"]
}

// subnetOptionsEdit shows the subnet's own options and a form to set or
// remove any one by name or code (operator).
func (s *Server) subnetOptionsEdit(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	s.showEditPage(w, r, "options", optionsTitle(l), k, l, func(c apply.Config) (any, error) {
		return optionsView(c, l["daemon"], id(l, "subnet_id"), nil)
	})
}
