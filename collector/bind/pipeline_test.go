package bind

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// A poll's five small requests go out before any reply is read: a channel
// that answers only once it has all of them (which a one-at-a-time client
// would wait on forever) gives the same samples as the ordinary one, over
// one connection for several polls.
func TestSmallRequestsArePipelined(t *testing.T) {
	dir := filepath.Join(testdata, "bind9.18")
	want := lines(poll(t, newTestPoller(t, Options{URL: fixtureChannel(t, dir, "bind9.18").URL, Format: FormatJSON})))

	files := fixtureHandler(dir, "bind9.18")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var conns atomic.Int32
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					var batch []*http.Request
					for len(batch) < 5 {
						req, err := http.ReadRequest(r)
						if err != nil {
							return
						}
						batch = append(batch, req)
					}
					for _, req := range batch {
						rec := httptest.NewRecorder()
						files(rec, req)
						res := rec.Result()
						res.ContentLength = int64(rec.Body.Len())
						res.Write(conn)
					}
				}
			}()
		}
	}()
	p := newTestPoller(t, Options{URL: "http://" + l.Addr().String() + "/", Format: FormatJSON, Timeout: 5 * time.Second})
	for i := range 3 {
		if got := lines(poll(t, p)); !slices.Equal(got, want) {
			t.Fatalf("poll %d: %d samples differ from the ordinary channel's %d", i, len(got), len(want))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 polls, want 1", n)
	}
}

// A connection the server closed while idle (named closes it after about
// 30 s, longer than a 15 s interval but not than a minute) is replaced
// without failing the poll.
func TestIdleConnectionClosedByTheServer(t *testing.T) {
	srv := httptest.NewUnstartedServer(fixtureHandler(filepath.Join(testdata, "bind9.18"), "bind9.18"))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start() // httptest wraps ConnState here: CloseClientConnections needs its own
	t.Cleanup(srv.Close)
	p := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON})
	want := lines(poll(t, p))
	srv.CloseClientConnections()
	if got := lines(poll(t, p)); !slices.Equal(got, want) {
		t.Fatalf("after the server closed the connection: %d samples, want %d", len(got), len(want))
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the first, and one after the server closed it)", n)
	}
}

// A server (or proxy) that closes the connection after each reply does not
// pipeline: the poll still gets every reply, and later polls ask one at a
// time.
func TestServerThatDoesNotPipeline(t *testing.T) {
	dir := filepath.Join(testdata, "bind9.18")
	want := lines(poll(t, newTestPoller(t, Options{URL: fixtureChannel(t, dir, "bind9.18").URL, Format: FormatJSON})))
	files := fixtureHandler(dir, "bind9.18")
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Connection", "close")
		files(w, r)
	}))
	t.Cleanup(srv.Close)
	var log bytes.Buffer
	p := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON})
	p.client.log = func(msg string, args ...any) { fmt.Fprintln(&log, msg, args) }
	for i := range 2 {
		if got := lines(poll(t, p)); !slices.Equal(got, want) {
			t.Fatalf("poll %d: %d samples, want %d", i, len(got), len(want))
		}
	}
	if !p.client.noPipeline || !bytes.Contains(log.Bytes(), []byte("does not answer pipelined requests")) {
		t.Errorf("noPipeline %v, log %q", p.client.noPipeline, log.String())
	}
	if n := requests.Load(); n != 10 {
		t.Errorf("%d requests for two polls, want 10", n)
	}
}

// A dead channel costs one connection attempt a poll, not one a path.
func TestDeadChannelFailsOnTheFirstPath(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := newTestPoller(t, Options{URL: "http://" + addr + "/", Format: FormatJSON})
	_, _, err = p.Poll(context.Background())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("GET /json/v1/server: connect")) {
		t.Fatalf("poll of a closed port: %v, want a connect error on /json/v1/server", err)
	}
}
