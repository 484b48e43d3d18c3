package otlp

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/prometheus/common/version"
)

// resourceAttributes describe this ddiscope: service.name, service.version,
// service.instance.id and host.name, overridden or added to by attrs.
// service.instance.id defaults to the host name rather than a random id: the
// Prometheus translation makes it the instance label, which must not change
// at every restart.
func resourceAttributes(attrs map[string]string) (map[string]string, error) {
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("otlp resource: host name: %w", err)
	}
	all := map[string]string{
		"service.name":        "ddiscope",
		"service.version":     version.Version,
		"service.instance.id": host,
		"host.name":           host,
	}
	maps.Copy(all, attrs)
	return all, nil
}

// tlsConfig builds the client TLS settings from PEM files, or nil when none
// is configured (the system roots then verify the receiver).
func tlsConfig(c Config) (*tls.Config, error) {
	if c.CAFile == "" && c.CertFile == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("otlp ca-file: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("otlp ca-file %s: no PEM certificate in it", c.CAFile)
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("otlp cert-file %s and key-file %s: %w", c.CertFile, c.KeyFile, err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
