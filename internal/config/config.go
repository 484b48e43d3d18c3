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
	"reflect"
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
	// Mode is ModePoll (default: polled in the background, served by
	// /metrics and /probe) or ModeProbe (polled only when /probe asks).
	Mode *string `yaml:"mode"`

	// Kea only.
	HAHeartbeat         *bool          `yaml:"ha-heartbeat"`           // send ha-heartbeat (a write command on Kea 3.x); default true
	LeaseInterval       *time.Duration `yaml:"lease-interval"`         // lease passes; 0 (default) turns them off
	LeasePageSize       *int           `yaml:"lease-page-size"`        // lease*-get-page "limit"; default 1000
	LeasePagesPerSecond *float64       `yaml:"lease-pages-per-second"` // average cap that protects Kea; default 10
	LeaseBurst          *int           `yaml:"lease-burst"`            // pages back to back before a pause; default 10
	LeaseBudget         *time.Duration `yaml:"lease-budget"`           // time one poll may spend on lease pages; 0 (default): half what the poll has left
}

// The values of "mode".
const (
	// ModePoll polls the target in the background; /metrics serves the
	// latest poll and /probe polls it live. The default.
	ModePoll = "poll"
	// ModeProbe never polls the target in the background: it is polled only
	// when /probe asks for it, so that Prometheus servers sharding /probe
	// across targets are the only load on Kea.
	ModeProbe = "probe"
)

// ProbeOnly reports whether effective settings say mode: probe.
func (p Poll) ProbeOnly() bool { return p.Mode != nil && *p.Mode == ModeProbe }

// KeaTarget is how to reach one Kea target (a Control Agent, a daemon's
// HTTP listener or a daemon's UNIX control socket): the part of a target
// that ddiscope and the config editor both read, with one syntax.
type KeaTarget struct {
	Name    string   `yaml:"name"`
	URL     string   `yaml:"url"`
	Daemons []string `yaml:"daemons"`

	Access `yaml:",inline"`
}

// Kea is one Kea target of ddiscope's file: where it is and how to poll it.
type Kea struct {
	KeaTarget `yaml:",inline"`

	Poll `yaml:",inline"`

	Origin `yaml:"-"`
}

// Origin is where a target was given, for errors: a line of the file (and
// the line of each of its keys), or a command-line flag.
type Origin struct {
	Line int            // where the target starts in the file
	Keys map[string]int // the line of each key the target sets
	Flag string         // the flag that gave it, as typed, when not the file
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

	Origin `yaml:"-"`
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

	// The line of each key under defaults: and otlp:, for errors.
	defaultKeys, otlpKeys map[string]int
}

// Load reads and checks a configuration file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(path, b)
}

var fieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// DecodeStrict decodes YAML b into v, failing on unknown keys (with the
// closest known key suggested, for this package's types); errors name the
// file (path), line and key. Every configuration file of the project reads
// this way.
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
					if near := closestKey(m[2], knownKeys[m[3]]); near != "" {
						e += fmt.Sprintf(" (did you mean %q?)", near)
					}
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
	// A second pass over the node tree finds the line of each target and
	// of each key, which the struct decode does not keep: an error names
	// the line of the key at fault.
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil && len(root.Content) > 0 {
		doc := root.Content[0]
		for i := 0; i+1 < len(doc.Content); i += 2 {
			v := doc.Content[i+1]
			switch doc.Content[i].Value {
			case "defaults":
				f.defaultKeys = keyLines(v)
			case "otlp":
				f.otlpKeys = keyLines(v)
			}
			for j, n := range v.Content {
				switch doc.Content[i].Value {
				case "kea":
					if j < len(f.Kea) {
						f.Kea[j].Line, f.Kea[j].Keys = n.Line, keyLines(n)
					}
				case "bind":
					if j < len(f.Bind) {
						f.Bind[j].Line, f.Bind[j].Keys = n.Line, keyLines(n)
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

// keyLines maps each key of a YAML mapping to its line.
func keyLines(n *yaml.Node) map[string]int {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i].Line
	}
	return m
}

// Check validates targets: names unique and usable as labels, URLs usable,
// poll settings consistent. Errors name the file and the line of the key at
// fault, or the flag that gave the target.
func (f *File) Check() error {
	seen := map[string]string{} // target name → where it was first given
	var errs []error
	if err := checkMode(f.Defaults.Mode); err != nil {
		errs = append(errs, fmt.Errorf("%s:%d: defaults: %w", f.Path, f.defaultKeys["mode"], err))
	}
	for i := range f.Kea {
		k := &f.Kea[i]
		at := f.place("kea", k.Name, k.Origin)
		if k.Name == "" {
			errs = append(errs, fmt.Errorf("%s:%d: kea target #%d: key \"name\" is missing", f.Path, k.Line, i+1))
			continue
		}
		errs = append(errs, k.KeaTarget.Check(at, seen, f.origin("kea", k.Origin))...)
		if err := checkMode(k.Mode); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at("mode"), err))
		}
		errs = append(errs, checkPoll(at, k.Effective(f.Defaults))...)
	}
	for i := range f.Bind {
		b := &f.Bind[i]
		at := f.place("bind", b.Name, b.Origin)
		if b.Name == "" {
			errs = append(errs, fmt.Errorf("%s:%d: bind target #%d: key \"name\" is missing", f.Path, b.Line, i+1))
			continue
		}
		errs = append(errs, checkCommon(at, seen, b.Name, f.origin("bind", b.Origin), b.Access)...)
		if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: key \"url\": %q is not http(s)://host:port of a statistics channel", at("url"), b.URL))
		}
		switch b.Format {
		case "", "auto", "json", "xml":
		default:
			errs = append(errs, fmt.Errorf("%s: key \"format\": %q is not auto, json or xml", at("format"), b.Format))
		}
		if b.HAHeartbeat != nil || b.LeaseInterval != nil || b.LeasePageSize != nil || b.LeasePagesPerSecond != nil || b.LeaseBurst != nil || b.LeaseBudget != nil || b.ConfigRefresh != nil {
			errs = append(errs, fmt.Errorf("%s: keys \"ha-heartbeat\", \"lease-*\" and \"config-refresh\" are for Kea targets",
				at("ha-heartbeat", "lease-interval", "lease-page-size", "lease-pages-per-second", "lease-burst", "lease-budget", "config-refresh")))
		}
		if b.ZoneInterval != nil && *b.ZoneInterval <= 0 {
			errs = append(errs, fmt.Errorf("%s: key \"zone-interval\" must be positive", at("zone-interval")))
		}
		if err := checkMode(b.Mode); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at("mode"), err))
		}
		errs = append(errs, checkPoll(at, b.Poll.Effective(f.Defaults))...)
	}
	otlpAt := func(key string) string { return fmt.Sprintf("%s:%d: otlp", f.Path, f.otlpKeys[key]) }
	if o := f.OTLP; o.Protocol != "" && o.Protocol != "grpc" && o.Protocol != "http/protobuf" {
		errs = append(errs, fmt.Errorf("%s: key \"protocol\": %q is not grpc or http/protobuf", otlpAt("protocol"), o.Protocol))
	}
	if o := f.OTLP; o.Temporality != "" && o.Temporality != "cumulative" && o.Temporality != "delta" {
		errs = append(errs, fmt.Errorf("%s: key \"temporality\": %q is not cumulative or delta", otlpAt("temporality"), o.Temporality))
	}
	if o := f.OTLP; o.Compression != "" && o.Compression != "gzip" && o.Compression != "none" {
		errs = append(errs, fmt.Errorf("%s: key \"compression\": %q is not gzip or none", otlpAt("compression"), o.Compression))
	}
	return errors.Join(errs...)
}

