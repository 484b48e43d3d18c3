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
	"strings"
	"sync"
	"testing"
)

// Server replays files by "service:command", where service is the first
// entry of the request's "service" list, or "ca" when there is none (the
// Control Agent itself, or a daemon reached directly). A command with no file
// gets Kea's "not supported" reply (result 2), in the shape captured in
// testdata/kea/kea2.2-error-unknown-command-dhcp4.json, except
// config-hash-get, answered with the "hash" of the config-get file when it
// has one, in the shape of the Kea API reference for config-hash-get.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	commands []string
}

func New(t testing.TB, files map[string]string) *Server {
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
		if path, ok := files[svc+":"+req.Command]; ok {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("keafixture: %v", err)
			}
			w.Write(b)
			return
		}
		if req.Command == "config-hash-get" {
			if h := hashOf(files[svc+":config-get"]); h != "" {
				fmt.Fprintf(w, `[ { "arguments": { "hash": %q }, "result": 0 } ]`, h)
				return
			}
		}
		fmt.Fprintf(w, `[ { "result": 2, "text": "'%s' command not supported." } ]`, req.Command)
	}))
	t.Cleanup(s.Close)
	return s
}

// Prefixed maps "service:command" to dir/<prefix>-<service>-<command>.json
// for each command given, the naming of testdata/kea.
func Prefixed(dir, prefix string, keys ...string) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		svc, cmd, _ := strings.Cut(k, ":")
		m[k] = filepath.Join(dir, fmt.Sprintf("%s-%s-%s.json", prefix, svc, cmd))
	}
	return m
}

func hashOf(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var one struct {
		Arguments struct {
			Hash string `json:"hash"`
		} `json:"arguments"`
	}
	var many []json.RawMessage
	if json.Unmarshal(b, &many) == nil && len(many) == 1 {
		b = many[0]
	}
	json.Unmarshal(b, &one)
	return one.Arguments.Hash
}

// Commands returns "service:command" for every request so far.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}
