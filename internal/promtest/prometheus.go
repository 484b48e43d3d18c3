package promtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Job is one scrape job.
type Job struct {
	Name        string
	Targets     []string // host:port
	MetricsPath string   // default /metrics
}

// PrometheusOptions configures StartPrometheus.
type PrometheusOptions struct {
	ScrapeInterval     time.Duration // default 1s
	EvaluationInterval time.Duration // default 1s
	Jobs               []Job
	// RuleFiles are written beside the configuration and loaded
	// (file name → content).
	RuleFiles map[string][]byte
	// Alertmanagers are host:port of Alertmanagers to send alerts to.
	Alertmanagers []string
}

// PrometheusServer is a running Prometheus.
type PrometheusServer struct {
	URL  string // http://127.0.0.1:port
	Addr string
	Dir  string // configuration, rules and storage
}

// StartPrometheus writes a configuration from opts, starts Prometheus on a
// free loopback port and waits until it is ready. It is stopped by
// t.Cleanup.
func StartPrometheus(t testing.TB, opts PrometheusOptions) *PrometheusServer {
	t.Helper()
	bin := binary(t, Prometheus)
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.EvaluationInterval == 0 {
		opts.EvaluationInterval = time.Second
	}
	s := &PrometheusServer{Addr: FreeAddr(t), Dir: t.TempDir()}
	s.URL = "http://" + s.Addr
	conf, err := prometheusConfig(opts)
	if err != nil {
		t.Fatalf("promtest: %v", err)
	}
	files := map[string][]byte{"prometheus.yml": conf}
	for name, data := range opts.RuleFiles {
		files[filepath.Join("rules", name)] = data
	}
	if err := writeFiles(s.Dir, files); err != nil {
		t.Fatalf("promtest: %v", err)
	}
	p := start(t, "prometheus", bin,
		"--config.file="+filepath.Join(s.Dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.Dir, "data"),
		"--web.listen-address="+s.Addr,
	)
	p.waitReady(t, s.URL+"/-/ready")
	return s
}

func prometheusConfig(opts PrometheusOptions) ([]byte, error) {
	type static struct {
		Targets []string `yaml:"targets"`
	}
	type scrape struct {
		JobName       string   `yaml:"job_name"`
		MetricsPath   string   `yaml:"metrics_path,omitempty"`
		StaticConfigs []static `yaml:"static_configs"`
	}
	conf := map[string]any{
		"global": map[string]string{
			"scrape_interval":     model.Duration(opts.ScrapeInterval).String(),
			"evaluation_interval": model.Duration(opts.EvaluationInterval).String(),
		},
	}
	var jobs []scrape
	for _, j := range opts.Jobs {
		jobs = append(jobs, scrape{JobName: j.Name, MetricsPath: j.MetricsPath, StaticConfigs: []static{{j.Targets}}})
	}
	conf["scrape_configs"] = jobs
	if len(opts.RuleFiles) > 0 {
		conf["rule_files"] = []string{"rules/*"}
	}
	if len(opts.Alertmanagers) > 0 {
		conf["alerting"] = map[string]any{"alertmanagers": []any{map[string]any{"static_configs": []static{{opts.Alertmanagers}}}}}
	}
	b, err := yaml.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("prometheus.yml: %w", err)
	}
	return b, nil
}

// apiGet reads a Prometheus HTTP API answer's data into v.
func (s *PrometheusServer) apiGet(path string, query url.Values, v any) error {
	resp, err := http.Get(s.URL + path + "?" + query.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d, not JSON: %.200s", path, resp.StatusCode, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s", path, r.Error)
	}
	return json.Unmarshal(r.Data, v)
}

// Query evaluates an instant query now.
func (s *PrometheusServer) Query(expr string) (model.Vector, error) {
	var r struct {
		ResultType string       `json:"resultType"`
		Result     model.Vector `json:"result"`
	}
	if err := s.apiGet("/api/v1/query", url.Values{"query": {expr}}, &r); err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	if r.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, want vector", expr, r.ResultType)
	}
	return r.Result, nil
}

// Alert is an alert as Prometheus's /api/v1/alerts reports it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing
	Value       string            `json:"value"`
}

// Alerts returns the pending and firing alerts.
func (s *PrometheusServer) Alerts() ([]Alert, error) {
	var r struct {
		Alerts []Alert `json:"alerts"`
	}
	err := s.apiGet("/api/v1/alerts", nil, &r)
	return r.Alerts, err
}

// Target is a scrape target as /api/v1/targets reports it.
type Target struct {
	Labels    map[string]string `json:"labels"`
	ScrapeURL string            `json:"scrapeUrl"`
	Health    string            `json:"health"` // up, down, unknown
	LastError string            `json:"lastError"`
}

// Targets returns the active scrape targets.
func (s *PrometheusServer) Targets() ([]Target, error) {
	var r struct {
		Active []Target `json:"activeTargets"`
	}
	err := s.apiGet("/api/v1/targets", nil, &r)
	return r.Active, err
}

// WaitForAlert waits until an alert of that name is in state (pending or
// firing) and returns it.
func (s *PrometheusServer) WaitForAlert(t testing.TB, timeout time.Duration, name, state string) Alert {
	t.Helper()
	var found Alert
	Eventually(t, timeout, fmt.Sprintf("alert %s %s in Prometheus", name, state), func() bool {
		as, err := s.Alerts()
		if err != nil {
			t.Logf("promtest: %v", err)
			return false
		}
		for _, a := range as {
			if a.Labels["alertname"] == name && a.State == state {
				found = a
				return true
			}
		}
		return false
	})
	return found
}
