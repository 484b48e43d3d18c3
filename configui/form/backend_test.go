package form

import (
	"net/url"
	"slices"
	"testing"
)

// The backend subnet form: numbers named by their field, empty pool rows
// left out but their row numbers kept for messages, a damaged row count
// refused.
func TestReadBackendSubnet(t *testing.T) {
	v := url.Values{"step": {"preview"}, "id": {"60"}, "prefix": {"2001:db8:60::/64"}, "tag": {"all"}, "rows": {"3"},
		"pool.0": {""}, "pool.1": {" 2001:db8:60::10-2001:db8:60::20 "}, "pool.2": {""}, "pdrows": {"1"}, "pd.0": {"2001:db8:6000::/48 56"},
		"valid": {"4000"}, "preferred": {"3000"}, "interface": {"kea0"}}
	f, err := ReadBackendSubnet(postForm(v))
	if err != nil {
		t.Fatal(err)
	}
	e, rows, err := f.Edit()
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != 60 || !slices.Equal(e.Pools, []string{"2001:db8:60::10-2001:db8:60::20"}) || !slices.Equal(rows, []int{1}) ||
		!slices.Equal(e.PDPools, []string{"2001:db8:6000::/48 56"}) || *e.ValidLifetime != 4000 || *e.PreferredLifetime != 3000 ||
		e.RenewTimer != nil || e.Interface != "kea0" || !slices.Equal(e.Tags, []string{"all"}) {
		t.Fatalf("edit %+v rows %v", e, rows)
	}
	for field, bad := range map[string]url.Values{
		"valid": {"valid": {"ten"}},
		"id":    {"id": {"0"}},
	} {
		w := url.Values{}
		for k, x := range v {
			w[k] = x
		}
		for k, x := range bad {
			w[k] = x
		}
		f, err := ReadBackendSubnet(postForm(w))
		if err == nil {
			_, _, err = f.Edit()
		}
		if fe, ok := AsFieldError(err); !ok || fe.Field != field {
			t.Errorf("%v: %v, want a FieldError on %s", bad, err, field)
		}
	}
	v.Set("rows", "9999")
	if _, err := ReadBackendSubnet(postForm(v)); err == nil {
		t.Fatal("a damaged row count must be refused")
	}
}
