package otlp

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"
)

// Protocols and temporalities Config accepts.
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"

	TemporalityCumulative = "cumulative"
	TemporalityDelta      = "delta"
	// TemporalityLowMemory is the SDK's third preference: delta for
	// synchronous counters only. ddiscope's counters are all observable, so
	// it pushes them cumulative.
	TemporalityLowMemory = "lowmemory"
)

// Defaults, from the OpenTelemetry specification except where noted.
const (
	DefaultProtocol = ProtocolHTTP
	DefaultInterval = 60 * time.Second
	// DefaultTimeout bounds one push: collection, every request and their
	// retries. The specification's 10 s request timeout, not its 30 s reader
	// timeout: a push that takes longer is lost anyway.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBatchSize keeps a request near 1.5 MB, under the 4 MiB a
	// gRPC server (the OpenTelemetry Collector's included) accepts by default.
	DefaultMaxBatchSize = 10000

	defaultHTTPEndpoint = "http://localhost:4318/v1/metrics"
	defaultGRPCEndpoint = "http://localhost:4317"
)

// Config is the OTLP push. The zero value is off; New fills in defaults.
type Config struct {
	Enabled  bool
	Protocol string // "grpc" or "http/protobuf"
	// Endpoint is a URL: scheme http (plaintext) or https (TLS), and for
	// http/protobuf the path to POST to (/v1/metrics when it has none).
	// host:port without a scheme is TLS unless Insecure.
	Endpoint    string
	Insecure    bool
	Headers     map[string]string
	Compression string // "gzip" or "none"
	// Interval is the time between pushes; Timeout bounds each.
	Interval, Timeout time.Duration
	Temporality       string // for counters: cumulative, delta or lowmemory
	// CAFile verifies the receiver; CertFile and KeyFile are the client
	// certificate for mTLS. PEM files, read when the exporter starts.
	CAFile, CertFile, KeyFile string
	// ResourceAttributes are added to, or override, service.name,
	// service.version, service.instance.id and host.name.
	ResourceAttributes map[string]string
	// MaxBatchSize is the most data points in one request; a push of more is
	// split. 0 means DefaultMaxBatchSize.
	MaxBatchSize int
}

// Merge returns file with its unset fields taken from env: settings in the
// configuration file win over the OTEL_* environment variables, as the SDK's
// options in code win over them. Headers and resource attributes merge key
// by key, the file winning. OTLP is on when either turns it on.
func Merge(file, env Config) Config {
	c := file
	c.Enabled = file.Enabled || env.Enabled
	c.Insecure = file.Insecure || env.Insecure
	pick := func(f *string, e string) {
		if *f == "" {
			*f = e
		}
	}
	pick(&c.Protocol, env.Protocol)
	pick(&c.Endpoint, env.Endpoint)
	pick(&c.Compression, env.Compression)
	pick(&c.Temporality, env.Temporality)
	pick(&c.CAFile, env.CAFile)
	pick(&c.CertFile, env.CertFile)
	pick(&c.KeyFile, env.KeyFile)
	if c.Interval <= 0 {
		c.Interval = env.Interval
	}
	if c.Timeout <= 0 {
		c.Timeout = env.Timeout
	}
	if c.MaxBatchSize <= 0 {
		c.MaxBatchSize = env.MaxBatchSize
	}
	c.Headers = mergeMaps(env.Headers, file.Headers)
	c.ResourceAttributes = mergeMaps(env.ResourceAttributes, file.ResourceAttributes)
	return c
}

// mergeMaps returns base overlaid with over, or nil when both are empty.
func mergeMaps(base, over map[string]string) map[string]string {
	if len(base)+len(over) == 0 {
		return nil
	}
	m := make(map[string]string, len(base)+len(over))
	maps.Copy(m, base)
	maps.Copy(m, over)
	return m
}

// withDefaults fills in what is unset and normalises the endpoint.
func (c Config) withDefaults() Config {
	if c.Protocol == "" {
		c.Protocol = DefaultProtocol
	}
	if c.Endpoint == "" {
		c.Endpoint = defaultHTTPEndpoint
		if c.Protocol == ProtocolGRPC {
			c.Endpoint = defaultGRPCEndpoint
		}
	}
	if c.Compression == "" {
		c.Compression = "none"
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Temporality == "" {
		c.Temporality = TemporalityCumulative
	}
	if c.MaxBatchSize <= 0 {
		c.MaxBatchSize = DefaultMaxBatchSize
	}
	return c
}

// Check reports every invalid setting, naming it; unset ones are fine (New
// fills in defaults). It reads no file.
func (c Config) Check() error {
	c = c.withDefaults()
	var errs []error
	switch c.Protocol {
	case ProtocolGRPC, ProtocolHTTP:
	default:
		errs = append(errs, fmt.Errorf("otlp protocol %q: want grpc or http/protobuf", c.Protocol))
	}
	if _, err := c.endpointURL(); err != nil {
		errs = append(errs, err)
	}
	switch c.Compression {
	case "gzip", "none":
	default:
		errs = append(errs, fmt.Errorf("otlp compression %q: want gzip or none", c.Compression))
	}
	switch c.Temporality {
	case TemporalityCumulative, TemporalityDelta, TemporalityLowMemory:
	default:
		errs = append(errs, fmt.Errorf("otlp temporality %q: want cumulative, delta or lowmemory", c.Temporality))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("otlp cert-file and key-file go together"))
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			errs = append(errs, fmt.Errorf("otlp header name %q is not a valid header name", k))
		}
	}
	return errors.Join(errs...)
}

// endpointURL parses Endpoint: scheme http or https (host:port alone means
// https, or http with Insecure), and for HTTP the path /v1/metrics when it
// has none.
func (c Config) endpointURL() (*url.URL, error) {
	raw := c.Endpoint
	if !strings.Contains(raw, "://") {
		scheme := "https://"
		if c.Insecure {
			scheme = "http://"
		}
		raw = scheme + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("otlp endpoint %q: %w", c.Endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("otlp endpoint %q: scheme must be http or https", c.Endpoint)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("otlp endpoint %q has no host", c.Endpoint)
	}
	if c.Protocol == ProtocolHTTP && (u.Path == "" || u.Path == "/") {
		u.Path = "/v1/metrics"
	}
	return u, nil
}
