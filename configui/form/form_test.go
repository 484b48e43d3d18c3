package form

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/servers/kea1/dhcp4/subnets/1": "/servers/kea1/dhcp4/subnets/1",
		"/inbox?status=firing":          "/inbox?status=firing",
		"":                              "/",
		"https://evil.example/":         "/",
		"//evil.example/":               "/",
		"/\\evil.example":               "/",
		"javascript:alert(1)":           "/",
		"/ok\r\nSet-Cookie: x=y":        "/",
	} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLeaseSearch(t *testing.T) {
	for _, tc := range []struct{ by, q, want, err string }{
		{"ip", "198.18.0.10", "198.18.0.10", ""},
		{"", "02-00-00-00-AA-01", "02:00:00:00:aa:01", ""},
		{"hostname", "Host-1.lab.example", "host-1.lab.example", ""},
		{"ip", "<script>alert(1)</script>", "", "q:"},
		{"hostname", "x' OR '1'='1", "", "q:"},
		{"nope", "x", "", "is not ip, mac"},
	} {
		r := httptest.NewRequest("GET", "/leases?"+url.Values{"by": {tc.by}, "q": {tc.q}}.Encode(), nil)
		f, err := ReadLeaseSearch(r)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: err %v, want %q", tc.by, tc.q, err, tc.err)
			}
			continue
		}
		if err != nil || f.Query.Value != tc.want {
			t.Errorf("%s %q: %q %v", tc.by, tc.q, f.Query.Value, err)
		}
	}
}

func TestReadUser(t *testing.T) {
	r := httptest.NewRequest("POST", "/users", strings.NewReader("username=ann&password=short&role=admin"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := ReadUser(r); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: %v", err)
	}
	r = httptest.NewRequest("POST", "/users", strings.NewReader("username=ann&password=long+enough+pw&role=root"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := ReadUser(r); err == nil || !strings.Contains(err.Error(), "role") {
		t.Fatalf("bad role: %v", err)
	}
}
