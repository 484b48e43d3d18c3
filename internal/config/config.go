// Package config reads ddiscope's YAML configuration file: the targets to
// poll and how. Keys follow Kea's own spelling (trust-anchor, cert-file,
// retry-on-startup, on-fail, …) so that Kea operators recognise them. Unknown
// keys are errors naming the file and line.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
	"go.yaml.in/yaml/v3"
)

// Poll settings, shared by defaults and each target.
type Poll struct {
	Interval          *time.Duration `yaml:"interval"`
	Timeout           *time.Duration `yaml:"timeout"`
	RetryOnStartup    *bool          `yaml:"retry-on-startup"`
	OnFail            *string        `yaml:"on-fail"`
	MaxReconnectTries *int           `yaml:"max-reconnect-tries"`
	ReconnectWaitTime *time.Duration `yaml:"reconnect-wait-time"`
	MaxResponseBytes  *int64         `yaml:"max-response-bytes"`
	ConfigRefresh     *time.Duration `yaml:"config-refresh"`

	// Kea only.
	HAHeartbeat         *bool          `yaml:"ha-heartbeat"`           // send ha-heartbeat (a write command on Kea 3.x); default true
	LeaseInterval       *time.Duration `yaml:"lease-interval"`         // lease passes; 0 (default) turns them off
	LeasePageSize       *int           `yaml:"lease-page-size"`        // lease*-get-page "limit"; default 1000
	LeasePagesPerSecond *float64       `yaml:"lease-pages-per-second"` // cap that protects Kea; default 10
}

// KeaTarget is how to reach one Kea target (a Control Agent, a daemon's
// HTTP listener or a daemon's UNIX control socket): the part of a target
// that ddiscope and the config editor both read, with one syntax.
type KeaTarget struct {
	Name    string   `yaml:"name"`
	URL     string   `yaml:"url"`
	Daemons []string `yaml:"daemons"`

	Access `yaml:",inline"`

	Line int `yaml:"-"` // where the target starts in the file, for errors
}

// Kea is one Kea target of ddiscope's file: where it is and how to poll it.
type Kea struct {
	KeaTarget `yaml:",inline"`

	Poll `yaml:",inline"`
}

// Access is how ddiscope authenticates to a target and verifies it: the
// same keys for Kea and BIND.
type Access struct {
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password-file"`

	TrustAnchor        string `yaml:"trust-anchor"`
	CertFile           string `yaml:"cert-file"`
	KeyFile            string `yaml:"key-file"`
	ServerName         string `yaml:"server-name"`
	InsecureSkipVerify bool   `yaml:"insecure-skip-verify"`
}

// Bind is one BIND 9 statistics channel.
type Bind struct {
	Name         string         `yaml:"name"`
	URL          string         `yaml:"url"`    // http(s)://host:port of statistics-channels
	Format       string         `yaml:"format"` // auto (default), json or xml
	Zones        bool           `yaml:"zones"`  // per-zone statistics and serials
	ZoneInterval *time.Duration `yaml:"zone-interval"`

	Access `yaml:",inline"`

	Poll `yaml:",inline"`

	Line int `yaml:"-"`
}

// OTLP configures the push of the same metrics over OTLP. Unset fields take
// the standard OTEL_* environment variables, then the SDK's defaults.
type OTLP struct {
	Enabled            *bool             `yaml:"enabled"`
	Protocol           string            `yaml:"protocol"` // grpc or http/protobuf
	Endpoint           string            `yaml:"endpoint"`
	Insecure           *bool             `yaml:"insecure"`
	Headers            map[string]string `yaml:"headers"`
	Compression        string            `yaml:"compression"` // gzip or none
	Interval           *time.Duration    `yaml:"interval"`
	Timeout            *time.Duration    `yaml:"timeout"`
	Temporality        string            `yaml:"temporality"` // cumulative or delta
	TrustAnchor        string            `yaml:"trust-anchor"`
	CertFile           string            `yaml:"cert-file"`
	KeyFile            string            `yaml:"key-file"`
	ResourceAttributes map[string]string `yaml:"resource-attributes"`
}

