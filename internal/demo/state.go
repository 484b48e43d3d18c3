// Package demo runs ddiscope's whole loop on one machine for `make demo`:
// a Kea DHCPv4 HA pair and a DHCPv6 server in network namespaces it
// creates, a BIND primary and secondary, a throwaway PostgreSQL, ddiscope,
// the config editor, Prometheus with the generated rules, Alertmanager with
// the generated configuration, Grafana where it is installed, and DHCP and
// DNS traffic that fills one pool so that an alert fires.
//
// Up starts everything and returns; the processes keep running, detached,
// and are recorded (PID, start time, program) in the state directory. Down
// stops exactly those processes and deletes the namespaces. Nothing is
// global: the state directory decides the namespace names, and every port
// moves with an offset, so two demos (or the smoke test beside a user's
// demo) do not meet.
//
// The test harnesses (internal/keatest and friends) take a testing.TB and
// tie every process to a test's life; the demo's processes must outlive the
// program that starts them, so it has this small launcher of its own.
package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DefaultDir is where the demo keeps everything unless told otherwise.
const DefaultDir = "/tmp/ddiscope-demo"

// Ports are the demo's listeners, all on 127.0.0.1.
type Ports struct {
	Ddiscope      int `json:"ddiscope"`
	ConfigUI      int `json:"configui"`
	Prometheus    int `json:"prometheus"`
	Alertmanager  int `json:"alertmanager"`
	Grafana       int `json:"grafana"`
	Postgres      int `json:"postgres"`
	PrimaryDNS    int `json:"primary_dns"`
	PrimaryStats  int `json:"primary_stats"`
	SecondaryDNS  int `json:"secondary_dns"`
	SecondaryStat int `json:"secondary_stats"`
}

// DefaultPorts are the usual ports of each program (PostgreSQL and named,
// whose usual ports a system service may hold, are moved), plus offset.
func DefaultPorts(offset int) Ports {
	return Ports{
		Ddiscope: 19547 + offset, ConfigUI: 9548 + offset, Prometheus: 9090 + offset,
		Alertmanager: 9093 + offset, Grafana: 3000 + offset, Postgres: 15432 + offset,
		PrimaryDNS: 15353 + offset, PrimaryStats: 18053 + offset,
		SecondaryDNS: 15354 + offset, SecondaryStat: 18054 + offset,
	}
}

// listener is one port with what uses it.
type listener struct {
	What string
	Port int
	UDP  bool // also a UDP port (DNS)
}

func (p Ports) list() []listener {
	return []listener{
		{"ddiscope", p.Ddiscope, false}, {"ddiscope-configui", p.ConfigUI, false},
		{"Prometheus", p.Prometheus, false}, {"Alertmanager", p.Alertmanager, false},
		{"Grafana", p.Grafana, false}, {"PostgreSQL", p.Postgres, false},
		{"named (primary) DNS", p.PrimaryDNS, true}, {"named (primary) statistics", p.PrimaryStats, false},
		{"named (secondary) DNS", p.SecondaryDNS, true}, {"named (secondary) statistics", p.SecondaryStat, false},
	}
}

// TCPPorts are every TCP port the demo listens on.
func (p Ports) TCPPorts() []int {
	var out []int
	for _, l := range p.list() {
		out = append(out, l.Port)
	}
	return out
}

// Info is what Up leaves in the state directory for Down, for a second Up
// and for the smoke test.
type Info struct {
	Dir        string   `json:"dir"`
	Ports      Ports    `json:"ports"`
	Namespaces []string `json:"namespaces"`
	Admin      string   `json:"admin"`
	Password   string   `json:"password"`
	Grafana    bool     `json:"grafana"`
	// Complete is set once everything runs: a record without it is a
	// demo that failed or was interrupted half-way.
	Complete bool `json:"complete"`
}

// State is a demo's state directory and what it records.
type State struct {
	Dir   string
	Info  Info
	out   io.Writer
	ipBin string
	procs *procs
}

func (s *State) path(parts ...string) string {
	return filepath.Join(append([]string{s.Dir}, parts...)...)
}

// nsNames are the demo's network namespaces: recognisable, and unique per
// state directory.
func nsNames(dir string) (lan, ha1, ha2, v6 string) {
	sum := sha256.Sum256([]byte(dir))
	base := "ddiscope-demo-" + hex.EncodeToString(sum[:3])
	return base + "-lan", base + "-ha1", base + "-ha2", base + "-v6"
}

// NamespaceNames are the network namespaces a demo in dir creates.
func NamespaceNames(dir string) []string {
	abs, _ := filepath.Abs(dir)
	lan, ha1, ha2, v6 := nsNames(abs)
	return []string{lan, ha1, ha2, v6}
}

// Open reads a demo's state directory, for a look at what it started.
func Open(dir string) (*State, error) { return open(dir, io.Discard) }

// open reads a state directory (which need not exist yet).
func open(dir string, out io.Writer) (*State, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &State{Dir: abs, out: out}
	s.procs, err = loadProcs(s.path("procs.json"))
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path("demo.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &s.Info); err != nil {
			return nil, fmt.Errorf("%s: %w", s.path("demo.json"), err)
		}
	}
	return s, nil
}

func (s *State) saveInfo() error {
	b, err := json.MarshalIndent(s.Info, "", "  ")
	if err != nil {
		return err
	}
	// The admin password is in it: readable by root only.
	return os.WriteFile(s.path("demo.json"), b, 0o600)
}

// Running reports the recorded processes that still run.
func (s *State) Running() []Proc {
	var out []Proc
	for _, p := range s.procs.list {
		if p.Alive() {
			out = append(out, p)
		}
	}
	return out
}

// Procs returns every recorded process, in start order.
func (s *State) Procs() []Proc { return append([]Proc(nil), s.procs.list...) }

func (s *State) say(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }
