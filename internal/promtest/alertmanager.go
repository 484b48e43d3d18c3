package promtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
)

// AlertmanagerOptions configures StartAlertmanager.
type AlertmanagerOptions struct {
	// Config is alertmanager.yml.
	Config []byte
}

// AlertmanagerServer is a running Alertmanager.
type AlertmanagerServer struct {
	URL  string // http://127.0.0.1:port
	Addr string // what Prometheus's alerting configuration needs
	Dir  string
}

// StartAlertmanager starts Alertmanager with the configuration on a free
// loopback port, clustering off, and waits until it is ready. It is
// stopped by t.Cleanup.
func StartAlertmanager(t testing.TB, opts AlertmanagerOptions) *AlertmanagerServer {
	t.Helper()
	bin := binary(t, Alertmanager)
	s := &AlertmanagerServer{Addr: FreeAddr(t), Dir: t.TempDir()}
	s.URL = "http://" + s.Addr
	if err := writeFiles(s.Dir, map[string][]byte{"alertmanager.yml": opts.Config}); err != nil {
		t.Fatalf("promtest: %v", err)
	}
	p := start(t, "alertmanager", bin,
		"--config.file="+filepath.Join(s.Dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(s.Dir, "data"),
		"--web.listen-address="+s.Addr,
		"--cluster.listen-address=", // no gossip port: one Alertmanager alone
	)
	p.waitReady(t, s.URL+"/-/ready")
	return s
}

// AMAlert is an alert as Alertmanager's /api/v2/alerts reports it.
type AMAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      struct {
		State       string   `json:"state"` // active, suppressed, unprocessed
		InhibitedBy []string `json:"inhibitedBy"`
		SilencedBy  []string `json:"silencedBy"`
	} `json:"status"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

// Alerts returns every alert Alertmanager holds, inhibited ones included.
func (s *AlertmanagerServer) Alerts() ([]AMAlert, error) {
	resp, err := http.Get(s.URL + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/api/v2/alerts: HTTP %d: %.200s", resp.StatusCode, body)
	}
	var as []AMAlert
	if err := json.Unmarshal(body, &as); err != nil {
		return nil, fmt.Errorf("/api/v2/alerts: %w", err)
	}
	return as, nil
}
