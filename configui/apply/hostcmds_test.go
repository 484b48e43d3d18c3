package apply

import (
	"fmt"
	"strings"
	"testing"
)

// TestReservationOps pins which changes go by host_cmds and the commands
// sent: deletions, then updates, then additions; an edit is
// reservation-update when the peer has it, else del and add; anything but
// subnet reservations changing goes by the whole configuration.
func TestReservationOps(t *testing.T) {
	base := `{"Dhcp4": {"valid-lifetime": 1, "subnet4": [{"id": 1, "reservations": [{"hw-address": "01", "ip-address": "10.0.0.1"}, {"hw-address": "02", "ip-address": "10.0.0.2"}]}],
		"shared-networks": [{"name": "n", "subnet4": [{"id": 3, "pools": []}]}]}}`
	cases := []struct {
		name, to string
		update   bool
		want     string // "" = not for host_cmds
	}{
		{"added", strings.Replace(base, `"pools": []`, `"pools": [], "reservations": [{"hw-address": "09", "hostname": "h"}]`, 1), true,
			"reservation-add 3 hw-address=09"},
		{"deleted", strings.Replace(base, `{"hw-address": "01", "ip-address": "10.0.0.1"}, `, ``, 1), true,
			"reservation-del 1 hw-address=01"},
		{"edited", strings.Replace(base, `"10.0.0.2"`, `"10.0.0.3"`, 1), true,
			"reservation-update 1 hw-address=02"},
		{"edited without reservation-update", strings.Replace(base, `"10.0.0.2"`, `"10.0.0.3"`, 1), false,
			"reservation-del 1 hw-address=02,reservation-add 1 hw-address=02"},
		{"address moved between hosts", strings.Replace(strings.Replace(base, `"10.0.0.2"`, `"10.0.0.1"`, 1), `{"hw-address": "01", "ip-address": "10.0.0.1"}, `, ``, 1), true,
			"reservation-del 1 hw-address=01,reservation-update 1 hw-address=02"},
		{"identifier changed", strings.Replace(base, `"hw-address": "02"`, `"client-id": "0102"`, 1), true,
			"reservation-del 1 hw-address=02,reservation-add 1 client-id=0102"},
		{"with a global change", strings.Replace(strings.Replace(base, `"10.0.0.2"`, `"10.0.0.3"`, 1), `"valid-lifetime": 1`, `"valid-lifetime": 2`, 1), true, ""},
		{"with a subnet change", strings.Replace(strings.Replace(base, `"10.0.0.2"`, `"10.0.0.3"`, 1), `"pools": []`, `"pools": [{"pool": "x"}]`, 1), true, ""},
		{"a subnet added", strings.Replace(base, `"pools": []}]}]`, `"pools": []}, {"id": 4, "reservations": [{"hw-address": "09"}]}]}]`, 1), true, ""},
		{"two identifiers", strings.Replace(base, `"hw-address": "02",`, `"hw-address": "02", "duid": "0102",`, 1), true, ""},
		{"nothing", base, true, ""},
	}
	for _, c := range cases {
		ops, ok := reservationOps(mustConfig(t, base), mustConfig(t, c.to), "dhcp4", c.update)
		var got []string
		for _, op := range ops {
			id := op.args
			if r, has := op.args["reservation"].(map[string]any); has {
				id = r
			}
			if op.args["operation-target"] != "memory" {
				t.Errorf("%s: %s without operation-target memory", c.name, op.command)
			}
			typ, ident, _ := reservationKey(id)
			if typ == "" {
				typ, ident = fmt.Sprint(op.args["identifier-type"]), fmt.Sprint(op.args["identifier"])
			}
			got = append(got, fmt.Sprintf("%s %v %s=%s", op.command, id["subnet-id"], typ, ident))
		}
		if !ok {
			got = nil
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s: %q, want %q", c.name, strings.Join(got, ","), c.want)
		}
	}
}

// TestContainsReservationsInAnyOrder: Kea may list host reservations back
// in another order after host_cmds; the read-back accepts that, not a
// missing or changed one.
func TestContainsReservationsInAnyOrder(t *testing.T) {
	sent := mustConfig(t, `{"Dhcp4": {"subnet4": [{"id": 1, "reservations": [{"hw-address": "01"}, {"hw-address": "02"}]}]}}`)
	for got, ok := range map[string]bool{
		`{"Dhcp4": {"subnet4": [{"id": 1, "reservations": [{"hw-address": "02", "hostname": ""}, {"hw-address": "01"}]}]}}`: true,
		`{"Dhcp4": {"subnet4": [{"id": 1, "reservations": [{"hw-address": "02"}, {"hw-address": "02"}]}]}}`:                 false,
		`{"Dhcp4": {"subnet4": [{"id": 1, "reservations": [{"hw-address": "01"}]}]}}`:                                       false,
	} {
		if _, c := contains(map[string]any(mustConfig(t, got)), map[string]any(sent), ""); c != ok {
			t.Errorf("%s: contains %v, want %v", got, c, ok)
		}
	}
}
