package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func mustKea(t *testing.T) *Catalog {
	t.Helper()
	c, err := New(Kea())
	if err != nil {
		t.Fatalf("New(Kea()): %v", err)
	}
	return c
}

func TestNewKea(t *testing.T) {
	c := mustKea(t)
	for _, d := range []string{"dhcp4", "dhcp6", "d2"} {
		n := 0
		for _, m := range c.Metrics {
			if m.Daemon == d {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no %s metrics in Kea()", d)
		}
	}
	if _, err := New(All()); err != nil {
		t.Errorf("New(All()): %v", err)
	}
}

// statResponse is Kea's reply to statistic-get-all: an object over a UNIX
// socket, an array holding that object over the Control Agent or, from Kea
// 3.0, over a daemon's own HTTP control socket.
type statResponse struct {
	Result    int                          `json:"result"`
	Arguments map[string][]json.RawMessage `json:"arguments"`
}

// decodeReply unwraps the one-element array form if present and decodes the
// reply with json.Number, so that 128-bit totals keep every digit.
func decodeReply(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(data, &arr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(arr) != 1 {
			t.Fatalf("%s: array of %d replies, want 1", path, len(arr))
		}
		data = arr[0]
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var (
	subnetStat = regexp.MustCompile(`^subnet\[(\d+)\]\.(?:(pool|pd-pool)\[(\d+)\]\.)?(.+)$`)
	keyStat    = regexp.MustCompile(`^key\[([^\]]+)\]\.(.+)$`)
)

// splitStat strips the scope prefix off a Kea statistic name.
func splitStat(name string) (Scope, string) {
	if m := subnetStat.FindStringSubmatch(name); m != nil {
		switch m[2] {
		case "pool":
			return ScopePool, m[4]
		case "pd-pool":
			return ScopePDPool, m[4]
		}
		return ScopeSubnet, m[4]
	}
	if m := keyStat.FindStringSubmatch(name); m != nil {
		return ScopeKey, m[2]
	}
	return ScopeGlobal, name
}

// daemonOf reads the daemon from a file name such as
// kea2.2-dhcp4-statistic-get-all.json.
func daemonOf(path string) string {
	for _, d := range []string{"dhcp4", "dhcp6", "d2"} {
		if strings.Contains(filepath.Base(path), "-"+d+"-") {
			return d
		}
	}
	return ""
}

func statFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../testdata/kea/*statistic-get-all*.json", "../testdata/kea/fixtures/*statistic-get-all*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			// Error replies (a daemon down, …) carry no statistics.
			if !strings.Contains(filepath.Base(f), "-error-") {
				files = append(files, f)
			}
		}
	}
	for _, want := range []string{"kea2.2-dhcp4-statistic-get-all.json", "kea2.2-dhcp6-statistic-get-all.json"} {
		if !slices.ContainsFunc(files, func(f string) bool { return filepath.Base(f) == want }) {
			t.Errorf("capture %s missing from testdata/kea", want)
		}
	}
	return files
}

// TestCapturesBound checks that every statistic of the real Kea 2.2 captures
// (and of the fixtures written for newer versions) feeds a catalog metric of
// the right daemon and scope.
func TestCapturesBound(t *testing.T) {
	c := mustKea(t)
	for _, f := range statFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d := daemonOf(f)
			if d == "" {
				t.Fatalf("cannot tell the daemon from the file name")
			}
			var r statResponse
			decodeReply(t, f, &r)
			if r.Result != 0 || len(r.Arguments) == 0 {
				t.Fatalf("result %d with %d statistics", r.Result, len(r.Arguments))
			}
			for name := range r.Arguments {
				scope, stat := splitStat(name)
				if _, ok := c.Lookup(d, scope, stat); !ok {
					t.Errorf("%s statistic %q (%s scope %q) is not in the catalog", d, name, scope, stat)
				}
			}
		})
	}
}

// Every help text names the Kea statistic(s) it reads, in parentheses.
func TestHelpNamesStatistic(t *testing.T) {
	for _, m := range mustKea(t).Metrics {
		if !strings.Contains(m.Help, "(") || !strings.Contains(m.Help, ")") {
			t.Errorf("%s: help has no parenthesis naming its statistic: %q", m.Name, m.Help)
			continue
		}
		for _, s := range m.Source {
			if strings.Contains(m.Help, s.Stat) {
				continue
			}
			// A family may name its members with a pattern such as
			// pkt4-<type>-received: the part before "<" must appear.
			i := strings.Index(m.Help, "<")
			if len(m.Source) < 2 || i < 0 || !strings.Contains(s.Stat, strings.TrimLeft(lastWord(m.Help[:i]), "(")) {
				t.Errorf("%s: help does not name statistic %q: %q", m.Name, s.Stat, m.Help)
			}
		}
	}
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// The DHCPv6 totals can exceed 2^63: their help must say how they are
// exported, and the subnet-level ones must explain Kea 2.2's -1.
func TestV6TotalsHelp(t *testing.T) {
	n := 0
	for _, m := range mustKea(t).Metrics {
		reads := slices.ContainsFunc(m.Source, func(s Source) bool { return s.Stat == "total-nas" || s.Stat == "total-pds" }) ||
			(m.Daemon == "dhcp6" && m.Scope == ScopeSharedNetwork && (strings.Contains(m.Derived, "sum of total-")))
		if !reads {
			continue
		}
		n++
		if !strings.Contains(m.Help, "float64") || !strings.Contains(m.Help, "2^53") {
			t.Errorf("%s: help does not say the value is a float64 losing precision above 2^53: %q", m.Name, m.Help)
		}
		if (m.Scope == ScopeSubnet || m.Scope == ScopeSharedNetwork) && (!strings.Contains(m.Help, "-1") || !strings.Contains(m.Help, "2.2")) {
			t.Errorf("%s: help does not explain Kea 2.2's -1 for a /64 pool: %q", m.Name, m.Help)
		}
	}
	if n != 6 {
		t.Errorf("%d metrics read total-nas/total-pds, want 6 (2 subnet, pool, pd-pool, 2 shared-network)", n)
	}
}

func TestSinceVersions(t *testing.T) {
	valid := map[string]bool{"": true, kea24: true, kea30: true, kea31: true}
	for _, m := range mustKea(t).Metrics {
		for _, s := range m.Source {
			if !valid[s.Since] {
				t.Errorf("%s: source %q has unexpected Since %q", m.Name, s.Stat, s.Since)
			}
			if (m.Scope == ScopePool || m.Scope == ScopePDPool) && s.Since == "" {
				t.Errorf("%s: pool statistic %q must have Since %q or later", m.Name, s.Stat, kea24)
			}
		}
	}
}

// Drop reasons: one family per daemon, values snake_case of the statistic.
func TestDropReasons(t *testing.T) {
	c := mustKea(t)
	for _, pkt := range []string{"pkt4", "pkt6"} {
		d := "dhcp" + pkt[3:]
		name := "kea_" + d + "_packets_dropped_by_reason_total"
		m := c.Metric(name)
		if m == nil {
			t.Fatalf("%s missing", name)
		}
		if len(m.Source) != 9 {
			t.Errorf("%s: %d reasons, want 9", name, len(m.Source))
		}
		for _, s := range m.Source {
			want := strings.ReplaceAll(strings.TrimPrefix(s.Stat, pkt+"-"), "-", "_")
			if s.Labels["reason"] != want {
				t.Errorf("%s: %s has reason %q, want %q", name, s.Stat, s.Labels["reason"], want)
			}
			b, ok := c.Lookup(d, ScopeGlobal, s.Stat)
			if !ok || b.Metric != m {
				t.Errorf("%s not bound to %s", s.Stat, name)
			}
		}
	}
}

func Example_splitStat() {
	for _, n := range []string{"pkt4-received", "subnet[3].total-nas", "subnet[3].pool[0].assigned-nas", "subnet[3].pd-pool[2].total-pds", "key[ddns-key.example.org.].update-sent"} {
		s, st := splitStat(n)
		fmt.Println(s, st)
	}
	// Output:
	// global pkt4-received
	// subnet total-nas
	// pool assigned-nas
	// pd-pool total-pds
	// key update-sent
}
