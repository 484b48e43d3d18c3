package otlp

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ConfigFromEnv reads the standard OpenTelemetry environment variables:
// OTEL_METRICS_EXPORTER (otlp turns the push on), OTEL_SDK_DISABLED (true
// turns it off again), OTEL_EXPORTER_OTLP_* and
// their OTEL_EXPORTER_OTLP_METRICS_* forms (which win), OTEL_METRIC_EXPORT_*,
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, OTEL_RESOURCE_ATTRIBUTES
// and OTEL_SERVICE_NAME. A bad value is an error naming its variable. Use
// Merge to combine the result with the configuration file.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	bad := func(name, v, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, v, want))
	}
	// get returns the metrics-specific variable, else the generic one.
	get := func(suffix string) (name, value string) {
		for _, n := range []string{"OTEL_EXPORTER_OTLP_METRICS_" + suffix, "OTEL_EXPORTER_OTLP_" + suffix} {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return n, v
			}
		}
		return "", ""
	}

	if v := getenv("OTEL_METRICS_EXPORTER"); strings.TrimSpace(v) != "" {
		for _, e := range strings.Split(v, ",") {
			switch strings.TrimSpace(strings.ToLower(e)) {
			case "otlp":
				c.Enabled = true
			case "none", "prometheus", "":
				// /metrics is always served.
			default:
				bad("OTEL_METRICS_EXPORTER", v, "ddiscope pushes otlp only (and always serves prometheus on /metrics)")
			}
		}
	}
	// The SDK's switch for all of it: true wins over OTEL_METRICS_EXPORTER
	// (the configuration file's enabled: still wins over both).
	if v := strings.TrimSpace(getenv("OTEL_SDK_DISABLED")); v != "" {
		off, err := strconv.ParseBool(v)
		if err != nil {
			bad("OTEL_SDK_DISABLED", v, "want true or false")
		}
		if off {
			c.Enabled = false
		}
	}
	if n, v := get("PROTOCOL"); v != "" {
		switch v {
		case ProtocolGRPC, ProtocolHTTP:
			c.Protocol = v
		default:
			bad(n, v, "want grpc or http/protobuf")
		}
	}
	if n, v := get("INSECURE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(n, v, "want true or false")
		}
		c.Insecure = b
	}
	// The generic endpoint is a base URL the signal's path is added to; the
	// metrics one is used as it is (the OpenTelemetry rule).
	if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")); v != "" {
		if err := checkEnvURL(v); err != nil {
			bad("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", v, err.Error())
		}
		c.Endpoint = v
	} else if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); v != "" {
		if err := checkEnvURL(v); err != nil {
			bad("OTEL_EXPORTER_OTLP_ENDPOINT", v, err.Error())
		}
		c.Endpoint = v
		if c.Protocol != ProtocolGRPC {
			c.Endpoint = strings.TrimRight(v, "/") + "/v1/metrics"
		}
	}
	if n, v := get("HEADERS"); v != "" {
		h, err := parseKeyValues(v)
		if err != nil {
			bad(n, v, err.Error())
		}
		c.Headers = h
	}
	if n, v := get("COMPRESSION"); v != "" {
		switch v {
		case "gzip", "none":
			c.Compression = v
		default:
			bad(n, v, "want gzip or none")
		}
	}
	_, c.CAFile = get("CERTIFICATE")
	_, c.CertFile = get("CLIENT_CERTIFICATE")
	_, c.KeyFile = get("CLIENT_KEY")

	millis := func(name string) time.Duration {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > int64(time.Duration(1<<63-1)/time.Millisecond) {
			bad(name, v, "want a positive number of milliseconds")
			return 0
		}
		return time.Duration(n) * time.Millisecond
	}
	c.Interval = millis("OTEL_METRIC_EXPORT_INTERVAL")
	// One timeout bounds a push: the reader's if set, else the exporter's.
	c.Timeout = millis("OTEL_METRIC_EXPORT_TIMEOUT")
	for _, n := range []string{"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"} {
		if d := millis(n); c.Timeout == 0 && d > 0 {
			c.Timeout = d
		}
	}
	if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")); v != "" {
		switch t := strings.ToLower(v); t {
		case TemporalityCumulative, TemporalityDelta, TemporalityLowMemory:
			c.Temporality = t
		default:
			bad("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", v, "want cumulative, delta or lowmemory")
		}
	}
	if v := strings.TrimSpace(getenv("OTEL_RESOURCE_ATTRIBUTES")); v != "" {
		ra, err := parseKeyValues(v)
		if err != nil {
			bad("OTEL_RESOURCE_ATTRIBUTES", v, err.Error())
		}
		c.ResourceAttributes = ra
	}
	if v := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); v != "" {
		if c.ResourceAttributes == nil {
			c.ResourceAttributes = map[string]string{}
		}
		c.ResourceAttributes["service.name"] = v
	}
	return c, errors.Join(errs...)
}

func checkEnvURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http:// or https:// URL with a host")
	}
	return nil
}

// parseKeyValues reads the W3C-Baggage-like list the OTEL_*_HEADERS and
// OTEL_RESOURCE_ATTRIBUTES variables use: key=value pairs separated by
// commas, values percent-encoded.
func parseKeyValues(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", strings.TrimSpace(part))
		}
		dk, err := url.PathUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", k, err)
		}
		m[dk] = dv
	}
	return m, nil
}