// File is the whole configuration file.
type File struct {
	Defaults Poll   `yaml:"defaults"`
	Kea      []Kea  `yaml:"kea"`
	Bind     []Bind `yaml:"bind"`
	OTLP     OTLP   `yaml:"otlp"`

	Path string `yaml:"-"`
}

// Load reads and checks a configuration file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(path, b)
}

var fieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// DecodeStrict decodes YAML b into v, failing on unknown keys; errors name
// the file (path), line and key. Every configuration file of the project
// reads this way.
func DecodeStrict(path string, b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, 0, len(te.Errors))
			for _, e := range te.Errors {
				if m := fieldNotFound.FindStringSubmatch(e); m != nil {
					e = fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
				}
				msgs = append(msgs, fmt.Sprintf("%s:%s", path, strings.TrimPrefix(e, "line ")))
			}
			return fmt.Errorf("config file %s", strings.Join(msgs, "; "))
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Parse reads a configuration from b; path names it in errors.
func Parse(path string, b []byte) (*File, error) {
	f := &File{Path: path}
	if err := DecodeStrict(path, b, f); err != nil {
		return nil, err
	}
	// A second pass over the node tree finds each target's line for the
	// checks below, which the struct decode does not keep.
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil && len(root.Content) > 0 {
		doc := root.Content[0]
		for i := 0; i+1 < len(doc.Content); i += 2 {
			for j, n := range doc.Content[i+1].Content {
				switch doc.Content[i].Value {
				case "kea":
					if j < len(f.Kea) {
						f.Kea[j].Line = n.Line
					}
				case "bind":
					if j < len(f.Bind) {
						f.Bind[j].Line = n.Line
					}
				}
			}
		}
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	return f, nil
}

// Check validates targets: names unique and usable as labels, URLs usable,
// poll settings consistent. Errors name the file, line and key.
func (f *File) Check() error {
	seen := map[string]bool{}
	var errs []error
	for i := range f.Kea {
		k := &f.Kea[i]
		where := fmt.Sprintf("%s:%d: kea target %q", f.Path, k.Line, k.Name)
		if k.Name == "" {
			errs = append(errs, fmt.Errorf("%s:%d: kea target #%d: key \"name\" is missing", f.Path, k.Line, i+1))
			continue
		}
		errs = append(errs, k.KeaTarget.Check(where, seen)...)
		errs = append(errs, checkPoll(where, k.Effective(f.Defaults))...)
	}
	for i := range f.Bind {
		b := &f.Bind[i]
		where := fmt.Sprintf("%s:%d: bind target %q", f.Path, b.Line, b.Name)
		if b.Name == "" {
			errs = append(errs, fmt.Errorf("%s:%d: bind target #%d: key \"name\" is missing", f.Path, b.Line, i+1))
			continue
		}
		errs = append(errs, checkCommon(where, seen, b.Name, b.Access)...)
		if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: key \"url\": %q is not http(s)://host:port of a statistics channel", where, b.URL))
		}
		switch b.Format {
		case "", "auto", "json", "xml":
		default:
			errs = append(errs, fmt.Errorf("%s: key \"format\": %q is not auto, json or xml", where, b.Format))
		}
		if b.HAHeartbeat != nil || b.LeaseInterval != nil || b.LeasePageSize != nil || b.LeasePagesPerSecond != nil || b.ConfigRefresh != nil {
			errs = append(errs, fmt.Errorf("%s: keys \"ha-heartbeat\", \"lease-*\" and \"config-refresh\" are for Kea targets", where))
		}
		if b.ZoneInterval != nil && *b.ZoneInterval <= 0 {
			errs = append(errs, fmt.Errorf("%s: key \"zone-interval\" must be positive", where))
		}
		errs = append(errs, checkPoll(where, b.Poll.Effective(f.Defaults))...)
	}
	if o := f.OTLP; o.Protocol != "" && o.Protocol != "grpc" && o.Protocol != "http/protobuf" {
		errs = append(errs, fmt.Errorf("%s: otlp: key \"protocol\": %q is not grpc or http/protobuf", f.Path, o.Protocol))
	}
	if o := f.OTLP; o.Temporality != "" && o.Temporality != "cumulative" && o.Temporality != "delta" {
		errs = append(errs, fmt.Errorf("%s: otlp: key \"temporality\": %q is not cumulative or delta", f.Path, o.Temporality))
	}
	if o := f.OTLP; o.Compression != "" && o.Compression != "gzip" && o.Compression != "none" {
		errs = append(errs, fmt.Errorf("%s: otlp: key \"compression\": %q is not gzip or none", f.Path, o.Compression))
	}
	return errors.Join(errs...)
}

