package form

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/configbackend"
)

// BackendSubnet is the form of a subnet kept in Kea's configuration
// backend: add (Version empty), edit, or delete one.
type BackendSubnet struct {
	Step Step
	// Version is the subnet row's modification_ts (Subnet.Token) the form
	// was built from; a change made since is a conflict.
	Version                         string
	Delete                          bool
	ID, Prefix, SharedNetwork, Tag  string
	Interface                       string
	Pools                           []string // pool.0 … pool.N-1, as typed
	PDPools                         []string // pd.0 … pd.N-1 (DHCPv6): "prefix/len delegated"
	Valid, Renew, Rebind, Preferred string
}

// ReadBackendSubnet reads the form. Numbers are checked by Edit, so that
// every problem is named by its field.
func ReadBackendSubnet(r *http.Request) (BackendSubnet, error) {
	var f BackendSubnet
	if err := r.ParseForm(); err != nil {
		return f, fieldErr("form", "cannot be read: %v", err)
	}
	f.Step = Step(r.PostFormValue("step"))
	if f.Step != StepPreview && f.Step != StepApply {
		return f, fieldErr("step", "must be preview or apply")
	}
	err := fields(r, map[string]*string{"version": &f.Version, "id": &f.ID, "prefix": &f.Prefix, "shared_network": &f.SharedNetwork,
		"tag": &f.Tag, "interface": &f.Interface, "valid": &f.Valid, "renew": &f.Renew, "rebind": &f.Rebind, "preferred": &f.Preferred})
	if err != nil {
		return f, err
	}
	f.Delete = r.PostFormValue("delete") == "1"
	rows, err := strconv.Atoi(r.PostFormValue("rows"))
	if err != nil || rows < 0 || rows > maxRows {
		return f, fieldErr("rows", "the form is damaged: reload the page")
	}
	for i := range rows {
		v, err := value(r, "pool."+strconv.Itoa(i))
		if err != nil {
			return f, err
		}
		f.Pools = append(f.Pools, strings.TrimSpace(v))
	}
	if r.PostFormValue("pdrows") != "" {
		pd, err := strconv.Atoi(r.PostFormValue("pdrows"))
		if err != nil || pd < 0 || pd > maxRows {
			return f, fieldErr("pdrows", "the form is damaged: reload the page")
		}
		for i := range pd {
			v, err := value(r, "pd."+strconv.Itoa(i))
			if err != nil {
				return f, err
			}
			f.PDPools = append(f.PDPools, strings.TrimSpace(v))
		}
	}
	return f, nil
}

// Edit is the form as a configbackend edit, and for each of its pools the
// form row it came from (empty rows are left out); PDRows the same for
// the pd-pools.
func (f BackendSubnet) Edit() (configbackend.SubnetEdit, []int, error) {
	var e configbackend.SubnetEdit
	// 4294967295 is 32 bits but not an id: Kea keeps it for "unused".
	id, err := strconv.ParseUint(f.ID, 10, 32)
	if err != nil || id == 0 || id > 4294967294 {
		return e, nil, fieldErr("id", "%q is not a subnet id (1 to 4294967294)", f.ID)
	}
	e.ID, e.Prefix, e.SharedNetwork, e.Interface = uint32(id), f.Prefix, f.SharedNetwork, f.Interface
	if f.Tag != "" {
		e.Tags = []string{f.Tag}
	}
	var rows []int
	for i, p := range f.Pools {
		if p != "" {
			e.Pools = append(e.Pools, p)
			rows = append(rows, i)
		}
	}
	for _, p := range f.PDPools {
		if p != "" {
			e.PDPools = append(e.PDPools, p)
		}
	}
	for _, n := range []struct {
		field, v string
		dst      **int64
	}{{"valid", f.Valid, &e.ValidLifetime}, {"renew", f.Renew, &e.RenewTimer}, {"rebind", f.Rebind, &e.RebindTimer}, {"preferred", f.Preferred, &e.PreferredLifetime}} {
		if n.v == "" {
			continue
		}
		x, err := strconv.ParseInt(n.v, 10, 64)
		if err != nil {
			return e, rows, fieldErr(n.field, "%q is not a number of seconds", n.v)
		}
		*n.dst = &x
	}
	return e, rows, nil
}

// PDRows is, for each pd-pool of Edit, the form row it came from.
func (f BackendSubnet) PDRows() []int {
	var rows []int
	for i, p := range f.PDPools {
		if p != "" {
			rows = append(rows, i)
		}
	}
	return rows
}
