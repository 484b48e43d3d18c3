// Package keafixture serves captured Kea replies over HTTP, by command and
// service, for golden tests. Tests against the real Kea live beside every
// test that uses it (see internal/keatest); this package only makes the
// captured bytes of testdata/ answer the way the Control Agent did.
package keafixture

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Server replays files named <prefix>-<service>-<command>.json from dir,
// where service is the first entry of the request's "service" list, or "ca"
// when there is none (the Control Agent itself, or a daemon reached directly).
// A command with no file gets Kea's "not supported" reply (result 2), in the
// shape captured in testdata/kea/kea2.2-error-unknown-command-dhcp4.json.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	commands []string
}

func New(t testing.TB, dir, prefix string) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Command string   `json:"command"`
			Service []string `json:"service"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{ "result": 400, "text": "Bad Request" }`, http.StatusBadRequest)
			return
		}
		svc := "ca"
		if len(req.Service) > 0 {
			svc = req.Service[0]
		}
		s.mu.Lock()
		s.commands = append(s.commands, svc+":"+req.Command)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s-%s-%s.json", prefix, svc, req.Command)))
		if err != nil {
			fmt.Fprintf(w, `[ { "result": 2, "text": "'%s' command not supported." } ]`, req.Command)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

// Commands returns "service:command" for every request so far.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}