// Check validates a Kea target (where names it in errors; seen holds the
// names already used): a unique name, a usable URL, known daemons, and auth
// and TLS keys that make sense together.
func (k KeaTarget) Check(where string, seen map[string]bool) []error {
	errs := checkCommon(where, seen, k.Name, k.Access)
	if err := CheckURL(k.URL); err != nil {
		errs = append(errs, fmt.Errorf("%s: key \"url\": %w", where, err))
	}
	for _, d := range k.Daemons {
		if d != "dhcp4" && d != "dhcp6" && d != "d2" {
			errs = append(errs, fmt.Errorf("%s: key \"daemons\": %q is not dhcp4, dhcp6 or d2", where, d))
		}
	}
	return errs
}

// ClientOptions are the Kea control client's options for this target;
// zero timeout and maxBytes take the client's defaults.
func (k KeaTarget) ClientOptions(timeout time.Duration, maxBytes int64) keactl.Options {
	return keactl.Options{Name: k.Name, URL: k.URL, Timeout: timeout, MaxResponseBytes: maxBytes,
		Username: k.User, Password: k.Password, PasswordFile: k.PasswordFile,
		CAFile: k.TrustAnchor, CertFile: k.CertFile, KeyFile: k.KeyFile, ServerName: k.ServerName, InsecureSkipVerify: k.InsecureSkipVerify}
}

// OnFailModes are the values of "on-fail", Kea's own database vocabulary.
var OnFailModes = []string{"stop-retry-exit", "serve-retry-exit", "serve-retry-continue"}

// CheckOnFail validates an "on-fail" value.
func CheckOnFail(s string) error {
	if !slices.Contains(OnFailModes, s) {
		return fmt.Errorf("key \"on-fail\": %q is not stop-retry-exit, serve-retry-exit or serve-retry-continue", s)
	}
	return nil
}

// checkCommon checks what every target has: a unique name, and auth and TLS
// keys that make sense together.
func checkCommon(where string, seen map[string]bool, name string, a Access) []error {
	var errs []error
	if seen[name] {
		errs = append(errs, fmt.Errorf("%s: key \"name\": the name is used by another target", where))
	}
	seen[name] = true
	if a.Password != "" && a.PasswordFile != "" {
		errs = append(errs, fmt.Errorf("%s: keys \"password\" and \"password-file\" exclude each other", where))
	}
	if (a.CertFile == "") != (a.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s: keys \"cert-file\" and \"key-file\" go together", where))
	}
	return errs
}

