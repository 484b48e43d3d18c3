package form

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/edit"
)

// maxRows bounds the rows of a list form (pools, reservations).
const maxRows = 256

// Step is where an edit form is: "preview" shows the diff, "apply" makes
// the change.
type Step string

const (
	StepPreview Step = "preview"
	StepApply   Step = "apply"
)

// EditCommon is what every edit form carries: the step and the hash of
// each peer's configuration the form was built from.
type EditCommon struct {
	Step Step
	Base map[string]string // peer → configuration hash
}

// readCommon reads the step and the base hashes ("peer:hash", repeated).
func readCommon(r *http.Request) (EditCommon, error) {
	c := EditCommon{Step: Step(r.PostFormValue("step")), Base: map[string]string{}}
	if c.Step != StepPreview && c.Step != StepApply {
		return c, fieldErr("step", "must be preview or apply")
	}
	for _, b := range r.PostForm["base"] {
		peer, hash, ok := strings.Cut(b, ":")
		if !ok || peer == "" || len(hash) != 64 || len(peer) > maxField {
			return c, fieldErr("base", "the form's configuration hashes are damaged: reload the page")
		}
		c.Base[peer] = hash
	}
	if len(c.Base) == 0 {
		return c, fieldErr("base", "the form carries no configuration hash: reload the page")
	}
	return c, nil
}

// EncodeBase is the inverse of the base fields.
func EncodeBase(base map[string]string) []string {
	var out []string
	for p, h := range base {
		out = append(out, p+":"+h)
	}
	return out
}

// ReadPools reads the pools form of a subnet: rows pool.0 … pool.N (an
// existing pool's range, empty to remove it), class.N for new rows, and
// "existing", the number of the subnet's pools when the form was built.
func ReadPools(r *http.Request, daemon string, subnetID int64) (edit.Pools, EditCommon, error) {
	f := edit.Pools{Daemon: daemon, SubnetID: subnetID}
	if err := r.ParseForm(); err != nil {
		return f, EditCommon{}, fieldErr("form", "cannot be read: %v", err)
	}
	c, err := readCommon(r)
	if err != nil {
		return f, c, err
	}
	n, err := strconv.Atoi(r.PostFormValue("existing"))
	if err != nil || n < 0 || n > maxRows {
		return f, c, fieldErr("existing", "the form is damaged: reload the page")
	}
	rows, err := strconv.Atoi(r.PostFormValue("rows"))
	if err != nil || rows < n || rows > maxRows {
		return f, c, fieldErr("rows", "the form is damaged: reload the page")
	}
	f.Existing = n
	for i := range rows {
		rng, err := value(r, "pool."+strconv.Itoa(i))
		if err != nil {
			return f, c, err
		}
		cl, err := value(r, "class."+strconv.Itoa(i))
		if err != nil {
			return f, c, err
		}
		f.Rows = append(f.Rows, edit.PoolRow{Range: strings.TrimSpace(rng), Class: strings.TrimSpace(cl)})
	}
	return f, c, nil
}

// parseEdit parses the body and reads the common fields.
func parseEdit(r *http.Request) (EditCommon, error) {
	if err := r.ParseForm(); err != nil {
		return EditCommon{}, fieldErr("form", "cannot be read: %v", err)
	}
	return readCommon(r)
}

// fields reads text fields into their destinations, trimmed.
func fields(r *http.Request, dst map[string]*string) error {
	for name, p := range dst {
		v, err := value(r, name)
		if err != nil {
			return err
		}
		*p = strings.TrimSpace(v)
	}
	return nil
}

// ReadSettings reads the subnet settings form.
func ReadSettings(r *http.Request, daemon string, subnetID int64) (edit.Settings, EditCommon, error) {
	f := edit.Settings{Daemon: daemon, SubnetID: subnetID}
	c, err := parseEdit(r)
	if err != nil {
		return f, c, err
	}
	err = fields(r, map[string]*string{"valid": &f.Valid, "renew": &f.Renew, "rebind": &f.Rebind, "preferred": &f.Preferred,
		"routers": &f.Routers, "dns_servers": &f.DNSServers, "domain_name": &f.DomainName, "relay": &f.Relay, "client_class": &f.ClientClass})
	return f, c, err
}

// ReadSharedNetworkSettings reads the settings form of a shared network:
// the subnet settings form's fields.
func ReadSharedNetworkSettings(r *http.Request, daemon, name string) (edit.SharedNetworkSettings, EditCommon, error) {
	f, c, err := ReadSettings(r, daemon, 0)
	return edit.SharedNetworkSettings{Settings: f, Name: name}, c, err
}

