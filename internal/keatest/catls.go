package keatest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BasicAuth is one client of the Control Agent's basic authentication.
type BasicAuth struct {
	User, Password string
}

// CATLSFiles are the Control Agent's PEM files: its certificate and key, and
// the trust anchor that verifies it (for a self-signed certificate, the
// certificate itself).
type CATLSFiles struct {
	CertFile, KeyFile, TrustAnchor string
}

// clientConfig trusts the agent's certificate through the trust anchor.
func (f *CATLSFiles) clientConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(f.TrustAnchor)
	if err != nil {
		return nil, fmt.Errorf("trust anchor: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("trust anchor %s: no PEM certificate", f.TrustAnchor)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// SelfSignedTLS writes a throwaway self-signed certificate for 127.0.0.1
// (valid one hour) and its key into a temporary directory.
func SelfSignedTLS(t testing.TB) *CATLSFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("keatest: TLS key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // its own trust anchor
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("keatest: TLS certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("keatest: TLS key: %v", err)
	}
	dir := t.TempDir()
	f := &CATLSFiles{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	f.TrustAnchor = f.CertFile
	if err := os.WriteFile(f.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatalf("keatest: %v", err)
	}
	if err := os.WriteFile(f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatalf("keatest: %v", err)
	}
	return f
}

// ReconfigureCA restarts the lab's Control Agent with other credentials and
// TLS (nil: none), as an operator fixing its configuration would, and waits
// until it answers. CAURL changes (the port, and the scheme with TLS).
func (l *Lab) ReconfigureCA(t testing.TB, auth *BasicAuth, files *CATLSFiles) {
	t.Helper()
	if l.ca == nil {
		t.Fatalf("keatest: lab has no control agent (Options.ControlAgent)")
	}
	if err := l.ca.stop(10 * time.Second); err != nil {
		t.Fatalf("keatest: %v", err)
	}
	l.opts.CAAuth, l.opts.CATLS = auth, files
	if err := l.startCA(); err != nil {
		t.Fatalf("keatest: %v (logs follow)", err)
	}
}

// HookPath returns the absolute path of an installed hook library
// (basename, e.g. "libdhcp_ha.so"), for hooks that need parameters in
// Extra4/Extra6. It skips (fails under CI=true) when it is missing.
func HookPath(t testing.TB, name string) string {
	t.Helper()
	paths, err := resolveHooks([]string{name})
	if err != nil {
		skipOrFail(t, "%v (Debian package kea-common)", err)
		return ""
	}
	return paths[0]
}