// checkPoll validates effective poll settings.
func checkPoll(where string, p Poll) []error {
	var errs []error
	if p.OnFail != nil {
		if err := CheckOnFail(*p.OnFail); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	if p.Interval != nil && *p.Interval <= 0 || p.Timeout != nil && *p.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("%s: keys \"interval\" and \"timeout\" must be positive", where))
	}
	if p.Interval != nil && p.Timeout != nil && *p.Timeout > *p.Interval {
		errs = append(errs, fmt.Errorf("%s: key \"timeout\" (%s) is longer than \"interval\" (%s)", where, *p.Timeout, *p.Interval))
	}
	if p.MaxReconnectTries != nil && *p.MaxReconnectTries < 0 {
		errs = append(errs, fmt.Errorf("%s: key \"max-reconnect-tries\" must not be negative", where))
	}
	if p.LeaseInterval != nil && *p.LeaseInterval < 0 {
		errs = append(errs, fmt.Errorf("%s: key \"lease-interval\" must not be negative (0 turns lease passes off)", where))
	}
	if p.LeasePageSize != nil && (*p.LeasePageSize < 1 || *p.LeasePageSize > 10000) {
		errs = append(errs, fmt.Errorf("%s: key \"lease-page-size\" %d: must be 1 to 10000", where, *p.LeasePageSize))
	}
	if p.LeasePagesPerSecond != nil && *p.LeasePagesPerSecond <= 0 {
		errs = append(errs, fmt.Errorf("%s: key \"lease-pages-per-second\" must be positive", where))
	}
	return errs
}

// CheckURL accepts http(s)://host[:port]/… and unix:///path.
func CheckURL(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", raw)
		}
	case "unix":
		if u.Host != "" || u.Path == "" {
			return fmt.Errorf("%q: a socket URL is unix:///absolute/path", raw)
		}
	default:
		return fmt.Errorf("%q: scheme must be http, https or unix", raw)
	}
	return nil
}

// Effective returns the target's poll settings with the defaults filled in.
func (k *Kea) Effective(d Poll) Poll { return k.Poll.Effective(d) }

// Effective returns these poll settings with the defaults filled in.
func (p Poll) Effective(d Poll) Poll {
	if p.Interval == nil {
		p.Interval = d.Interval
	}
	if p.Timeout == nil {
		p.Timeout = d.Timeout
	}
	if p.RetryOnStartup == nil {
		p.RetryOnStartup = d.RetryOnStartup
	}
	if p.OnFail == nil {
		p.OnFail = d.OnFail
	}
	if p.MaxReconnectTries == nil {
		p.MaxReconnectTries = d.MaxReconnectTries
	}
	if p.ReconnectWaitTime == nil {
		p.ReconnectWaitTime = d.ReconnectWaitTime
	}
	if p.MaxResponseBytes == nil {
		p.MaxResponseBytes = d.MaxResponseBytes
	}
	if p.ConfigRefresh == nil {
		p.ConfigRefresh = d.ConfigRefresh
	}
	if p.HAHeartbeat == nil {
		p.HAHeartbeat = d.HAHeartbeat
	}
	if p.LeaseInterval == nil {
		p.LeaseInterval = d.LeaseInterval
	}
	if p.LeasePageSize == nil {
		p.LeasePageSize = d.LeasePageSize
	}
	if p.LeasePagesPerSecond == nil {
		p.LeasePagesPerSecond = d.LeasePagesPerSecond
	}
	return p
}

// ParseBindFlag reads --bind.target=NAME=URL.
func ParseBindFlag(s string) (Bind, error) {
	name, u, ok := strings.Cut(s, "=")
	if !ok || name == "" || u == "" {
		return Bind{}, fmt.Errorf("--bind.target %q: expected NAME=URL", s)
	}
	return Bind{Name: name, URL: u}, nil
}

// ParseTargetFlag reads --kea.target=NAME=URL.
func ParseTargetFlag(s string) (Kea, error) {
	name, u, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return Kea{}, fmt.Errorf("--kea.target %q: expected NAME=URL", s)
	}
	if err := CheckURL(u); err != nil {
		return Kea{}, fmt.Errorf("--kea.target %q: %w", s, err)
	}
	return Kea{KeaTarget: KeaTarget{Name: name, URL: u}}, nil
}
