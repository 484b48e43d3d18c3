package configbackend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/configui/config"
	shared "github.com/ddiscope/ddiscope/internal/config"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Kea's defaults for the members of a config-databases entry and of
// config-control (Kea ARM, "Database Connectivity" and "Configuration
// Backend in DHCPv4"). reconnect-wait-time is in milliseconds there.
const (
	DefaultFetchWaitTime = 30 * time.Second
	DefaultOnFail        = "stop-retry-exit"
	defaultPort          = 5432
	defaultHost          = "localhost"
)

// DB is one PostgreSQL entry of a server's config-control.config-databases,
// spelled as Kea spells it. The editor connects with exactly these settings:
// the database Kea pulls from is the one it writes to.
type DB struct {
	Name, Host string
	Port       int
	User       string
	Password   string
	// TLS, as Kea's: trust-anchor, cert-file, key-file (cipher-list is
	// Kea-side only: PostgreSQL's client library takes no cipher list).
	TrustAnchor, CertFile, KeyFile string
	ConnectTimeout                 time.Duration // Kea's connect-timeout (seconds); 0: 5 s
	// Kea's failure semantics, applied by the editor to its own connection
	// (see Open and docs/configui-config-backend.md).
	RetryOnStartup    bool
	OnFail            string // stop-retry-exit (Kea's default), serve-retry-exit, serve-retry-continue
	MaxReconnectTries int
	ReconnectWaitTime time.Duration
	ReadOnly          bool // Kea's "readonly": the editor refuses to write
}

// String names the database for messages, without the password.
func (d DB) String() string {
	return fmt.Sprintf("postgresql://%s@%s:%d/%s", d.User, d.Host, d.Port, d.Name)
}

// Server is what a daemon's config-get says about its configuration backend.
type Server struct {
	Daemon        string // dhcp4 or dhcp6
	ServerTag     string // the daemon's server-tag; Kea's default is "all"
	FetchWaitTime time.Duration
	Databases     []DB
	// Unsupported lists config-databases entries the editor does not edit
	// (MySQL), so a page can say why they are not shown.
	Unsupported []string
}

// ErrNoBackend means the daemon has no config-control with a database.
var ErrNoBackend = errors.New("no configuration backend in config-get (no config-control.config-databases)")

type rawDB struct {
	Type              string  `json:"type"`
	Name              string  `json:"name"`
	Host              string  `json:"host"`
	Port              *int    `json:"port"`
	User              string  `json:"user"`
	Password          string  `json:"password"`
	TrustAnchor       string  `json:"trust-anchor"`
	CertFile          string  `json:"cert-file"`
	KeyFile           string  `json:"key-file"`
	ConnectTimeout    *int    `json:"connect-timeout"`
	RetryOnStartup    *bool   `json:"retry-on-startup"`
	OnFail            *string `json:"on-fail"`
	MaxReconnectTries *int    `json:"max-reconnect-tries"`
	ReconnectWaitTime *int64  `json:"reconnect-wait-time"` // milliseconds
	ReadOnly          *bool   `json:"readonly"`
}

type rawDaemon struct {
	ServerTag     *string `json:"server-tag"`
	ConfigControl *struct {
		ConfigDatabases []rawDB `json:"config-databases"`
		FetchWaitTime   *int64  `json:"config-fetch-wait-time"` // seconds
	} `json:"config-control"`
}

