package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

const webhookToken = "0123456789abcdef-test-token"

// editor is a running editor on a real PostgreSQL, over real HTTP.
type editor struct {
	t     *testing.T
	url   string
	store *store.Store
	srv   *Server
	pg    *pgtest.Server
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// passwords of the users every editor starts with.
var passwords = map[string]string{"ada": "admin-password-1", "otto": "operator-password", "vic": "viewer-password-1"}

func newEditor(t *testing.T, pg *pgtest.Server, extra string) *editor {
	t.Helper()
	return newEditorKea(t, pg, `
  - name: kea1
    url: http://127.0.0.1:1/
    daemons: [dhcp4, dhcp6]
  - name: kea2
    url: unix:///run/kea/kea4.sock
`, extra, nil)
}

// newEditorKea is newEditor with its own kea: list and Kea view.
func newEditorKea(t *testing.T, pg *pgtest.Server, keaYAML, extra string, view *keaview.View) *editor {
	t.Helper()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte(webhookToken+"\n"), 0o600)
	yml := `
kea:` + keaYAML + `
database:
  name: x
web:
  webhook-token-file: ` + tok + `
  webhook-max-bytes: 65536
` + extra
	cfg, err := config.Parse("test.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), quiet, pg.NewDatabase(t), 4,
		store.Settings{RetryOnStartup: true, OnFail: "serve-retry-continue", ReconnectWaitTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go st.Run(ctx, func(err error) { t.Errorf("store gave up: %v", err) })
	for name, role := range map[string]string{"ada": auth.Admin, "otto": auth.Operator, "vic": auth.Viewer} {
		h, _ := auth.Hash(passwords[name])
		if err := st.CreateUser(ctx, name, h, role); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(Options{Config: cfg, Store: st, Kea: view, Log: quiet, SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &editor{t: t, url: hs.URL, store: st, srv: srv, pg: pg}
}

// client is a browser: a cookie jar, redirects not followed.
func (e *editor) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *editor) get(c *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Get(e.url + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *editor) post(c *http.Client, path string, form url.Values, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfIn(body string) string {
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// login signs in through the form as a browser would, and returns where
// it was sent.
func (e *editor) login(c *http.Client, user, password, next string) *http.Response {
	e.t.Helper()
	_, body := e.get(c, "/login?next="+url.QueryEscape(next))
	resp, _ := e.post(c, "/login", url.Values{"username": {user}, "password": {password}, "next": {next}, "csrf_token": {csrfIn(body)}})
	return resp
}

func (e *editor) signedIn(user string) *http.Client {
	e.t.Helper()
	c := e.client()
	if resp := e.login(c, user, passwords[user], "/inbox"); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %s", user, resp.Status)
	}
	return c
}

// token returns the CSRF token of a signed-in client's pages.
func (e *editor) token(c *http.Client) string {
	_, body := e.get(c, "/inbox")
	return csrfIn(body)
}

func (e *editor) webhook(body, token string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/api/alertmanager/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *editor) alertCount() int {
	e.t.Helper()
	_, n, err := e.store.Alerts(context.Background(), store.AlertQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
