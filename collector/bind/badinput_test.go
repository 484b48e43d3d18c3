package bind

import (
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
)

// serve is a fake channel answering every path with handler; it stands in
// for what a real named cannot be made to send.
func serve(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// pollErr polls once and returns the *collector.Error it must fail with.
func pollErr(t *testing.T, p *Poller) *collector.Error {
	t.Helper()
	snap, _, err := p.Poll(t.Context())
	if err == nil {
		t.Fatalf("poll succeeded with %d samples, want an error", len(snap.Samples))
	}
	var ke *collector.Error
	if !errors.As(err, &ke) {
		t.Fatalf("error %T %v is not a *collector.Error", err, err)
	}
	if ke.Target != p.Name() || !strings.HasPrefix(ke.Command, "GET /") {
		t.Errorf("error names target %q and %q, want %q and the path", ke.Target, ke.Command, p.Name())
	}
	return ke
}

func TestBadReplies(t *testing.T) {
	xmlReply, err := os.ReadFile(filepath.Join(testdata, "bind9.18", "bind9.18-xml-v3-server.xml"))
	if err != nil {
		t.Fatal(err)
	}
	jsonReply, err := os.ReadFile(filepath.Join(testdata, "bind9.18", "bind9.18-json-v1-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		format  string
		handler http.HandlerFunc
		max     int64
		reason  collector.Reason
		says    string
	}{
		{"XML where JSON was asked for", FormatJSON, func(w http.ResponseWriter, r *http.Request) { w.Write(xmlReply) }, 0, collector.ReasonMalformed, "XML, not JSON"},
		{"JSON where XML was asked for", FormatXML, func(w http.ResponseWriter, r *http.Request) { w.Write(jsonReply) }, 0, collector.ReasonMalformed, "JSON, not XML"},
		{"garbage", FormatJSON, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("\x00\x01garbage{{")) }, 0, collector.ReasonMalformed, "json:"},
		{"garbage XML", FormatXML, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<statistics version=\"3.13\"><server><counters"))
		}, 0, collector.ReasonMalformed, "xml:"},
		{"truncated JSON", FormatJSON, func(w http.ResponseWriter, r *http.Request) { w.Write(jsonReply[:len(jsonReply)/2]) }, 0, collector.ReasonMalformed, "json:"},
		{"truncated XML", FormatXML, func(w http.ResponseWriter, r *http.Request) { w.Write(xmlReply[:len(xmlReply)/2]) }, 0, collector.ReasonMalformed, "xml:"},
		{"a counter that is not a number", FormatJSON, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"nsstats":{"Requestv4":"many"}}`)) }, 0, collector.ReasonMalformed, "number"},
		{"XML statistics version 2", FormatXML, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<isc version="1.0"><bind><statistics version="2.2"/></bind></isc>`))
		}, 0, collector.ReasonMalformed, "<isc>"},
		{"huge body with its length", FormatJSON, func(w http.ResponseWriter, r *http.Request) { w.Write(jsonReply) }, 1000, collector.ReasonTooLarge, "cap"},
		{"huge body streamed", FormatJSON, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.(http.Flusher).Flush() // chunked: no Content-Length to refuse early
			chunk := []byte(strings.Repeat(" ", 64<<10))
			for i := 0; i < 1000; i++ { // 64 MB, far past the cap
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, 1 << 20, collector.ReasonTooLarge, "cap"},
		{"404 everywhere", FormatAuto, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "No such URL.", 404) }, 0, collector.ReasonHTTPStatus, "404"},
		{"401", FormatJSON, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 401) }, 0, collector.ReasonUnauthorized, "401"},
		{"403", FormatJSON, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 403) }, 0, collector.ReasonForbidden, "403"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newTestPoller(t, Options{URL: serve(t, c.handler), Format: c.format, MaxResponseBytes: c.max})
			ke := pollErr(t, p)
			if ke.Reason != c.reason || !strings.Contains(ke.Error(), c.says) {
				t.Errorf("got %s (%v), want reason %s saying %q", ke.Reason, ke, c.reason, c.says)
			}
		})
	}
}

