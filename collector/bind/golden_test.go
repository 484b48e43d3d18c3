package bind

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/bind/golden from the fixtures")

const testdata = "../../testdata/bind"

// fixtureSets are the replies under testdata/bind: real BIND 9.18, and 9.20
// written from its sources (SOURCES.md).
func fixtureSets() []struct{ version, dir, prefix string } {
	return []struct{ version, dir, prefix string }{
		{"9.18", "bind9.18", "bind9.18"},
		{"9.20", "bind9.20", "bind9.20"},
	}
}

// TestGolden polls every fixture set in both formats, zones off and on, and
// compares the samples with testdata/bind/golden (go test -update rewrites it).
func TestGolden(t *testing.T) {
	for _, fs := range fixtureSets() {
		srv := fixtureChannel(t, filepath.Join(testdata, fs.dir), fs.prefix)
		for _, format := range []string{FormatJSON, FormatXML} {
			for _, zones := range []bool{false, true} {
				name := fmt.Sprintf("%s-%s-zones=%v", fs.prefix, format, zones)
				t.Run(name, func(t *testing.T) {
					p := stillClock(newTestPoller(t, Options{URL: srv.URL, Format: format, Zones: zones}))
					snap, unknown, err := p.Poll(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					if unknown != 0 {
						t.Errorf("%d statistics unknown to the catalog", unknown)
					}
					got := strings.Join(lines(snap), "\n") + "\n"
					path := filepath.Join(testdata, "golden", name+".txt")
					if *update {
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (go test ./collector/bind -run TestGolden -update writes it)", err)
					}
					if got != string(want) {
						t.Errorf("samples differ from %s (go test -update rewrites it):\n%s", path, diff(string(want), got))
					}
				})
			}
		}
	}
}

func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

// The captured 9.18 replies carry the lab's 11 queries; the exported values
// are BIND's own numbers, with the right types.
func TestCaptured918Values(t *testing.T) {
	srv := fixtureChannel(t, filepath.Join(testdata, "bind9.18"), "bind9.18")
	p := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON, Zones: true})
	snap := poll(t, p)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"bind_up", nil, 1},
		{"bind_build_info", []string{"version", "9.18.49-1~deb12u3-Debian"}, 1},
		{"bind_boot_time_seconds", nil, float64(time.Date(2026, 11, 21, 21, 18, 43, 903e6, time.UTC).UnixMilli()) / 1000},
		{"bind_incoming_requests_total", []string{"opcode", "QUERY"}, 11},
		{"bind_incoming_requests_total", []string{"opcode", "NOTIFY"}, 0},
		{"bind_incoming_queries_total", []string{"type", "A"}, 6},
		{"bind_incoming_queries_total", []string{"type", "AXFR"}, 1},
		{"bind_response_rcodes_total", []string{"rcode", "NXDOMAIN"}, 2},
		{"bind_response_rcodes_total", []string{"rcode", "REFUSED"}, 1},
		{"bind_responses_total", []string{"result", "Success"}, 7},
		{"bind_responses_total", []string{"result", "NXDOMAIN"}, 2},
		{"bind_responses_total", []string{"result", "SERVFAIL"}, 0}, // left out by JSON, filled
		{"bind_query_errors_total", []string{"error", "Failure"}, 1},
		{"bind_queries_rejected_total", []string{"kind", "recursive"}, 1},
		{"bind_zone_transfers_served_total", nil, 1},
		{"bind_query_recursions_total", nil, 0},
		{"bind_recursive_clients", nil, 0},
		{"bind_tcp_connections_high_water", nil, 1},
		{"bind_zone_transfer_success_total", nil, 0},
		{"bind_resolver_buckets", []string{"view", "_default"}, 5},
		{"bind_resolver_queries_by_rtt_total", []string{"view", "_default", "rtt", "0-10ms"}, 0},
		{"bind_resolver_cache_buckets", []string{"view", "_bind"}, 16},
		{"bind_resolver_adb_address_buckets", []string{"view", "_default"}, 1021},
		{"bind_resolver_adb_addresses", []string{"view", "_default"}, 0},
		{"bind_sockets_opened_total", []string{"transport", "udp4"}, 2},
		{"bind_sockets_active", []string{"transport", "tcp4"}, 10},
		{"bind_socket_accepts_total", []string{"transport", "tcp6"}, 0},
		{"bind_traffic_requests_received_total", []string{"transport", "udp", "family", "ipv4", "size", "48-63"}, 8},
		{"bind_traffic_responses_sent_total", []string{"transport", "tcp", "family", "ipv4", "size", "80-95"}, 1},
		{"bind_tasks", nil, 46},
		{"bind_tasks_running", nil, 0},
		{"bind_zone_serial", []string{"view", "_default", "zone_name", "lab.example"}, 2024010101},
		{"bind_zone_serial", []string{"view", "_bind", "zone_name", "version.bind"}, 0},
		{"bind_zone_info", []string{"view", "_default", "zone_name", "lab.example", "zone_type", "primary", "class", "IN"}, 1},
		{"bind_zone_loaded_timestamp_seconds", []string{"zone_name", "lab.example"}, float64(time.Date(2026, 11, 21, 21, 18, 43, 0, time.UTC).Unix())},
		{"bind_zone_incoming_queries_total", []string{"zone_name", "lab.example", "type", "A"}, 4},
		{"bind_zone_responses_total", []string{"zone_name", "lab.example", "result", "NXDOMAIN"}, 2},
		{"bind_zone_queries_by_transport_total", []string{"zone_name", "lab.example", "transport", "tcp"}, 1},
		{"bind_zone_outgoing_transfers_total", []string{"zone_name", "lab.example", "result", "done"}, 1},
		{"bind_zone_responses_total", []string{"zone_name", "18.198.in-addr.arpa", "result", "Success"}, 1},
		{"bind_memory_allocated_bytes_total", nil, 26625747},
		{"bind_memory_in_use_bytes", nil, 25088703},
	} {
		if got := mustValue(t, snap, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"bind_worker_threads", nil},               // 9.18 does not report it
		{"bind_recursive_clients_high_water", nil}, // 9.20 only
		{"bind_zone_responses_total", []string{"zone_name", "lab.example", "result", "SERVFAIL"}}, // per zone: 0 is left out
		{"bind_zone_expire_timestamp_seconds", []string{"zone_name", "lab.example"}},              // a primary
	} {
		if v, ok := value(snap, c.name, c.labels...); ok {
			t.Errorf("%s%v = %v, want no such series", c.name, c.labels, v)
		}
	}
}

