// Package config reads ddiscope-configui's YAML file: the Kea servers (the
// same target syntax, TLS and auth keys as the daemon's file), Alertmanager,
// the database (keys and failure behaviour after Kea's own database
// settings) and the web settings. Unknown keys are errors naming the line.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	shared "github.com/ddiscope/ddiscope/internal/config"
)

// Kea is one Kea server the editor shows.
type Kea struct {
	shared.KeaTarget `yaml:",inline"`
	Timeout          *time.Duration `yaml:"timeout"`
}

// Alertmanager is where the inbox reads alerts it may have missed.
type Alertmanager struct {
	URL           string         `yaml:"url"`           // e.g. http://127.0.0.1:9093; empty: no polling
	PollInterval  *time.Duration `yaml:"poll-interval"` // default 1m
	shared.Access `yaml:",inline"`
}

// Database is the PostgreSQL connection, spelled like Kea's lease-database.
type Database struct {
	Host           string         `yaml:"host"` // host name, address or socket directory
	Port           int            `yaml:"port"`
	Name           string         `yaml:"name"`
	User           string         `yaml:"user"`
	Password       string         `yaml:"password"`
	PasswordFile   string         `yaml:"password-file"`
	ConnectTimeout *time.Duration `yaml:"connect-timeout"`
	MaxConnections int            `yaml:"max-connections"`

	TrustAnchor string `yaml:"trust-anchor"`
	CertFile    string `yaml:"cert-file"`
	KeyFile     string `yaml:"key-file"`

	RetryOnStartup    *bool          `yaml:"retry-on-startup"`
	OnFail            string         `yaml:"on-fail"`
	MaxReconnectTries int            `yaml:"max-reconnect-tries"`
	ReconnectWaitTime *time.Duration `yaml:"reconnect-wait-time"`
}

// Web is how the editor serves and authenticates.
type Web struct {
	// ExternalURL is the editor's public root (Links.ConfigUI of the
	// generator); an https URL makes cookies Secure even behind a proxy.
	ExternalURL      string         `yaml:"external-url"`
	WebhookTokenFile string         `yaml:"webhook-token-file"`
	WebhookMaxBytes  int64          `yaml:"webhook-max-bytes"`
	SessionKeyFile   string         `yaml:"session-key-file"`
	SessionLifetime  *time.Duration `yaml:"session-lifetime"`
	LoginAttempts    int            `yaml:"login-attempts"`   // failures per user and per address in login-window
	LoginWindow      *time.Duration `yaml:"login-window"`     // default 15m
	SSOHeader        string         `yaml:"sso-header"`       // e.g. X-Forwarded-User
	TrustedProxies   []string       `yaml:"trusted-proxies"`  // CIDRs the SSO header is accepted from
	SSODefaultRole   string         `yaml:"sso-default-role"` // role of an SSO user not yet known; empty: unknown users are refused
}

// File is the whole configuration.
type File struct {
	Kea          []Kea        `yaml:"kea"`
	Alertmanager Alertmanager `yaml:"alertmanager"`
	Database     Database     `yaml:"database"`
	Web          Web          `yaml:"web"`

	Path    string         `yaml:"-"`
	proxies []netip.Prefix `yaml:"-"`
}

// Load reads and checks a file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(path, b)
}

// Parse reads a configuration from b; path names it in errors.
func Parse(path string, b []byte) (*File, error) {
	f := &File{Path: path}
	if err := shared.DecodeStrict(path, b, f); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// Roles, lowest first.
var Roles = []string{"viewer", "operator", "admin"}

func (f *File) check() error {
	var errs []error
	seen := map[string]string{} // target name → where it was first given
	for i, k := range f.Kea {
		where := fmt.Sprintf("%s: kea target #%d %q", f.Path, i+1, k.Name)
		if k.Name == "" {
			errs = append(errs, fmt.Errorf("%s: key \"name\" is missing", where))
			continue
		}
		at := func(...string) string { return where }
		errs = append(errs, k.KeaTarget.Check(at, seen, fmt.Sprintf("kea target #%d", i+1))...)
		if k.Timeout != nil && *k.Timeout <= 0 {
			errs = append(errs, fmt.Errorf("%s: key \"timeout\" must be positive", where))
		}
	}
	if u := f.Alertmanager.URL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: alertmanager: key \"url\": %q is not http(s)://host:port", f.Path, u))
		}
	}
	if d := f.Alertmanager.PollInterval; d != nil && *d <= 0 {
		errs = append(errs, fmt.Errorf("%s: alertmanager: key \"poll-interval\" must be positive", f.Path))
	}
	db := f.Database
	if db.Name == "" {
		errs = append(errs, fmt.Errorf("%s: database: key \"name\" is missing", f.Path))
	}
	if db.Password != "" && db.PasswordFile != "" {
		errs = append(errs, fmt.Errorf("%s: database: keys \"password\" and \"password-file\" exclude each other", f.Path))
	}
	if (db.CertFile == "") != (db.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s: database: keys \"cert-file\" and \"key-file\" go together", f.Path))
	}
	if db.OnFail != "" {
		if err := shared.CheckOnFail(db.OnFail); err != nil {
			errs = append(errs, fmt.Errorf("%s: database: %w", f.Path, err))
		}
	}
	if db.MaxReconnectTries < 0 {
		errs = append(errs, fmt.Errorf("%s: database: key \"max-reconnect-tries\" must not be negative", f.Path))
	}
	if db.Port < 0 || db.Port > 65535 {
		errs = append(errs, fmt.Errorf("%s: database: key \"port\" %d is not a port", f.Path, db.Port))
	}
	w := f.Web
	if w.ExternalURL != "" {
		if p, err := url.Parse(w.ExternalURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: web: key \"external-url\": %q is not http(s)://host[:port][/path]", f.Path, w.ExternalURL))
		}
	}
	if w.WebhookMaxBytes < 0 || w.LoginAttempts < 0 {
		errs = append(errs, fmt.Errorf("%s: web: keys \"webhook-max-bytes\" and \"login-attempts\" must not be negative", f.Path))
	}
	for _, c := range w.TrustedProxies {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			if a, aerr := netip.ParseAddr(c); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: web: key \"trusted-proxies\": %q is not a CIDR or an address", f.Path, c))
			continue
		}
		f.proxies = append(f.proxies, p.Masked())
	}
	if (w.SSOHeader == "") != (len(w.TrustedProxies) == 0) {
		errs = append(errs, fmt.Errorf("%s: web: keys \"sso-header\" and \"trusted-proxies\" go together (a header trusted from anywhere could be forged by anyone)", f.Path))
	}
	if w.SSODefaultRole != "" && !validRole(w.SSODefaultRole) {
		errs = append(errs, fmt.Errorf("%s: web: key \"sso-default-role\": %q is not %s", f.Path, w.SSODefaultRole, strings.Join(Roles, ", ")))
	}
	return errors.Join(errs...)
}

func validRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// TrustedProxies are the parsed "trusted-proxies".
func (f *File) TrustedProxies() []netip.Prefix { return f.proxies }

// Server returns the Kea target named name.
func (f *File) Server(name string) (Kea, bool) {
	for _, k := range f.Kea {
		if k.Name == name {
			return k, true
		}
	}
	return Kea{}, false
}
