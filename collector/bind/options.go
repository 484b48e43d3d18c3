// Package bind polls BIND 9's statistics channel (JSON v1 or XML v3) and
// turns it into catalog samples: server counters, per-view resolver and
// cache statistics, sockets, traffic sizes, memory, tasks (9.18) and, when
// enabled, zones on their own slower interval.
package bind

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Statistics channel formats.
const (
	FormatAuto = "auto" // JSON, or XML when the channel has no JSON (404)
	FormatJSON = "json"
	FormatXML  = "xml"
)

// Defaults for unset Options.
const (
	DefaultZoneInterval     = 5 * time.Minute
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 128 << 20 // /xml/v3 is ~3 KB a zone: 128 MiB is ~40,000 zones
)

// Options configure one BIND target.
type Options struct {
	Name string // the target's name: the server label and the name in errors
	// URL is the statistics channel, http://127.0.0.1:8053/ or https://…;
	// a path after the host is kept as a prefix (for a reverse proxy).
	URL    string
	Format string // FormatAuto (default), FormatJSON or FormatXML

	// Zones enables zone statistics (serials, per-zone counters), read every
	// ZoneInterval (default 5m) rather than every poll: on a server with
	// thousands of zones they are what costs named CPU.
	Zones        bool
	ZoneInterval time.Duration

	Timeout          time.Duration // one request, connect to last byte; default 10s
	MaxResponseBytes int64         // a larger reply fails with too_large; default 128 MiB

	Username     string
	Password     string
	PasswordFile string // read by NewPoller; wins over Password

	CAFile             string // trust anchor for the server's certificate
	CertFile, KeyFile  string // client certificate for mTLS
	ServerName         string // overrides the name checked in the server's certificate
	InsecureSkipVerify bool
}

// withDefaults fills unset fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		return o, fmt.Errorf("bind target: no name")
	}
	switch strings.ToLower(o.Format) {
	case "", FormatAuto:
		o.Format = FormatAuto
	case FormatJSON, "json.v1", "json/v1":
		o.Format = FormatJSON
	case FormatXML, "xml.v3", "xml/v3":
		o.Format = FormatXML
	default:
		return o, fmt.Errorf("bind target %q: format %q: must be auto, json or xml", o.Name, o.Format)
	}
	if o.ZoneInterval <= 0 {
		o.ZoneInterval = DefaultZoneInterval
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	u, err := url.Parse(o.URL)
	if err != nil {
		return o, fmt.Errorf("bind target %q: url %q: %w", o.Name, o.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return o, fmt.Errorf("bind target %q: url %q: scheme must be http or https", o.Name, o.URL)
	}
	if u.Host == "" {
		return o, fmt.Errorf("bind target %q: url %q: no host", o.Name, o.URL)
	}
	return o, nil
}

// base is the URL the statistics paths are appended to, without a trailing
// slash: http://host:8053 or http://proxy/bind1.
func (o Options) base() string { return strings.TrimRight(o.URL, "/") }