// BIND 9.20 has no task manager: /tasks is 404, and the poll is whole
// without it; the name server statistics have the recursive clients'
// high-water mark.
func TestBIND920(t *testing.T) {
	srv := fixtureChannel(t, filepath.Join(testdata, "bind9.20"), "bind9.20")
	for _, format := range []string{FormatJSON, FormatXML} {
		t.Run(format, func(t *testing.T) {
			p := newTestPoller(t, Options{URL: srv.URL, Format: format, Zones: true, ZoneInterval: time.Hour})
			poll(t, p) // zones: everything in one request
			snap := poll(t, p)
			if !p.noTasks {
				t.Error("the poller did not notice that /tasks is not there")
			}
			for _, name := range []string{"bind_tasks", "bind_tasks_running", "bind_worker_threads"} {
				if _, ok := value(snap, name); ok {
					t.Errorf("%s exported from a BIND without a task manager", name)
				}
			}
			if got := mustValue(t, snap, "bind_recursive_clients_high_water"); got != 3 {
				t.Errorf("bind_recursive_clients_high_water = %v, want 3", got)
			}
			if got := mustValue(t, snap, "bind_zone_serial", "zone_name", "lab.example"); got != 2024010105 {
				t.Errorf("lab.example serial %v, want 2024010105", got)
			}
			if v, ok := value(snap, "bind_zone_serial", "zone_name", "2.0.192.in-addr.arpa"); ok {
				t.Errorf("a secondary not loaded yet has serial %v, want none", v)
			}
			if got := mustValue(t, snap, "bind_zone_info", "zone_name", "2.0.192.in-addr.arpa"); got != 1 {
				t.Errorf("the zone without a serial is not listed: %v", got)
			}
			if got := mustValue(t, snap, "bind_zone_expire_timestamp_seconds", "zone_name", "lab.example"); got != float64(time.Date(2026, 11, 22, 8, 55, 0, 0, time.UTC).Unix()) {
				t.Errorf("expires = %v", got)
			}
		})
	}
}

// JSON and XML of the same server state give the same samples. The 9.20
// fixtures are one state in both formats; the 9.18 captures were taken a
// moment apart, so only the families the channel's own connections and
// allocations move may differ there.
func TestJSONAndXMLAgree(t *testing.T) {
	cat := testCatalog(t)
	for _, fs := range fixtureSets() {
		srv := fixtureChannel(t, filepath.Join(testdata, fs.dir), fs.prefix)
		for _, zones := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/zones=%v", fs.version, zones), func(t *testing.T) {
				j := lines(poll(t, stillClock(newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON, Zones: zones}))))
				x := lines(poll(t, stillClock(newTestPoller(t, Options{URL: srv.URL, Format: FormatXML, Zones: zones}))))
				if fs.version == "9.18" {
					j, x = without(j, channelMoving(cat)...), without(x, channelMoving(cat)...)
				}
				if !slices.Equal(j, x) {
					t.Errorf("JSON and XML differ:\n%s", diff(strings.Join(j, "\n"), strings.Join(x, "\n")))
				}
			})
		}
	}
}
