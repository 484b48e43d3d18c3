package keatest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Kea 3.0's own HTTP control sockets (control-sockets with socket-type http):
// each DHCP daemon answers commands over HTTP, without a Control Agent. With
// Options.Traffic the daemons run in the server namespace, where 127.0.0.1 is
// not the test's loopback, so the lab forwards a loopback port of the test's
// namespace to the daemon's listener inside that namespace. The forwarder
// copies bytes only: TLS and basic auth are between the client and Kea.

// HTTP ports of the daemons' control listeners inside a server namespace
// (private to the lab, so fixed).
const (
	nsHTTPPort4 = 8004
	nsHTTPPort6 = 8006
)

// TLSFiles are the throwaway PKI of a lab whose HTTP control sockets use TLS
// (Options.HTTPTLS): a CA that signed Kea's server certificate (for
// 127.0.0.1) and a client certificate a test may present.
type TLSFiles struct {
	CAFile, ServerCert, ServerKey, ClientCert, ClientKey string
}

// HTTPUser is the basic-auth user of a lab with Options.HTTPAuth; the
// password is random per lab (Lab.HTTPPassword).
const HTTPUser = "ddiscope"

// setns switches the calling thread into the network namespace open as fd.
func setns(fd uintptr) error { return unix.Setns(int(fd), unix.CLONE_NEWNET) }

