// Package web is the config editor's HTTP side: the route list (routes.go),
// middleware (security headers, cross-origin protection, sign-in, roles,
// CSRF tokens), one file per page or action, and the embedded templates and
// stylesheet. Pages are rendered on the server and need no JavaScript.
package web

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/rules"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Server.
type Options struct {
	Config *config.File
	Store  *store.Store
	Log    *slog.Logger
	// Kea reads the Kea pages' data; nil leaves them with alerts only.
	Kea *keaview.View
	// Apply makes changes; nil: one on Store with the defaults.
	Apply *apply.Applier
	// SessionKey signs session cookies and CSRF tokens; at least 32 bytes.
	// Empty: read web.session-key-file, or make a random key (sessions then
	// end when the editor restarts).
	SessionKey []byte
	// Now is the clock; tests set it.
	Now func() time.Time
}

// Server serves the editor.
type Server struct {
	cfg       *config.File
	store     *store.Store
	kea       *keaview.View
	apply     *apply.Applier
	log       *slog.Logger
	key       []byte
	secure    bool // cookies Secure even on plain HTTP (external-url is https)
	token     []byte
	maxBody   int64
	lifetime  time.Duration
	proxies   []netip.Prefix
	pages     map[string]*template.Template
	sessions  *sessionCache
	ssoUsers  *sessionCache
	limiter   *limiter
	loginSlot chan struct{} // bounds concurrent argon2id work (64 MiB each)
	now       func() time.Time
	handler   http.Handler
	// backends are the configuration backend databases the editor has
	// connected to (configbackend.go).
	backends *backendCache
}

// New builds the server and its handler.
func New(o Options) (*Server, error) {
	w := o.Config.Web
	s := &Server{cfg: o.Config, store: o.Store, kea: o.Kea, log: o.Log, key: o.SessionKey, now: o.Now,
		maxBody: w.WebhookMaxBytes, proxies: o.Config.TrustedProxies(),
		sessions: &sessionCache{m: map[string]cachedSession{}}, ssoUsers: &sessionCache{m: map[string]cachedSession{}},
		loginSlot: make(chan struct{}, 2), backends: &backendCache{}}
	if s.now == nil {
		s.now = time.Now
	}
	s.apply = o.Apply
	if s.apply == nil {
		s.apply = apply.New(apply.Options{Store: o.Store, Logger: o.Log})
	}
	if s.maxBody <= 0 {
		s.maxBody = 4 << 20
	}
	s.lifetime = 12 * time.Hour
	if w.SessionLifetime != nil && *w.SessionLifetime > 0 {
		s.lifetime = *w.SessionLifetime
	}
	attempts, window := 5, 15*time.Minute
	if w.LoginAttempts > 0 {
		attempts = w.LoginAttempts
	}
	if w.LoginWindow != nil && *w.LoginWindow > 0 {
		window = *w.LoginWindow
	}
	s.limiter = newLimiter(attempts, window)
	if u, err := url.Parse(w.ExternalURL); err == nil && u.Scheme == "https" {
		s.secure = true
	}
	if len(s.key) == 0 && w.SessionKeyFile != "" {
		b, err := os.ReadFile(w.SessionKeyFile)
		if err != nil {
			return nil, fmt.Errorf("web: session-key-file: %w", err)
		}
		s.key = []byte(strings.TrimSpace(string(b)))
	}
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		rand.Read(s.key)
		s.log.Warn("no web.session-key-file: sessions end when the editor restarts")
	}
	if len(s.key) < 32 {
		return nil, errors.New("web: the session key must be at least 32 bytes")
	}
	if w.WebhookTokenFile != "" {
		b, err := os.ReadFile(w.WebhookTokenFile)
		if err != nil {
			return nil, fmt.Errorf("web: webhook-token-file: %w", err)
		}
		s.token = []byte(strings.TrimSpace(string(b)))
		if len(s.token) < 16 {
			return nil, fmt.Errorf("web: webhook-token-file %s: the token must be at least 16 characters", w.WebhookTokenFile)
		}
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.handler = s.buildHandler()
	return s, nil
}

// Close closes the connections to Kea's configuration backends.
func (s *Server) Close() { s.backends.close() }

// ServeHTTP serves the editor.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
		"ago":      func(t time.Time) string { return ago(s.now(), t) },
		"pagelink": alertPage,
		"usage":    usage,
		"dur":      func(d time.Duration) string { return d.Round(time.Second).String() },
		"durp": func(d *time.Duration) string {
			if d == nil {
				return ""
			}
			return d.Round(time.Second).String()
		},
		"boolp": func(b *bool) string {
			if b == nil {
				return "unknown"
			}
			return strconv.FormatBool(*b)
		},
		"intp": func(n *int64) string {
			if n == nil {
				return ""
			}
			return strconv.FormatInt(*n, 10)
		},
		"errtext": func(e error) string {
			if e == nil {
				return ""
			}
			return e.Error()
		},
		"link": func(pattern string, l keaview.Labels) string {
			var links rules.Links
			return links.ConfigUIURL(pattern, l.Map())
		},
		"alertsFor": func(m map[string][]inbox.Alert, id string) []inbox.Alert { return m[id] },
		"cuurl": func(pattern string, l map[string]string) string {
			var links rules.Links
			return links.ConfigUIURL(pattern, l)
		},
		"dashboard": func(l map[string]string) string { return s.dashboardFor(l) },
		"cbfield":   cbFieldLabel,
		// fld and inh build the edit forms' labelled fields.
		"fld": func(d *editData, name, label, value, hint string) formField {
			return formField{D: d, Name: name, Label: label, Value: value, Hint: hint}
		},
		"inh": func(m map[string]string, key string) string {
			if v, ok := m[key]; ok {
				return "empty: " + v + " from above"
			}
			return "empty: Kea's default"
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/alerts.html")
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "alerts" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("templates: %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

// usage writes "assigned of total (pct)", exact integers.
func usage(u keaview.Usage) string {
	switch {
	case u.Known():
		s := u.Assigned.String() + " of " + u.Total.String()
		if p := u.Percent(); p != "" {
			s += " (" + p + ")"
		}
		if u.FromConfig {
			s += ", total from the configuration"
		}
		return s
	case u.Total != nil:
		return "size " + u.Total.String() + " (no statistics)"
	}
	return "unknown"
}

func ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	switch {
	case t.IsZero():
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}
