package otlp

import (
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"nothing set: off", nil, Config{}},
		{"OTEL_METRICS_EXPORTER=otlp turns it on", map[string]string{"OTEL_METRICS_EXPORTER": "otlp"}, Config{Enabled: true}},
		{"a list with prometheus", map[string]string{"OTEL_METRICS_EXPORTER": "prometheus, otlp"}, Config{Enabled: true}},
		{"none", map[string]string{"OTEL_METRICS_EXPORTER": "none"}, Config{}},
		{"OTEL_SDK_DISABLED=true turns it off", map[string]string{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, Config{}},
		{"OTEL_SDK_DISABLED=false leaves it on", map[string]string{"OTEL_METRICS_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "false"}, Config{Enabled: true}},
		{"generic endpoint gets the signal path over HTTP", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318/base/"},
			Config{Endpoint: "https://collector:4318/base/v1/metrics"}},
		{"generic endpoint is the address over gRPC", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"},
			Config{Protocol: ProtocolGRPC, Endpoint: "http://collector:4317"}},
		{"the metrics endpoint is used as it is and wins", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://b:9090/otlp/v1/metrics"},
			Config{Endpoint: "http://b:9090/otlp/v1/metrics"}},
		{"metrics-specific settings win", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "b=2",
			"OTEL_EXPORTER_OTLP_COMPRESSION": "none", "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION": "gzip"},
			Config{Protocol: ProtocolHTTP, Headers: map[string]string{"b": "2"}, Compression: "gzip"}},
		{"headers are percent-decoded", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Basic%20dXNlcjpwYXNz, X-Scope-OrgID = tenant1"},
			Config{Headers: map[string]string{"Authorization": "Basic dXNlcjpwYXNz", "X-Scope-OrgID": "tenant1"}}},
		{"TLS files", map[string]string{"OTEL_EXPORTER_OTLP_CERTIFICATE": "/ca.pem",
			"OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE": "/c.pem", "OTEL_EXPORTER_OTLP_CLIENT_KEY": "/k.pem"},
			Config{CAFile: "/ca.pem", CertFile: "/c.pem", KeyFile: "/k.pem"}},
		{"insecure", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "true"}, Config{Insecure: true}},
		{"interval and the reader's timeout, in ms", map[string]string{"OTEL_METRIC_EXPORT_INTERVAL": "15000",
			"OTEL_METRIC_EXPORT_TIMEOUT": "5000", "OTEL_EXPORTER_OTLP_TIMEOUT": "7000"},
			Config{Interval: 15 * time.Second, Timeout: 5 * time.Second}},
		{"the exporter's timeout when the reader's is unset", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "7000",
			"OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "3000"}, Config{Timeout: 3 * time.Second}},
		{"temporality", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "Delta"}, Config{Temporality: TemporalityDelta}},
		{"resource attributes and service name", map[string]string{
			"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,service.name=x,site=Paris%20North",
			"OTEL_SERVICE_NAME":        "ddiscope-dc1"},
			Config{ResourceAttributes: map[string]string{"deployment.environment.name": "prod", "service.name": "ddiscope-dc1", "site": "Paris North"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestConfigFromEnvNamesTheBadVariable(t *testing.T) {
	for name, value := range map[string]string{
		"OTEL_METRICS_EXPORTER":                             "console",
		"OTEL_EXPORTER_OTLP_PROTOCOL":                       "http/json",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT":               "collector:4318",
		"OTEL_EXPORTER_OTLP_ENDPOINT":                       "ftp://collector",
		"OTEL_EXPORTER_OTLP_HEADERS":                        "novalue",
		"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION":            "zstd",
		"OTEL_EXPORTER_OTLP_INSECURE":                       "maybe",
		"OTEL_METRIC_EXPORT_INTERVAL":                       "1m",
		"OTEL_EXPORTER_OTLP_TIMEOUT":                        "-5",
		"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "sometimes",
		"OTEL_RESOURCE_ATTRIBUTES":                          "a=%zz",
		"OTEL_SDK_DISABLED":                                 "yes please",
	} {
		_, err := ConfigFromEnv(envOf(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name+"=") {
			t.Errorf("%s=%s: error %v, want one naming the variable", name, value, err)
		}
	}
}

// The configuration file wins over the environment, key by key.
func TestMerge(t *testing.T) {
	env := Config{Enabled: true, Protocol: ProtocolGRPC, Endpoint: "http://env:4317", Timeout: 3 * time.Second,
		Headers: map[string]string{"a": "env", "b": "env"}, ResourceAttributes: map[string]string{"site": "env"}}
	file := Config{Endpoint: "http://file:4317", Interval: 10 * time.Second,
		Headers: map[string]string{"b": "file"}, ResourceAttributes: map[string]string{"team": "dhcp"}}
	envCopy := env
	envCopy.Headers = maps.Clone(env.Headers)
	got := Merge(file, env)
	want := Config{Enabled: true, Protocol: ProtocolGRPC, Endpoint: "http://file:4317", Interval: 10 * time.Second, Timeout: 3 * time.Second,
		Headers: map[string]string{"a": "env", "b": "file"}, ResourceAttributes: map[string]string{"site": "env", "team": "dhcp"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(env, envCopy) {
		t.Error("Merge changed its argument")
	}
}

func TestCheck(t *testing.T) {
	if err := (Config{}).Check(); err != nil {
		t.Errorf("the zero Config (all defaults): %v", err)
	}
	bad := Config{Protocol: "udp", Endpoint: "ftp://x", Compression: "zstd", Temporality: "sometimes", CertFile: "/c.pem",
		Headers: map[string]string{"bad name": "x"}}
	err := bad.Check()
	for _, want := range []string{"protocol", "endpoint", "compression", "temporality", "cert-file and key-file", "header name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check: %v, want it to name %s", err, want)
		}
	}
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "http://localhost:4318/v1/metrics"},
		{Config{Protocol: ProtocolGRPC}, "http://localhost:4317"},
		{Config{Endpoint: "https://otlp.example.com"}, "https://otlp.example.com/v1/metrics"},
		{Config{Endpoint: "https://otlp.example.com/otlp/v1/metrics"}, "https://otlp.example.com/otlp/v1/metrics"},
		{Config{Protocol: ProtocolGRPC, Endpoint: "collector:4317"}, "https://collector:4317"},
		{Config{Protocol: ProtocolGRPC, Endpoint: "collector:4317", Insecure: true}, "http://collector:4317"},
	} {
		u, err := tc.cfg.withDefaults().endpointURL()
		if err != nil || u.String() != tc.want {
			t.Errorf("%+v: %v %v, want %s", tc.cfg, u, err, tc.want)
		}
	}
}
