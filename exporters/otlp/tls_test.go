package otlp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
)

// pki is a throw-away CA with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey string
	pool                                             *x509.CertPool
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p := pki{pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.ca = write("ca.pem", "CERTIFICATE", caDER)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	p.serverCert, p.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

// mTLS: the receiver requires a client certificate from the test CA, and
// ddiscope verifies the receiver with the same CA.
func TestMutualTLS(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	p := newPKI(t)
	cert, err := tls.LoadX509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	r := startReceiver(t, &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: p.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			cfg := testConfig(proto, r)
			if !strings.HasPrefix(cfg.Endpoint, "https://") {
				t.Fatalf("endpoint %s is not TLS", cfg.Endpoint)
			}
			cfg.CAFile, cfg.CertFile, cfg.KeyFile = p.ca, p.clientCert, p.clientKey
			r.received()
			e := startExporter(t, cfg, cat, store)
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatalf("push over mTLS: %v", err)
			}
			if n := len(r.received()); n != 1 {
				t.Errorf("%d requests over mTLS, want 1", n)
			}

			// Without the client certificate the receiver refuses.
			cfg.CertFile, cfg.KeyFile = "", ""
			cfg.Timeout = 300 * time.Millisecond
			anon := startExporter(t, cfg, cat, store)
			if err := anon.ForceFlush(context.Background()); err == nil {
				t.Error("a push without a client certificate succeeded")
			}

			// Without the CA ddiscope does not trust the receiver.
			cfg.CAFile, cfg.CertFile, cfg.KeyFile = "", p.clientCert, p.clientKey
			untrusting := startExporter(t, cfg, cat, store)
			if err := untrusting.ForceFlush(context.Background()); err == nil {
				t.Error("a push to a receiver signed by an unknown CA succeeded")
			}
		})
	}
}

func TestBadTLSFilesAreErrors(t *testing.T) {
	cat := testCatalog(t)
	store := collector.NewStore()
	p := newPKI(t)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing CA", Config{Endpoint: "https://127.0.0.1:1", CAFile: "/nonexistent/ca.pem"}, "ca-file"},
		{"CA not PEM", Config{Endpoint: "https://127.0.0.1:1", CAFile: p.serverKey}, "no PEM certificate"},
		{"key of another cert", Config{Endpoint: "https://127.0.0.1:1", CertFile: p.clientCert, KeyFile: p.serverKey}, "cert-file"},
		{"TLS files with http://", Config{Endpoint: "http://127.0.0.1:1", CAFile: p.ca}, "plaintext"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Enabled = true
			_, err := New(context.Background(), tc.cfg, cat, store, quiet)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error about %s", err, tc.want)
			}
		})
	}
}