// dialInNetns connects to addr from inside the network namespace ns. The
// socket is made on a thread switched into ns; it stays in ns afterwards.
func dialInNetns(ns, addr string, timeout time.Duration) (net.Conn, error) {
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	runtime.LockOSThread()
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	if err := setns(target.Fd()); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("setns %s: %w", ns, err)
	}
	conn, dialErr := net.DialTimeout("tcp", addr, timeout)
	if err := setns(orig.Fd()); err != nil {
		// The thread is stuck in ns: leave it locked, so it ends with
		// this goroutine instead of running other goroutines in ns.
		if conn != nil {
			conn.Close()
		}
		return nil, fmt.Errorf("setns back from %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return conn, dialErr
}

// forwarder relays connections from a loopback port to addr in a namespace.
type forwarder struct {
	ln    net.Listener
	ns    string
	addr  string
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func startForwarder(ns, addr string) (*forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &forwarder{ln: ln, ns: ns, addr: addr, conns: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

func (f *forwarder) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *forwarder) track(c net.Conn, on bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns == nil {
		return false // closed
	}
	if on {
		f.conns[c] = true
	} else {
		delete(f.conns, c)
	}
	return true
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(c, true) {
			c.Close()
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer func() { f.track(c, false); c.Close() }()
			up, err := dialInNetns(f.ns, f.addr, 5*time.Second)
			if err != nil {
				return // the client sees the connection closed, as with a dead daemon
			}
			if !f.track(up, true) {
				up.Close()
				return
			}
			defer func() { f.track(up, false); up.Close() }()
			done := make(chan struct{}, 2)
			relay := func(dst, src net.Conn) {
				_, _ = io.Copy(dst, src)
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				done <- struct{}{}
			}
			go relay(up, c)
			go relay(c, up)
			<-done
			<-done
		}()
	}
}

// close stops accepting, cuts every relayed connection and waits.
func (f *forwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.conns = nil
	f.mu.Unlock()
	f.wg.Wait()
}

// writeTLSFiles makes a throwaway CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate, all ECDSA P-256, in dir.
func writeTLSFiles(dir string) (*TLSFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keatest throwaway CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	files := &TLSFiles{
		CAFile:     filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
	}
	if err := writePEM(files.CAFile, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, certPath, keyPath string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(keyPath, "PRIVATE KEY", keyDER)
	}
	if err := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, files.ServerCert, files.ServerKey); err != nil {
		return nil, err
	}
	if err := leaf(3, "keatest client", x509.ExtKeyUsageClientAuth, files.ClientCert, files.ClientKey); err != nil {
		return nil, err
	}
	return files, nil
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// randomPassword is a per-lab basic-auth password.
func randomPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", b), nil
}

// httpSocket is the control-sockets entry of a DHCP daemon's HTTP listener.
func (l *Lab) httpSocket(port int) map[string]any {
	s := map[string]any{"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": port}
	if l.TLS != nil {
		s["trust-anchor"] = l.TLS.CAFile
		s["cert-file"] = l.TLS.ServerCert
		s["key-file"] = l.TLS.ServerKey
		// Without HTTPClientCert, clients may present TLS.ClientCert but
		// need not: basic auth (HTTPAuth) is what identifies them.
		s["cert-required"] = l.opts.HTTPClientCert
	}
	if l.HTTPPassword != "" {
		s["authentication"] = map[string]any{
			"type": "basic", "realm": "keatest",
			"clients": []any{map[string]any{"user": HTTPUser, "password": l.HTTPPassword}},
		}
	}
	return s
}

// setupHTTP picks the daemons' HTTP ports and URLs (Options.HTTP), making
// the TLS files and the password first when asked for.
func (l *Lab) setupHTTP() error {
	if l.opts.HTTPClientCert {
		l.opts.HTTPTLS = true
	}
	if !l.opts.HTTP && !l.opts.HTTPTLS && !l.opts.HTTPAuth {
		return nil
	}
	if !l.Kea.AtLeast30() {
		return fmt.Errorf("Options.HTTP: Kea %s has no HTTP control socket in its daemons (use the Control Agent)", l.Kea)
	}
	scheme := "http"
	if l.opts.HTTPTLS {
		files, err := writeTLSFiles(filepath.Join(l.Dir, "tls"))
		if err != nil {
			return fmt.Errorf("TLS files: %w", err)
		}
		l.TLS, scheme = files, "https"
	}
	if l.opts.HTTPAuth {
		pw, err := randomPassword()
		if err != nil {
			return err
		}
		l.HTTPPassword = pw
	}
	for _, d := range []struct {
		on     bool
		nsPort int
		port   *int
		fwd    **forwarder
		url    *string
	}{
		{true, nsHTTPPort4, &l.httpPort4, &l.fwd4, &l.HTTP4URL},
		{l.opts.DHCP6, nsHTTPPort6, &l.httpPort6, &l.fwd6, &l.HTTP6URL},
	} {
		if !d.on {
			continue
		}
		if l.ServerNS != "" {
			f, err := startForwarder(l.ServerNS, fmt.Sprintf("127.0.0.1:%d", d.nsPort))
			if err != nil {
				return err
			}
			*d.fwd, *d.port = f, d.nsPort
			*d.url = fmt.Sprintf("%s://127.0.0.1:%d/", scheme, f.port())
			continue
		}
		p, err := freePort()
		if err != nil {
			return err
		}
		*d.port = p
		*d.url = fmt.Sprintf("%s://127.0.0.1:%d/", scheme, p)
	}
	return nil
}

// closeForwarders stops the HTTP forwarders of a lab in a namespace.
func (l *Lab) closeForwarders() {
	for _, f := range []*forwarder{l.fwd4, l.fwd6} {
		if f != nil {
			f.close()
		}
	}
}

// HTTPCommand POSTs a command to a daemon's own HTTP control socket (url is
// Lab.HTTP4URL or Lab.HTTP6URL), with the lab's CA and basic-auth password
// when it has them, and returns the raw reply: a JSON array of one object.
func (l *Lab) HTTPCommand(t testing.TB, url, cmd string, args any) []byte {
	t.Helper()
	reply, err := l.TryHTTPCommand(url, cmd, args)
	if err != nil {
		t.Fatalf("keatest: %s via %s: %v", cmd, url, err)
	}
	return reply
}

// TryHTTPCommand is HTTPCommand without failing the test.
func (l *Lab) TryHTTPCommand(url, cmd string, args any) ([]byte, error) {
	if url == "" {
		return nil, errors.New("lab has no HTTP control sockets (Options.HTTP, Kea 3.0)")
	}
	body, err := marshalCommand(cmd, nil, args)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if l.HTTPPassword != "" {
		req.SetBasicAuth(HTTPUser, l.HTTPPassword)
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if l.TLS != nil {
		pemData, err := os.ReadFile(l.TLS.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pemData)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if l.opts.HTTPClientCert {
			cert, err := tls.LoadX509KeyPair(l.TLS.ClientCert, l.TLS.ClientKey)
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
		}
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return data, fmt.Errorf("HTTP %s: %s", resp.Status, data)
	}
	return data, nil
}

// HAListenerURL returns a loopback URL of the test's namespace that reaches
// server i's dedicated HA listener (HAPort on its HA link address) inside
// its namespace, for tests of what that listener answers. The forwarder is
// closed when the test ends.
func (h *HAPair) HAListenerURL(t testing.TB, i int) string {
	t.Helper()
	addr := []string{HAAddr1, HAAddr2}[i]
	f, err := startForwarder(h.Servers[i].ServerNS, fmt.Sprintf("%s:%d", addr, HAPort))
	if err != nil {
		t.Fatalf("keatest: %v", err)
	}
	t.Cleanup(f.close)
	return fmt.Sprintf("http://127.0.0.1:%d/", f.port())
}