// Parse reads config-get's arguments ({"Dhcp4": {...}} or {"Dhcp6": {...}})
// and returns the daemon's configuration backend, or ErrNoBackend.
func Parse(daemon string, args json.RawMessage) (*Server, error) {
	top := map[string]string{"dhcp4": "Dhcp4", "dhcp6": "Dhcp6"}[daemon]
	if top == "" {
		return nil, fmt.Errorf("daemon %q: only dhcp4 and dhcp6 have a configuration backend", daemon)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(args, &doc); err != nil {
		return nil, fmt.Errorf("config-get of %s: %w", daemon, err)
	}
	body, ok := doc[top]
	if !ok {
		return nil, fmt.Errorf("config-get of %s has no %q object", daemon, top)
	}
	var rd rawDaemon
	if err := json.Unmarshal(body, &rd); err != nil {
		return nil, fmt.Errorf("config-get of %s: %w", daemon, err)
	}
	if rd.ConfigControl == nil || len(rd.ConfigControl.ConfigDatabases) == 0 {
		return nil, ErrNoBackend
	}
	s := &Server{Daemon: daemon, ServerTag: "all", FetchWaitTime: DefaultFetchWaitTime}
	if rd.ServerTag != nil && strings.TrimSpace(*rd.ServerTag) != "" {
		s.ServerTag = strings.TrimSpace(*rd.ServerTag)
	}
	if w := rd.ConfigControl.FetchWaitTime; w != nil {
		s.FetchWaitTime = time.Duration(*w) * time.Second
	}
	for i, r := range rd.ConfigControl.ConfigDatabases {
		at := fmt.Sprintf("%s.config-control.config-databases[%d]", top, i)
		if r.Type != "postgresql" {
			s.Unsupported = append(s.Unsupported, fmt.Sprintf("%s: type %q (the editor edits PostgreSQL backends only)", at, r.Type))
			continue
		}
		d := DB{Name: r.Name, Host: r.Host, Port: defaultPort, User: r.User, Password: r.Password,
			TrustAnchor: r.TrustAnchor, CertFile: r.CertFile, KeyFile: r.KeyFile, OnFail: DefaultOnFail}
		if d.Name == "" {
			return nil, fmt.Errorf("%s: no \"name\"", at)
		}
		if d.Host == "" {
			d.Host = defaultHost
		}
		if r.Port != nil {
			if *r.Port < 1 || *r.Port > 65535 {
				return nil, fmt.Errorf("%s: port %d out of range", at, *r.Port)
			}
			d.Port = *r.Port
		}
		if r.ConnectTimeout != nil {
			d.ConnectTimeout = time.Duration(*r.ConnectTimeout) * time.Second
		}
		if r.RetryOnStartup != nil {
			d.RetryOnStartup = *r.RetryOnStartup
		}
		if r.OnFail != nil {
			if err := shared.CheckOnFail(*r.OnFail); err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			d.OnFail = *r.OnFail
		}
		if r.MaxReconnectTries != nil {
			if *r.MaxReconnectTries < 0 {
				return nil, fmt.Errorf("%s: max-reconnect-tries %d is negative", at, *r.MaxReconnectTries)
			}
			d.MaxReconnectTries = *r.MaxReconnectTries
		}
		if r.ReconnectWaitTime != nil {
			d.ReconnectWaitTime = time.Duration(*r.ReconnectWaitTime) * time.Millisecond
		}
		if r.ReadOnly != nil {
			d.ReadOnly = *r.ReadOnly
		}
		s.Databases = append(s.Databases, d)
	}
	return s, nil
}

// Detect asks a daemon for its configuration (config-get) and returns its
// configuration backend, or ErrNoBackend.
func Detect(ctx context.Context, c *keactl.Client, daemon string) (*Server, error) {
	service := daemon
	if c.IsSocket() {
		service = ""
	}
	resp, err := c.Call(ctx, "config-get", service, nil)
	if err != nil {
		return nil, err
	}
	return Parse(daemon, resp.Arguments)
}

// database turns the settings into the editor's config.Database, so that the
// connection string is built exactly as for the editor's own database.
func (d DB) database() config.Database {
	db := config.Database{Host: d.Host, Port: d.Port, Name: d.Name, User: d.User, Password: d.Password,
		TrustAnchor: d.TrustAnchor, CertFile: d.CertFile, KeyFile: d.KeyFile}
	if d.ConnectTimeout > 0 {
		ct := d.ConnectTimeout
		db.ConnectTimeout = &ct
	}
	return db
}
