package form

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/keaview"
)

// fieldOf fails unless err names one of the form's fields.
func fieldOf(t *testing.T, form string, err error, fields ...string) {
	t.Helper()
	fe, ok := AsFieldError(err)
	if !ok {
		t.Fatalf("%s: error without a field: %v", form, err)
	}
	if !slices.Contains(fields, fe.Field) {
		t.Fatalf("%s: error names %q, not one of %v: %v", form, fe.Field, fields, err)
	}
}

func post(v url.Values) *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func get(v url.Values) *http.Request { return httptest.NewRequest("GET", "/?"+v.Encode(), nil) }

// FuzzForms sends every form of the editor any values: each gives a valid
// struct or an error naming the field at fault, never a panic; what is
// accepted holds the form's promises (a return path on this site, a user
// name and role the store accepts, a page in range, a lease query that
// reads back to itself).
//
//	go test ./configui/form -run '^$' -fuzz FuzzForms -fuzztime 60s
func FuzzForms(f *testing.F) {
	f.Add("ann", "correct horse battery", "admin", "/servers/kea1", "firing", "kea1", "2", "ip", "198.18.0.10", "10.0.", "7", "net-a")
	f.Add(" ", "", "root", "//evil.example/", "x", strings.Repeat("s", 300), "0", "mac", "zz:zz", strings.Repeat("p", 300), "4294967296", strings.Repeat("n", 300))
	f.Add("a..b", "123456789012", "viewer", "/\t/evil", "", "", "-1", "", "host.example", "", "0", "")
	f.Add("x", "y", "operator", "/%2F%2Fevil", "resolved", "", "1000001", "duid", "00:01", "2001:db8::/32", "01", "")
	f.Fuzz(func(t *testing.T, user, pass, role, next, status, server, page, by, q, prefix, id, shared string) {
		// Sign-in.
		lf, err := ReadLogin(post(url.Values{"username": {user}, "password": {pass}, "next": {next}}))
		if err != nil {
			fieldOf(t, "login", err, "username", "password")
		} else if lf.Username == "" || lf.Username != strings.TrimSpace(lf.Username) || lf.Password == "" {
			t.Fatalf("login accepted %+v", lf)
		}
		// The return path: this site or "/", and stable.
		n := SafeNext(next)
		if n != "/" && n != next {
			t.Fatalf("SafeNext(%q) = %q", next, n)
		}
		if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") || SafeNext(n) != n {
			t.Fatalf("SafeNext(%q) = %q", next, n)
		}
		if u, err := url.Parse(n); err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("SafeNext(%q) = %q leaves the site", next, n)
		}
		if u, err := url.Parse("https://configui.example" + n); err != nil || u.Host != "configui.example" {
			t.Fatalf("SafeNext(%q) = %q, resolved against the site: %v", next, n, u)
		}
		// Add user.
		uf, err := ReadUser(post(url.Values{"username": {user}, "password": {pass}, "role": {role}}))
		if err != nil {
			fieldOf(t, "user", err, "username", "password", "role")
		} else if CheckUsername(uf.Username) != nil || len(uf.Password) < 12 || len(uf.Password) > maxField || !auth.ValidRole(uf.Role) {
			t.Fatalf("user accepted %+v", uf)
		}
		// Inbox filter.
		inf, err := ReadInboxFilter(get(url.Values{"status": {status}, "server": {server}, "page": {page}}))
		if err != nil {
			fieldOf(t, "inbox", err, "status", "server", "page")
		} else if inf.Page < 1 || inf.Page > 1_000_000 || len(inf.Server) > maxField || !slices.Contains([]string{"", "firing", "resolved"}, inf.Status) {
			t.Fatalf("inbox filter accepted %+v", inf)
		}
		// Lease search.
		ls, err := ReadLeaseSearch(get(url.Values{"by": {by}, "q": {q}}))
		if err != nil {
			fieldOf(t, "lease search", err, "by", "q")
		} else if ls.Text != "" {
			again, err := keaview.ParseLeaseQuery(string(ls.Query.Kind), ls.Query.Value)
			if ls.Query.Kind == keaview.ByHexID {
				again, err = keaview.ParseLeaseQuery("", ls.Query.Value)
			}
			if err != nil || again != ls.Query {
				t.Fatalf("lease search %q %q -> %+v, which reads as %+v, %v", by, q, ls.Query, again, err)
			}
		}
		// Subnet filter.
		sf, err := ReadSubnetFilter(get(url.Values{"prefix": {prefix}, "id": {id}, "shared_network": {shared}, "page": {page}}))
		if err != nil {
			fe, _ := AsFieldError(err)
			fieldOf(t, "subnet filter", err, "prefix", "id", "shared_network", "page")
			// The field named is one whose value is at fault.
			if fe.Field == "prefix" && len(strings.TrimSpace(prefix)) <= maxField {
				t.Fatalf("subnet filter blames prefix %q (%d bytes): %v", prefix, len(prefix), err)
			}
		} else if sf.Page < 1 || sf.Page > 1_000_000 || sf.ID < 0 || sf.ID > 1<<32-1 || len(sf.Prefix) > maxField || len(sf.SharedNetwork) > maxField {
			t.Fatalf("subnet filter accepted %+v", sf)
		}
		// Closing an interrupted change: the note is q.
		cf, err := ReadCloseChange(post(url.Values{"note": {q}}))
		if err != nil {
			fieldOf(t, "close change", err, "note")
		} else if cf.Note == "" || cf.Note != strings.TrimSpace(cf.Note) || len(cf.Note) > maxField || strings.ContainsFunc(cf.Note, unicode.IsControl) {
			t.Fatalf("close change accepted %q", cf.Note)
		}
	})
}
