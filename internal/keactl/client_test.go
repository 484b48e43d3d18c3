package keactl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func capture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/kea", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serve answers every request with body and status.
func serve(t *testing.T, status int, body []byte) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return newClient(t, Options{Name: "t1", URL: srv.URL})
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func wantReason(t *testing.T, err error, r Reason) *Error {
	t.Helper()
	var ke *Error
	if !errors.As(err, &ke) {
		t.Fatalf("error %v is not a *keactl.Error", err)
	}
	if ke.Reason != r {
		t.Fatalf("reason %q, want %q (error: %v)", ke.Reason, r, err)
	}
	if ke.Target != "t1" || ke.Command == "" {
		t.Fatalf("error %q does not name the target and the command", err)
	}
	return ke
}

func TestCallReadsControlAgentArray(t *testing.T) {
	c := serve(t, 200, capture(t, "kea2.2-dhcp4-config-get.json"))
	resp, err := c.Call(context.Background(), "config-get", "dhcp4", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Result != 0 || !strings.Contains(string(resp.Arguments), `"Dhcp4"`) {
		t.Fatalf("unexpected reply: %d %.80s", resp.Result, resp.Arguments)
	}
}

func TestResultCodesBecomeReasons(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Reason
	}{
		{`[{"result":1,"text":"unable to forward command to the dhcp6 service"}]`, ReasonError},
		{`[{"result":2,"text":"'config-hash-get' command not supported."}]`, ReasonUnsupported},
		{`[{"result":4,"text":"conflict"}]`, ReasonConflict},
		{`{"result":403,"text":"Forbidden"}`, ReasonForbidden},
		{`{"result":401,"text":"Unauthorized"}`, ReasonUnauthorized},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			_, err := serve(t, 200, []byte(tc.body)).Call(context.Background(), "statistic-get-all", "dhcp6", nil)
			ke := wantReason(t, err, tc.want)
			if ke.Text == "" || !strings.Contains(err.Error(), "statistic-get-all") || !strings.Contains(err.Error(), "dhcp6") {
				t.Errorf("error %q lacks Kea's text, the command or the service", err)
			}
		})
	}
	// Result 3 (empty) is an answer, not a failure.
	resp, err := serve(t, 200, []byte(`[{"result":3,"text":"0 IPv4 lease(s) found."}]`)).Call(context.Background(), "lease4-get-page", "dhcp4", nil)
	if err != nil || resp.Result != ResultEmpty {
		t.Fatalf("result 3: %v %+v", err, resp)
	}
}

func TestHTTPStatuses(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   Reason
	}{
		{401, ReasonUnauthorized},
		{403, ReasonForbidden},
		{400, ReasonHTTPStatus},
		{500, ReasonHTTPStatus},
	} {
		_, err := serve(t, tc.status, []byte(`{ "result": 400, "text": "Bad Request" }`)).Call(context.Background(), "config-get", "", nil)
		wantReason(t, err, tc.want)
	}
}

