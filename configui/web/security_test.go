package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// Each subtest pins one guard; each fails when its guard is removed.
func TestSecurity(t *testing.T) {
	pg := pgtest.Start(t)
	e := newEditor(t, pg, "")

	t.Run("AnonymousRequestsAreRefused", func(t *testing.T) {
		c := e.client()
		for _, rt := range e.srv.routes() {
			if rt.access == public || rt.access == bearer {
				continue
			}
			method, path, _ := strings.Cut(rt.pattern, " ")
			path = strings.NewReplacer("{server}", "kea1", "{daemon}", "dhcp4", "{subnet_id}", "1", "{pool_id}", "0",
				"{shared_network}", "net1", "{username}", "vic", "{$}", "").Replace(path)
			var resp *http.Response
			if method == "GET" {
				resp, _ = e.get(c, path)
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
					t.Errorf("anonymous GET %s: %s, Location %q", path, resp.Status, resp.Header.Get("Location"))
				}
			} else {
				resp, _ = e.post(c, path, url.Values{})
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("anonymous %s %s: %s", method, path, resp.Status)
				}
			}
		}
		for _, p := range []string{"/-/healthy", "/-/ready"} {
			if resp, _ := e.get(c, p); resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %s", p, resp.Status)
			}
		}
	})

	t.Run("SignInReturnsToThePageAsked", func(t *testing.T) {
		c := e.client()
		resp, _ := e.get(c, "/servers/kea1/dhcp4/subnets/7")
		next := resp.Header.Get("Location")
		u, _ := url.Parse(next)
		resp = e.login(c, "vic", passwords["vic"], u.Query().Get("next"))
		if got := resp.Header.Get("Location"); got != "/servers/kea1/dhcp4/subnets/7" {
			t.Fatalf("after sign-in: %q", got)
		}
		if resp, _ := e.get(c, "/servers/kea1/dhcp4/subnets/7"); resp.StatusCode != http.StatusOK {
			t.Fatalf("page after sign-in: %s", resp.Status)
		}
	})

	t.Run("NoOpenRedirect", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
			resp := e.login(e.client(), "vic", passwords["vic"], next)
			if got := resp.Header.Get("Location"); got != "/" {
				t.Errorf("next=%q sent the user to %q", next, got)
			}
		}
	})

	t.Run("ViewerCannotPost", func(t *testing.T) {
		c := e.signedIn("vic")
		resp, _ := e.post(c, "/users", url.Values{"username": {"mallory"}, "password": {"long-enough-password"}, "role": {"admin"}, "csrf_token": {e.token(c)}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer POST /users: %s", resp.Status)
		}
		if _, err := e.store.UserByName(t.Context(), "mallory"); err == nil {
			t.Fatal("a viewer added a user")
		}
		oc := e.signedIn("otto")
		if resp, _ := e.post(oc, "/users/vic/delete", url.Values{"csrf_token": {e.token(oc)}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("operator deleting a user: %s", resp.Status)
		}
	})

	t.Run("CSRFToken", func(t *testing.T) {
		c := e.signedIn("ada")
		for name, tok := range map[string]string{"missing": "", "wrong": "AAAA" + e.token(c)[4:], "another session's": e.token(e.signedIn("ada"))} {
			resp, _ := e.post(c, "/users", url.Values{"username": {"csrf-victim"}, "password": {"long-enough-password"}, "role": {"admin"}, "csrf_token": {tok}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s token: %s", name, resp.Status)
			}
		}
		if _, err := e.store.UserByName(t.Context(), "csrf-victim"); err == nil {
			t.Fatal("a POST without the right token added a user")
		}
		resp, body := e.post(c, "/users", url.Values{"username": {"newbie"}, "password": {"long-enough-password"}, "role": {"viewer"}, "csrf_token": {e.token(c)}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "User newbie added") {
			t.Fatalf("right token: %s", resp.Status)
		}
		// The login form has its own token too.
		resp, _ = e.post(e.client(), "/login", url.Values{"username": {"vic"}, "password": {passwords["vic"]}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login without token: %s", resp.Status)
		}
	})

	t.Run("CrossOriginPost", func(t *testing.T) {
		c := e.signedIn("ada")
		tok := e.token(c)
		for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			resp, _ := e.post(c, "/users", url.Values{"username": {"crossed"}, "password": {"long-enough-password"}, "role": {"admin"}, "csrf_token": {tok}}, hdr...)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %s", hdr, resp.Status)
			}
		}
		if _, err := e.store.UserByName(t.Context(), "crossed"); err == nil {
			t.Fatal("a cross-origin POST added a user")
		}
	})

	t.Run("NoStateChangeOnGet", func(t *testing.T) {
		c := e.signedIn("ada")
		if resp, _ := e.get(c, "/users/vic/delete"); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET of a delete action: %s", resp.Status)
		}
		if resp, _ := e.get(c, "/logout"); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET /logout: %s", resp.Status)
		}
		if _, err := e.store.UserByName(t.Context(), "vic"); err != nil {
			t.Fatal("GET removed a user")
		}
	})

	t.Run("ScriptInSearchField", func(t *testing.T) {
		c := e.signedIn("vic")
		const evil = `<script>alert(1)</script>`
		for _, p := range []string{"/leases?by=hostname&q=" + url.QueryEscape(evil), "/inbox?server=" + url.QueryEscape(evil),
			"/login?next=" + url.QueryEscape(`/"><script>alert(1)</script>`)} {
			_, body := e.get(c, p)
			if strings.Contains(body, "<script>") {
				t.Errorf("%s: the script came back unescaped", p)
			}
			if !strings.Contains(body, "&lt;script&gt;") && !strings.Contains(body, "%3cscript%3e") && !strings.Contains(body, "%3Cscript%3E") {
				t.Errorf("%s: the input is not shown escaped", p)
			}
		}
	})

	t.Run("SQLMetacharactersInSearchField", func(t *testing.T) {
		c := e.signedIn("vic")
		if resp, _ := e.webhook(v4Body("kea1", "firing"), webhookToken); resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %s", resp.Status)
		}
		for _, q := range []string{"' OR '1'='1", "kea1'; DROP TABLE alerts; --", `kea1\'`} {
			resp, body := e.get(c, "/inbox?server="+url.QueryEscape(q))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "0 alerts") {
				t.Errorf("server=%q: %s, want 0 alerts", q, resp.Status)
			}
		}
		if e.alertCount() == 0 {
			t.Fatal("alerts gone")
		}
		if _, body := e.get(c, "/inbox?server=kea1"); !strings.Contains(body, "1 alerts") {
			t.Fatal("the plain filter does not find the alert")
		}
	})

	t.Run("RepeatedBadLogins", func(t *testing.T) {
		c := e.client()
		for i := 0; i < 5; i++ {
			if resp := e.login(c, "otto", "wrong", "/"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("bad login %d: %s", i, resp.Status)
			}
		}
		if resp := e.login(c, "otto", passwords["otto"], "/"); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right password after 5 failures: %s, want 429", resp.Status)
		}
		// Per address too: another user from the same address is held.
		if resp := e.login(c, "ada", passwords["ada"], "/"); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("another user from the same address: %s, want 429", resp.Status)
		}
		es, _ := e.store.AuditLog(t.Context(), 50, 0)
		failed := 0
		for _, a := range es {
			if a.Action == "login" && !a.Success && a.Username == "otto" {
				failed++
			}
		}
		if failed < 5 {
			t.Fatalf("audit has %d failed logins of otto", failed)
		}
		e.srv.limiter = newLimiter(5, e.srv.limiter.window) // let the other subtests sign in again
	})

	t.Run("SessionCookieFlags", func(t *testing.T) {
		c := e.client()
		resp := e.login(c, "vic", passwords["vic"], "/")
		var first *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie {
				first = ck
			}
		}
		if first == nil || !first.HttpOnly || first.SameSite != http.SameSiteLaxMode || first.MaxAge <= 0 {
			t.Fatalf("session cookie %+v", first)
		}
		if first.Secure {
			t.Fatal("Secure on plain HTTP without an https external-url: the browser would drop it")
		}
		// Rotated at sign-in: a second sign-in gets a new session and the
		// old cookie stops working.
		resp = e.login(c, "vic", passwords["vic"], "/")
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie && ck.Value == first.Value {
				t.Fatal("session not rotated at sign-in")
			}
		}
		old := e.client()
		u, _ := url.Parse(e.url)
		old.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: first.Value}})
		e.srv.sessions.drop(mustClaims(t, e, first.Value).SID)
		if resp, _ := e.get(old, "/inbox"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("old session after re-sign-in: %s", resp.Status)
		}
		// Under https (external-url), cookies are Secure.
		es := newEditor(t, pg, "  external-url: https://configui.example/\n")
		resp = es.login(es.client(), "vic", passwords["vic"], "/")
		if len(resp.Cookies()) == 0 {
			t.Fatal("no cookie")
		}
		for _, ck := range resp.Cookies() {
			if !ck.Secure {
				t.Errorf("cookie %s not Secure under https", ck.Name)
			}
		}
		// Expiring: a session past its lifetime is refused.
		c = e.signedIn("vic")
		e.srv.now = func() time.Time { return time.Now().Add(13 * time.Hour) }
		defer func() { e.srv.now = time.Now }()
		if resp, _ := e.get(c, "/inbox"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session after its lifetime: %s", resp.Status)
		}
	})

	t.Run("LogoutEndsTheSession", func(t *testing.T) {
		c := e.signedIn("vic")
		var val string
		u, _ := url.Parse(e.url)
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == sessionCookie {
				val = ck.Value
			}
		}
		e.post(c, "/logout", url.Values{"csrf_token": {e.token(c)}})
		replay := e.client()
		replay.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: val}})
		e.srv.sessions.drop(mustClaims(t, e, val).SID)
		if resp, _ := e.get(replay, "/inbox"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("replayed cookie after logout: %s", resp.Status)
		}
	})

	t.Run("SpoofedSSOHeader", func(t *testing.T) {
		// Proxies are 10.0.0.0/8: the test client (127.0.0.1) is not one.
		es := newEditor(t, pg, "  sso-header: X-Forwarded-User\n  trusted-proxies: [10.0.0.0/8]\n")
		req, _ := http.NewRequest("GET", es.url+"/inbox", nil)
		req.Header.Set("X-Forwarded-User", "ada")
		resp, err := es.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("SSO header from a non-proxy: %s", resp.Status)
		}
		// From a trusted proxy the same header signs the user in.
		et := newEditor(t, pg, "  sso-header: X-Forwarded-User\n  trusted-proxies: [127.0.0.1]\n")
		req, _ = http.NewRequest("GET", et.url+"/users", nil)
		req.Header.Set("X-Forwarded-User", "ada")
		resp, err = et.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("SSO header from the proxy: %s", resp.Status)
		}
		// An unknown SSO user is refused unless sso-default-role is set.
		req.Header.Set("X-Forwarded-User", "stranger")
		resp, _ = et.client().Do(req)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("unknown SSO user: %s", resp.Status)
		}
	})

	t.Run("StrictCSP", func(t *testing.T) {
		resp, _ := e.get(e.client(), "/login")
		got := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(got, "default-src 'none'") || strings.Contains(got, "unsafe") || !strings.Contains(got, "frame-ancestors 'none'") {
			t.Fatalf("CSP %q", got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatal("nosniff missing")
		}
	})
}

func mustClaims(t *testing.T, e *editor, v string) claims {
	c, ok := e.srv.verify(v, time.Now())
	if !ok {
		t.Fatal("cookie does not verify")
	}
	return c
}
