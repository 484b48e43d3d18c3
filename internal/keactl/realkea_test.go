package keactl

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestRealControlAgentTLSAndBasicAuth runs Debian's kea-ctrl-agent with TLS,
// a required client certificate and basic auth in front of a real
// kea-dhcp4, and checks the client's TLS, mTLS and auth options against it.
func TestRealControlAgentTLSAndBasicAuth(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-ctrl-agent")
	lab := keatest.Start(t, keatest.Options{})
	dir := t.TempDir()
	pki := newPKI(t, dir)
	port := freePort(t)
	conf := map[string]any{"Control-agent": map[string]any{
		"http-host": "127.0.0.1", "http-port": port,
		"trust-anchor": pki.caFile, "cert-file": pki.serverCert, "key-file": pki.serverKey, "cert-required": true,
		"authentication": map[string]any{"type": "basic", "realm": "kea",
			"clients": []any{map[string]any{"user": "ddiscope", "password": "s3cret"}}},
		"control-sockets": map[string]any{"dhcp4": map[string]any{"socket-type": "unix", "socket-name": lab.Socket4}},
		"loggers": []any{map[string]any{"name": "kea-ctrl-agent", "severity": "INFO",
			"output_options": []any{map[string]any{"output": filepath.Join(dir, "ca.log")}}}},
	}}
	b, _ := json.Marshal(conf)
	confFile := filepath.Join(dir, "ca.json")
	os.WriteFile(confFile, b, 0o644)
	cmd := exec.Command("kea-ctrl-agent", "-c", confFile)
	cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR=none")
	out, _ := os.Create(filepath.Join(dir, "ca.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); out.Close() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "ca.out"))
			t.Fatalf("kea-ctrl-agent did not listen on %s: %s", addr, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	url := "https://" + addr + "/"
	good := Options{Name: "t1", URL: url, CAFile: pki.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey, Username: "ddiscope", Password: "s3cret"}
	call := func(o Options) error {
		c, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Call(context.Background(), "version-get", "dhcp4", nil)
		return err
	}
	if err := call(good); err != nil {
		t.Fatalf("TLS, client certificate and basic auth: %v", err)
	}
	wrongPass := good
	wrongPass.Password = "nope"
	wantReason(t, call(wrongPass), ReasonUnauthorized)
	noAuth := good
	noAuth.Username, noAuth.Password = "", ""
	wantReason(t, call(noAuth), ReasonUnauthorized)
	noClientCert := good
	noClientCert.CertFile, noClientCert.KeyFile = "", ""
	if err := call(noClientCert); err == nil {
		t.Fatal("Kea requires a client certificate, yet a call without one succeeded")
	}
	noTrust := good
	noTrust.CAFile = ""
	wantReason(t, call(noTrust), ReasonConnect)
	skip := good
	skip.CAFile, skip.InsecureSkipVerify = "", true
	if err := call(skip); err != nil {
		t.Fatalf("insecure-skip-verify: %v", err)
	}
}

// TestRealKea30DaemonTLSAndBasicAuth does the same against Kea 3.0.4's own
// HTTPS control socket on kea-dhcp4, without a Control Agent: commands carry
// no service and the reply is still an array of one answer.
func TestRealKea30DaemonTLSAndBasicAuth(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30, HTTPAuth: true, HTTPClientCert: true})
	good := Options{Name: "t1", URL: lab.HTTP4URL, CAFile: lab.TLS.CAFile, CertFile: lab.TLS.ClientCert, KeyFile: lab.TLS.ClientKey,
		Username: keatest.HTTPUser, Password: lab.HTTPPassword}
	call := func(o Options) (Response, error) {
		c, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Call(context.Background(), "config-hash-get", "", nil)
	}
	if r, err := call(good); err != nil || r.Result != 0 {
		t.Fatalf("TLS, client certificate and basic auth: %+v %v", r, err)
	}
	wrongPass := good
	wrongPass.Password = "nope"
	_, err := call(wrongPass)
	wantReason(t, err, ReasonUnauthorized)
	noAuth := good
	noAuth.Username, noAuth.Password = "", ""
	_, err = call(noAuth)
	wantReason(t, err, ReasonUnauthorized)
	noClientCert := good
	noClientCert.CertFile, noClientCert.KeyFile = "", ""
	if _, err := call(noClientCert); err == nil {
		t.Fatal("Kea requires a client certificate, yet a call without one succeeded")
	}
	noTrust := good
	noTrust.CAFile = ""
	_, err = call(noTrust)
	wantReason(t, err, ReasonConnect)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type pki struct{ caFile, serverCert, serverKey, clientCert, clientKey string }

// newPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, as PEM files in dir.
func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ddiscope test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		cf, kf := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
		return cf, kf
	}
	p := pki{caFile: filepath.Join(dir, "ca.pem")}
	os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	p.serverCert, p.serverKey = issue("server", 2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	p.clientCert, p.clientKey = issue("client", 3, x509.ExtKeyUsageClientAuth, nil)
	return p
}

// TestRealControlAgentKeepsTheConnection: Kea 2.2's Control Agent keeps an
// HTTP/1.1 connection open between commands, and the client uses one
// connection for a run of lease pages (a lease pass's burst), which the
// daemon's UNIX socket cannot do: it closes after each reply.
func TestRealControlAgentKeepsTheConnection(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-ctrl-agent")
	lab := keatest.Start(t, keatest.Options{ControlAgent: true})
	c, err := New(Options{Name: "kea", URL: lab.CAURL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reused := 0
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			if i.Reused {
				reused++
			}
		},
	})
	for range 5 {
		err := c.Stream(ctx, "lease4-get-page", "dhcp4", map[string]any{"from": "start", "limit": 10}, func(r io.Reader) error {
			// Up to the reply's end, not to the body's EOF.
			var v []map[string]any
			return json.NewDecoder(r).Decode(&v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if reused != 4 {
		t.Errorf("%d of 5 commands reused the connection, want 4", reused)
	}
}