func TestGarbageAndTruncation(t *testing.T) {
	for name, body := range map[string]string{
		"garbage":   "\x00\xff<html>nope",
		"truncated": `[{"arguments": {"Dhcp4": {"subnet4": [`,
		"empty":     "",
		"two":       `[{"result":0},{"result":0}]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := serve(t, 200, []byte(body)).Call(context.Background(), "config-get", "dhcp4", nil)
			wantReason(t, err, ReasonMalformed)
		})
	}
}

// A 100 MB reply is cut at the cap: the client reads no more than that.
func TestHugeReplyIsCapped(t *testing.T) {
	const huge = 100 << 20
	var sent int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat(" ", 64<<10))
		w.Write([]byte("["))
		for sent = 0; sent < huge; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newClient(t, Options{Name: "t1", URL: srv.URL, MaxResponseBytes: 1 << 20})
	_, err := c.Call(context.Background(), "statistic-get-all", "dhcp4", nil)
	wantReason(t, err, ReasonTooLarge)
}

func TestHangingServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, Options{Name: "t1", URL: srv.URL, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.Call(context.Background(), "statistic-get-all", "dhcp4", nil)
	wantReason(t, err, ReasonTimeout)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %s", d)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = newClient(t, Options{Name: "t1", URL: "http://" + addr + "/"}).Call(context.Background(), "config-get", "", nil)
	wantReason(t, err, ReasonConnect)
}

func TestUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "kc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kea4.sock")

	_, err = newClient(t, Options{Name: "t1", URL: "unix://" + path}).Call(context.Background(), "config-get", "", nil)
	wantReason(t, err, ReasonConnect)

	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reply := capture(t, "kea2.2-dhcp4-config-get.socket.json")
	hang := make(chan struct{})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				n, _ := conn.Read(buf)
				if strings.Contains(string(buf[:n]), "hang") {
					<-hang
					return
				}
				// Kea keeps nothing open after its reply, but do not rely on
				// it: the client must stop after one JSON value.
				conn.Write(reply)
				<-hang
			}()
		}
	}()
	defer close(hang)
	c := newClient(t, Options{Name: "t1", URL: "unix://" + path, Timeout: 300 * time.Millisecond})
	resp, err := c.Call(context.Background(), "config-get", "", nil)
	if err != nil || !strings.Contains(string(resp.Arguments), "Dhcp4") {
		t.Fatalf("socket call: %v", err)
	}
	_, err = c.Call(context.Background(), "hang", "", nil)
	wantReason(t, err, ReasonTimeout)
}

func TestBasicAuthAndPasswordFile(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		got = u + ":" + p
		io.WriteString(w, `{"result":0}`)
	}))
	defer srv.Close()
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("s3cret\n"), 0o600)
	c := newClient(t, Options{Name: "t1", URL: srv.URL, Username: "ddiscope", PasswordFile: pf})
	if _, err := c.Call(context.Background(), "version-get", "", nil); err != nil {
		t.Fatal(err)
	}
	if got != "ddiscope:s3cret" {
		t.Fatalf("basic auth sent %q", got)
	}
	if _, err := New(Options{Name: "t1", URL: srv.URL, PasswordFile: "/nonexistent/pass"}); err == nil || !strings.Contains(err.Error(), "password file") {
		t.Fatalf("missing password file: %v", err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Name: "t1", URL: "ftp://x/"},
		{Name: "t1", URL: "unix://relative/sock"},
		{Name: "t1", URL: "http://"},
		{Name: "t1", URL: "http://127.0.0.1:1/", CAFile: "/nonexistent"},
		{Name: "t1", URL: "https://127.0.0.1:1/", CertFile: "a.pem"},
	} {
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), `"t1"`) {
			t.Errorf("%+v: error %v should name the target", o, err)
		}
	}
}

func TestTLSWithTrustAnchor(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"result":0,"arguments":{"hash":"x"}}`)
	}))
	defer srv.Close()
	// Untrusted: fails, as connect.
	_, err := newClient(t, Options{Name: "t1", URL: srv.URL}).Call(context.Background(), "config-hash-get", "", nil)
	wantReason(t, err, ReasonConnect)
	// Trusted through a PEM trust anchor.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemOf(srv.Certificate().Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, Options{Name: "t1", URL: srv.URL, CAFile: ca}).Call(context.Background(), "config-hash-get", "", nil); err != nil {
		t.Fatal(err)
	}
}

func pemOf(der []byte) []byte {
	return fmt.Appendf(nil, "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", b64(der))
}

// A reader that stops at the end of the JSON, before the body's EOF (as the
// lease page parser does), still leaves the connection for the next
// command: one TCP connection for many pages over HTTP. (A chunked reply's
// tail is not waited for: a slow server must not hold the poll.)
func TestStreamKeepsTheConnectionAlive(t *testing.T) {
	body := []byte(`[ { "arguments": { "count": 0, "leases": [] }, "result": 3, "text": "0 IPv4 lease(s) found." } ]` + "\n")
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body))) // as Kea's agent sends
		// Written in two pieces, with a flush between them, as a
		// server streaming a large reply does.
		w.Write(body[:10])
		w.(http.Flusher).Flush()
		w.Write(body[10:])
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns++
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, Options{Name: "t1", URL: srv.URL})
	for range 5 {
		err := c.Stream(context.Background(), "lease4-get-page", "dhcp4", nil, func(r io.Reader) error {
			_, err := io.ReadFull(r, make([]byte, len(body)-1)) // up to the closing bracket
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if conns != 1 {
		t.Errorf("%d connections for 5 commands, want 1", conns)
	}
}
