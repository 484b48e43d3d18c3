package form

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func postForm(v url.Values) *http.Request {
	r, _ := http.NewRequest("POST", "/x", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestReadPoolsDamagedForms(t *testing.T) {
	hash := strings.Repeat("a", 64)
	good := url.Values{"step": {"preview"}, "base": {"kea1:" + hash}, "existing": {"1"}, "rows": {"2"}, "pool.0": {" 10.0.0.1-10.0.0.9 "}, "pool.1": {""}}
	f, c, err := ReadPools(postForm(good), "dhcp4", 3)
	if err != nil || c.Base["kea1"] != hash || f.Existing != 1 || len(f.Rows) != 2 || f.Rows[0].Range != "10.0.0.1-10.0.0.9" {
		t.Fatalf("good form: %+v %+v %v", f, c, err)
	}
	for name, change := range map[string]func(url.Values){
		"no step":        func(v url.Values) { v.Del("step") },
		"odd step":       func(v url.Values) { v.Set("step", "delete-everything") },
		"no base":        func(v url.Values) { v.Del("base") },
		"short hash":     func(v url.Values) { v.Set("base", "kea1:abc") },
		"rows < pools":   func(v url.Values) { v.Set("rows", "0") },
		"too many rows":  func(v url.Values) { v.Set("rows", "100000") },
		"huge value":     func(v url.Values) { v.Set("pool.0", strings.Repeat("1", 1000)) },
		"existing is -1": func(v url.Values) { v.Set("existing", "-1") },
	} {
		v := url.Values{}
		for k, x := range good {
			v[k] = append([]string(nil), x...)
		}
		change(v)
		if _, _, err := ReadPools(postForm(v), "dhcp4", 3); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReadReservationDeleteNeedsOrig(t *testing.T) {
	v := url.Values{"step": {"preview"}, "base": {"kea1:" + strings.Repeat("b", 64)}, "delete": {"1"}, "id_type": {"hw-address"}}
	if _, _, _, err := ReadReservation(postForm(v), "dhcp4", 1); err == nil || !strings.Contains(err.Error(), "choose the reservation") {
		t.Fatalf("delete without a reservation: %v", err)
	}
}