// ReadNewSubnet reads the add-a-subnet form.
func ReadNewSubnet(r *http.Request, daemon string) (edit.NewSubnet, EditCommon, error) {
	f := edit.NewSubnet{Daemon: daemon}
	c, err := parseEdit(r)
	if err != nil {
		return f, c, err
	}
	err = fields(r, map[string]*string{"id": &f.ID, "prefix": &f.Prefix, "pool": &f.Pool, "pool_class": &f.PoolClass, "shared_network": &f.SharedNetwork})
	return f, c, err
}

// ReadMoveSubnet reads the shared-network form of a subnet.
func ReadMoveSubnet(r *http.Request, daemon string, subnetID int64) (edit.MoveSubnet, EditCommon, error) {
	f := edit.MoveSubnet{Daemon: daemon, SubnetID: subnetID}
	c, err := parseEdit(r)
	if err != nil {
		return f, c, err
	}
	err = fields(r, map[string]*string{"shared_network": &f.To})
	return f, c, err
}

// ReadRemoveSubnet reads the remove-a-subnet form (a confirmation).
func ReadRemoveSubnet(r *http.Request, daemon string, subnetID int64) (edit.RemoveSubnet, EditCommon, error) {
	f := edit.RemoveSubnet{Daemon: daemon, SubnetID: subnetID}
	c, err := parseEdit(r)
	return f, c, err
}

// ReadPDPools reads the pd-pools form: pd.N (prefix/length, empty removes
// an existing pool) and pdlen.N (delegated length), "existing" and "rows"
// as in the pools form.
func ReadPDPools(r *http.Request, subnetID int64) (edit.PDPools, EditCommon, error) {
	f := edit.PDPools{SubnetID: subnetID}
	c, err := parseEdit(r)
	if err != nil {
		return f, c, err
	}
	n, err := strconv.Atoi(r.PostFormValue("existing"))
	if err != nil || n < 0 || n > maxRows {
		return f, c, fieldErr("existing", "the form is damaged: reload the page")
	}
	rows, err := strconv.Atoi(r.PostFormValue("rows"))
	if err != nil || rows < n || rows > maxRows {
		return f, c, fieldErr("rows", "the form is damaged: reload the page")
	}
	f.Existing = n
	for i := range rows {
		var row edit.PDRow
		if err := fields(r, map[string]*string{edit.PDField(i): &row.Prefix, edit.PDLenField(i): &row.Delegated}); err != nil {
			return f, c, err
		}
		f.Rows = append(f.Rows, row)
	}
	return f, c, nil
}

// ReadReservation reads the reservation form: orig (the reservation edited
// or deleted, "type=identifier"; empty adds one), delete, id_type,
// identifier, address, prefixes, hostname, classes, and dbbase (the hash of
// the subnet's reservations in Kea's hosts database, when it has one).
func ReadReservation(r *http.Request, daemon string, subnetID int64) (*edit.ReservationForm, EditCommon, string, error) {
	f := &edit.ReservationForm{Daemon: daemon, SubnetID: subnetID}
	c, err := parseEdit(r)
	if err != nil {
		return f, c, "", err
	}
	var del, dbbase string
	if err := fields(r, map[string]*string{"orig": &f.Orig, "delete": &del, "id_type": &f.IDType, "identifier": &f.ID,
		"address": &f.Addresses, "prefixes": &f.Prefixes, "hostname": &f.Hostname, "classes": &f.Classes, "dbbase": &dbbase}); err != nil {
		return f, c, "", err
	}
	f.Delete = del == "1"
	if f.Delete && f.Orig == "" {
		return f, c, "", fieldErr("delete", "choose the reservation to delete")
	}
	return f, c, dbbase, nil
}

// ReadOption reads the raw option form: option (name or code), space,
// data, csv (checkbox, "1"), always (checkbox), remove (checkbox).
func ReadOption(r *http.Request, daemon string, subnetID int64) (*edit.OptionForm, EditCommon, error) {
	f := &edit.OptionForm{Daemon: daemon, SubnetID: subnetID}
	c, err := parseEdit(r)
	if err != nil {
		return f, c, err
	}
	var csv, always, remove string
	err = fields(r, map[string]*string{"option": &f.Option, "space": &f.Space, "data": &f.Data, "csv": &csv, "always": &always, "remove": &remove})
	f.CSV, f.AlwaysSend, f.Remove = csv == "1", always == "1", remove == "1"
	return f, c, err
}