// A channel that accepts and never answers fails the poll with timeout,
// within the target's timeout.
func TestHangingChannel(t *testing.T) {
	release := make(chan struct{})
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	p := newTestPoller(t, Options{URL: url, Format: FormatJSON, Timeout: 200 * time.Millisecond})
	start := time.Now()
	if ke := pollErr(t, p); ke.Reason != collector.ReasonTimeout {
		t.Errorf("reason %s (%v), want timeout", ke.Reason, ke)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a hanging channel held the poll %s", took)
	}
}

// Nothing listening: connect.
func TestChannelDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := newTestPoller(t, Options{URL: "http://" + addr + "/", Format: FormatAuto})
	if ke := pollErr(t, p); ke.Reason != collector.ReasonConnect {
		t.Errorf("reason %s (%v), want connect", ke.Reason, ke)
	}
}

// Format auto reads XML from a BIND built without JSON (404 on /json/v1).
func TestAutoFallsBackToXML(t *testing.T) {
	files := fixtureChannel(t, filepath.Join(testdata, "bind9.18"), "bind9.18")
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/json") {
			http.Error(w, "No such URL.", 404)
			return
		}
		resp, err := http.Get(files.URL + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			if err != nil {
				return
			}
		}
	})
	p := newTestPoller(t, Options{URL: url})
	snap := poll(t, p)
	if p.format != FormatXML {
		t.Errorf("format %q, want xml", p.format)
	}
	if got := mustValue(t, snap, "bind_incoming_requests_total", "opcode", "QUERY"); got != 11 {
		t.Errorf("QUERY = %v, want 11", got)
	}
}

// Basic auth and TLS with a trust anchor, as for Kea: the request carries
// the credentials, the server's certificate is checked against the anchor.
func TestTLSAndBasicAuth(t *testing.T) {
	files := fixtureHandler(filepath.Join(testdata, "bind9.18"), "bind9.18")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "stats" || pw != "s3cret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		files(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	p := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON, Username: "stats", PasswordFile: pwFile, CAFile: ca, ServerName: "example.com"})
	snap := poll(t, p)
	if got := mustValue(t, snap, "bind_incoming_requests_total", "opcode", "QUERY"); got != 11 {
		t.Errorf("QUERY = %v, want 11", got)
	}

	wrong := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON, Username: "stats", Password: "guess", CAFile: ca, ServerName: "example.com"})
	if ke := pollErr(t, wrong); ke.Reason != collector.ReasonUnauthorized {
		t.Errorf("wrong password: %s, want unauthorized", ke.Reason)
	}
	untrusted := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON})
	if ke := pollErr(t, untrusted); ke.Reason != collector.ReasonConnect {
		t.Errorf("certificate not trusted: %s, want connect", ke.Reason)
	}
}

func TestOptionsRejected(t *testing.T) {
	cat := testCatalog(t)
	for _, o := range []Options{
		{URL: "http://127.0.0.1:8053/"},                                      // no name
		{Name: "ns1", URL: "ftp://127.0.0.1/"},                               // scheme
		{Name: "ns1", URL: "http:///json"},                                   // no host
		{Name: "ns1", URL: "http://127.0.0.1:8053/", Format: "yaml"},         // format
		{Name: "ns1", URL: "http://127.0.0.1:8053/", CAFile: "/nonexistent"}, // TLS file on http
		{Name: "ns1", URL: "https://127.0.0.1:8053/", CAFile: "/nonexistent"},
		{Name: "ns1", URL: "https://127.0.0.1:8053/", CertFile: "/x"}, // cert without key
		{Name: "ns1", URL: "http://127.0.0.1:8053/", PasswordFile: "/nonexistent"},
	} {
		if _, err := NewPoller(o, cat, nil); err == nil {
			t.Errorf("NewPoller(%+v) accepted it", o)
		} else if !strings.Contains(err.Error(), "bind target") {
			t.Errorf("error %q does not say it is about a bind target", err)
		}
	}
}