// Check validates a Kea target: a unique name (seen maps each name already
// used to where it was given; origin says where this one is), a usable URL,
// known daemons, and auth and TLS keys that make sense together. at names
// the place of a key in errors.
func (k KeaTarget) Check(at func(keys ...string) string, seen map[string]string, origin string) []error {
	errs := checkCommon(at, seen, k.Name, origin, k.Access)
	if err := CheckURL(k.URL); err != nil {
		errs = append(errs, fmt.Errorf("%s: key \"url\": %w", at("url"), err))
	}
	for _, d := range k.Daemons {
		if d != "dhcp4" && d != "dhcp6" && d != "d2" {
			errs = append(errs, fmt.Errorf("%s: key \"daemons\": %q is not dhcp4, dhcp6 or d2", at("daemons"), d))
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

// place returns a function that says where a target's key is set: the file
// and the line of the first of keys the target sets itself, else of the one
// it inherits from defaults, else the target's own line; or the flag that
// gave the target.
func (f *File) place(kind, name string, o Origin) func(keys ...string) string {
	return func(keys ...string) string {
		if o.Flag != "" {
			return fmt.Sprintf("--%s.target %q", kind, o.Flag)
		}
		for _, k := range keys {
			if line, ok := o.Keys[k]; ok {
				return fmt.Sprintf("%s:%d: %s target %q", f.Path, line, kind, name)
			}
		}
		for _, k := range keys {
			if line, ok := f.defaultKeys[k]; ok {
				return fmt.Sprintf("%s:%d: %s target %q (from defaults)", f.Path, line, kind, name)
			}
		}
		return fmt.Sprintf("%s:%d: %s target %q", f.Path, o.Line, kind, name)
	}
}

// origin names a target for a later one that reuses its name.
func (f *File) origin(kind string, o Origin) string {
	if o.Flag != "" {
		return fmt.Sprintf("%s target given by --%s.target %q", kind, kind, o.Flag)
	}
	line := o.Line
	if l, ok := o.Keys["name"]; ok {
		line = l
	}
	return fmt.Sprintf("%s target at %s:%d", kind, f.Path, line)
}

// checkCommon checks what every target has: a unique name, and auth and TLS
// keys that make sense together.
func checkCommon(at func(...string) string, seen map[string]string, name, origin string, a Access) []error {
	var errs []error
	if first, ok := seen[name]; ok {
		errs = append(errs, fmt.Errorf("%s: name %q is already used by the %s", at("name"), name, first))
	} else {
		seen[name] = origin
	}
	if a.Password != "" && a.PasswordFile != "" {
		errs = append(errs, fmt.Errorf("%s: keys \"password\" and \"password-file\" exclude each other", at("password", "password-file")))
	}
	if (a.CertFile == "") != (a.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s: keys \"cert-file\" and \"key-file\" go together", at("cert-file", "key-file")))
	}
	return errs
}

// checkMode validates a "mode" value; the defaults' is checked once, where
// it is written, not again at every target that inherits it.
func checkMode(m *string) error {
	if m == nil || *m == ModePoll || *m == ModeProbe {
		return nil
	}
	return fmt.Errorf("key \"mode\": %q is not %s (background polling, the default) or %s (polled only by /probe)", *m, ModePoll, ModeProbe)
}

// checkPoll validates effective poll settings.
func checkPoll(at func(...string) string, p Poll) []error {
	var errs []error
	if p.OnFail != nil {
		if err := CheckOnFail(*p.OnFail); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at("on-fail"), err))
		}
	}
	if p.Interval != nil && *p.Interval <= 0 || p.Timeout != nil && *p.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("%s: keys \"interval\" and \"timeout\" must be positive", at("interval", "timeout")))
	}
	if p.Interval != nil && p.Timeout != nil && *p.Timeout > *p.Interval {
		errs = append(errs, fmt.Errorf("%s: key \"timeout\" (%s) is longer than \"interval\" (%s)", at("timeout", "interval"), *p.Timeout, *p.Interval))
	}
	if p.MaxReconnectTries != nil && *p.MaxReconnectTries < 0 {
		errs = append(errs, fmt.Errorf("%s: key \"max-reconnect-tries\" must not be negative", at("max-reconnect-tries")))
	}
	if p.LeaseInterval != nil && *p.LeaseInterval < 0 {
		errs = append(errs, fmt.Errorf("%s: key \"lease-interval\" must not be negative (0 turns lease passes off)", at("lease-interval")))
	}
	if p.LeasePageSize != nil && (*p.LeasePageSize < 1 || *p.LeasePageSize > 10000) {
		errs = append(errs, fmt.Errorf("%s: key \"lease-page-size\" %d: must be 1 to 10000", at("lease-page-size"), *p.LeasePageSize))
	}
	if p.LeasePagesPerSecond != nil && *p.LeasePagesPerSecond <= 0 {
		errs = append(errs, fmt.Errorf("%s: key \"lease-pages-per-second\" must be positive", at("lease-pages-per-second")))
	}
	if p.LeaseBurst != nil && (*p.LeaseBurst < 1 || *p.LeaseBurst > 1000) {
		errs = append(errs, fmt.Errorf("%s: key \"lease-burst\" %d: must be 1 to 1000 pages", at("lease-burst"), *p.LeaseBurst))
	}
	if p.LeaseBudget != nil && *p.LeaseBudget < 0 {
		errs = append(errs, fmt.Errorf("%s: key \"lease-budget\" must not be negative (0: half the time the poll has left)", at("lease-budget")))
	}
	if p.LeaseBudget != nil && p.Timeout != nil && *p.LeaseBudget >= *p.Timeout {
		errs = append(errs, fmt.Errorf("%s: key \"lease-budget\" (%s) must be shorter than \"timeout\" (%s): the poll's other commands need time too", at("lease-budget", "timeout"), *p.LeaseBudget, *p.Timeout))
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
	if p.Mode == nil {
		p.Mode = d.Mode
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
	if p.LeaseBurst == nil {
		p.LeaseBurst = d.LeaseBurst
	}
	if p.LeaseBudget == nil {
		p.LeaseBudget = d.LeaseBudget
	}
	return p
}

// ParseBindFlag reads --bind.target=NAME=URL.
func ParseBindFlag(s string) (Bind, error) {
	name, u, ok := strings.Cut(s, "=")
	if !ok || name == "" || u == "" {
		return Bind{}, fmt.Errorf("--bind.target %q: expected NAME=URL", s)
	}
	return Bind{Name: name, URL: u, Origin: Origin{Flag: s}}, nil
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
	return Kea{KeaTarget: KeaTarget{Name: name, URL: u}, Origin: Origin{Flag: s}}, nil
}

// knownKeys lists the keys of each section, by the type name the YAML
// decoder reports, for "did you mean" suggestions.
var knownKeys = map[string][]string{
	"config.File": yamlKeys(reflect.TypeFor[File]()),
	"config.Poll": yamlKeys(reflect.TypeFor[Poll]()),
	"config.Kea":  yamlKeys(reflect.TypeFor[Kea]()),
	"config.Bind": yamlKeys(reflect.TypeFor[Bind]()),
	"config.OTLP": yamlKeys(reflect.TypeFor[OTLP]()),
}

// yamlKeys returns the YAML keys of a struct type, inline fields included.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case opts == "inline":
			keys = append(keys, yamlKeys(f.Type)...)
		case name != "":
			keys = append(keys, name)
		}
	}
	return keys
}

// closestKey returns the known key nearest to an unknown one, when it is
// near enough to be a typo: at most a third of the key's length (and at
// least one) edits away, a swap of two neighbours counting as one.
func closestKey(unknown string, known []string) string {
	best, bestD := "", max(1, len(unknown)/3)+1
	for _, k := range known {
		if d := editDistance(unknown, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent characters.
func editDistance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
