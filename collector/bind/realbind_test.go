package bind

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/bindtest"
)

// TestRealBIND runs Debian's named: a primary, a secondary that transfers
// its zones, and a recursive view forwarding to the primary, with dig
// traffic that gets NOERROR, NXDOMAIN, REFUSED and SERVFAIL answers.
func TestRealBIND(t *testing.T) {
	lab := bindtest.Start(t, bindtest.Options{Secondary: true})
	Q := bindtest.Q
	if got, want := lab.Dig(t, lab.Primary, "",
		Q("www.lab.example", "A"), Q("www.lab.example", "AAAA"), Q("lab.example", "MX"), Q("lab.example", "TXT"),
		Q("10.2.0.192.in-addr.arpa", "PTR"), Q("nosuch.lab.example", "A"), Q("nosuch.lab.example", "AAAA"),
		Q("www.example.net", "A"),
	), []string{"NOERROR", "NOERROR", "NOERROR", "NOERROR", "NOERROR", "NXDOMAIN", "NXDOMAIN", "REFUSED"}; !slices.Equal(got, want) {
		t.Fatalf("primary answered %v, want %v", got, want)
	}
	if got, want := lab.Dig(t, lab.Secondary, "", Q("www.lab.example", "A"), Q("www.example.net", "A")),
		[]string{"NOERROR", "REFUSED"}; !slices.Equal(got, want) {
		t.Fatalf("secondary's authoritative view answered %v, want %v", got, want)
	}
	if got, want := lab.Dig(t, lab.Secondary, bindtest.RecursiveSource,
		Q("www.lab.example", "A"), Q("mail.lab.example", "A"), Q("nosuch.lab.example", "A"), Q("www.example.net", "A")),
		[]string{"NOERROR", "NOERROR", "NXDOMAIN", "SERVFAIL"}; !slices.Equal(got, want) {
		t.Fatalf("secondary's recursive view answered %v, want %v", got, want)
	}
	cat := testCatalog(t)

	for _, srv := range []*bindtest.Server{lab.Primary, lab.Secondary} {
		for _, format := range []string{FormatJSON, FormatXML} {
			for _, zones := range []bool{false, true} {
				t.Run(fmt.Sprintf("values are the channel's own/%s/%s/zones=%v", srv.Name, format, zones), func(t *testing.T) {
					p := newTestPoller(t, Options{Name: srv.Name, URL: srv.StatsURL, Format: format, Zones: zones})
					snap, unknown, err := p.Poll(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					if unknown != 0 {
						t.Errorf("%d statistics unknown to the catalog", unknown)
					}
					var replies [][]byte
					if zones {
						replies = append(replies, srv.Get(t, "/json/v1"))
					} else {
						for _, path := range []string{"/json/v1/server", "/json/v1/net", "/json/v1/mem", "/json/v1/traffic"} {
							replies = append(replies, srv.Get(t, path))
						}
					}
					checkAgainstChannel(t, cat, snap, replies...)
				})
			}
		}
		t.Run("JSON and XML agree/"+srv.Name, func(t *testing.T) {
			j := lines(poll(t, stillClock(newTestPoller(t, Options{Name: srv.Name, URL: srv.StatsURL, Format: FormatJSON, Zones: true}))))
			x := lines(poll(t, stillClock(newTestPoller(t, Options{Name: srv.Name, URL: srv.StatsURL, Format: FormatXML, Zones: true}))))
			moving := channelMoving(cat)
			if j, x := without(j, moving...), without(x, moving...); !slices.Equal(j, x) {
				t.Errorf("JSON and XML differ:\n%s", diff(strings.Join(j, "\n"), strings.Join(x, "\n")))
			}
		})
	}

	t.Run("the answers dig got are counted", func(t *testing.T) {
		snap := poll(t, newTestPoller(t, Options{URL: lab.Primary.StatsURL, Zones: true}))
		// The primary also answered the recursive view's forwarded queries:
		// at least what dig asked directly.
		for _, c := range []struct {
			name   string
			labels []string
			min    float64
		}{
			{"bind_response_rcodes_total", []string{"rcode", "NXDOMAIN"}, 2},
			{"bind_response_rcodes_total", []string{"rcode", "REFUSED"}, 1},
			{"bind_incoming_queries_total", []string{"type", "PTR"}, 1},
			{"bind_zone_responses_total", []string{"zone_name", "lab.example", "result", "NXDOMAIN"}, 2},
			{"bind_zone_incoming_queries_total", []string{"zone_name", "2.0.192.in-addr.arpa", "type", "PTR"}, 1},
			{"bind_zone_transfers_served_total", nil, 2}, // the secondary's AXFRs
		} {
			if got := mustValue(t, snap, c.name, c.labels...); got < c.min {
				t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, got, c.min)
			}
		}
		sec := poll(t, newTestPoller(t, Options{URL: lab.Secondary.StatsURL, Zones: true}))
		for _, c := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"bind_response_rcodes_total", []string{"rcode", "SERVFAIL"}, 1},
			{"bind_resolver_response_errors_total", []string{"view", "recursive", "error", "REFUSED"}, 1},
			{"bind_resolver_response_errors_total", []string{"view", "recursive", "error", "NXDOMAIN"}, 1},
			{"bind_queries_rejected_total", []string{"kind", "recursive"}, 1}, // www.example.net asked of the authoritative view
			{"bind_zone_transfer_success_total", nil, 2},
			{"bind_zone_serial", []string{"view", "authoritative", "zone_name", "lab.example"}, bindtest.FirstSerial},
			{"bind_zone_info", []string{"view", "authoritative", "zone_name", "lab.example", "zone_type", "secondary"}, 1},
		} {
			if got := mustValue(t, sec, c.name, c.labels...); got != c.want {
				t.Errorf("secondary %s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
		if got := mustValue(t, sec, "bind_resolver_queries_sent_total", "view", "recursive", "family", "ipv4"); got < 3 {
			t.Errorf("the recursive view sent %v queries to its forwarder, want at least 3", got)
		}
	})

	t.Run("drift returns to 0 after a change and NOTIFY", func(t *testing.T) {
		deriver := SerialDrift(cat)
		behind := func(snaps ...*collector.Snapshot) map[string]float64 {
			out := map[string]float64{}
			for _, s := range deriver(snaps) {
				ev := s.ExtraValues()
				out[s.ID.Values[0]+"/"+ev[0]+"/"+ev[1]+"<-"+ev[2]] = s.Value
			}
			return out
		}
		every := time.Nanosecond // read zones on every poll
		pp := newTestPoller(t, Options{Name: "primary", URL: lab.Primary.StatsURL, Zones: true, ZoneInterval: every})
		sp := newTestPoller(t, Options{Name: "secondary", URL: lab.Secondary.StatsURL, Zones: true, ZoneInterval: every})
		before := poll(t, sp)
		want := map[string]float64{"secondary/authoritative/lab.example<-primary": 0, "secondary/authoritative/2.0.192.in-addr.arpa<-primary": 0}
		if got := behind(poll(t, pp), before); !mapsEqual(got, want) {
			t.Fatalf("in step: %v, want %v", got, want)
		}

		lab.BumpSerial(t, "lab.example") // reload on the primary: NOTIFY to the secondary
		changed := poll(t, pp)
		// Against the secondary's snapshot from before the change: 1 behind.
		if got := behind(changed, before)["secondary/authoritative/lab.example<-primary"]; got != 1 {
			t.Errorf("right after the change: %v behind, want 1", got)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := behind(changed, poll(t, sp))
			if mapsEqual(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("10 s after the NOTIFY: %v, want %v", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("a path named does not serve", func(t *testing.T) {
		p := newTestPoller(t, Options{URL: strings.TrimSuffix(lab.Primary.StatsURL, "/") + "/no/such/prefix"})
		if ke := pollErr(t, p); ke.Reason != collector.ReasonHTTPStatus || ke.Status != 404 {
			t.Errorf("got %v, want http_status 404", ke)
		}
	})

	t.Run("named down: the target is down with its reason, the other is not", func(t *testing.T) {
		lab.Secondary.Kill(t)
		store := collector.NewStore()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		sched := collector.Schedule{Interval: 50 * time.Millisecond, Timeout: time.Second, RetryOnStartup: true}
		log := slog.New(slog.DiscardHandler)
		done := make(chan struct{}, 2)
		for _, srv := range []*bindtest.Server{lab.Primary, lab.Secondary} {
			p, err := NewPoller(Options{Name: srv.Name, URL: srv.StatsURL, Zones: true}, cat, log)
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				collector.Run(ctx, log, store, p, sched, func(err error) { t.Errorf("fatal: %v", err) })
				done <- struct{}{}
			}()
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ps, _ := store.Target("primary")
			ss, _ := store.Target("secondary")
			if ps != nil && ss != nil && ps.Polls >= 3 && ss.Polls >= 3 {
				if !ps.Up || ps.Snapshot == nil || len(ps.Snapshot.Samples) == 0 {
					t.Errorf("primary: up %v, %v", ps.Up, ps.LastError)
				}
				if ss.Up || ss.LastReason != collector.ReasonConnect || ss.Snapshot != nil {
					t.Errorf("secondary: up %v, reason %q (%s), want down with connect", ss.Up, ss.LastReason, ss.LastError)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no 3 polls of each target in 10 s: %+v %+v", ps, ss)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		<-done
	})
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkAgainstChannel checks a snapshot against the statistics channel's
// own /json/v1, read with encoding/json: every number BIND reports is
// exported with its value (zeros of zones excepted), and every exported
// series BIND did not report is a 0 filled in for a counter of a fixed set,
// or one ddiscope derives. Families the channel's own requests move
// between the two reads (sockets, memory) must be there, values aside.
func checkAgainstChannel(t *testing.T, cat *catalog.Catalog, snap *collector.Snapshot, replies ...[]byte) {
	t.Helper()
	server := snap.Samples[0].ID.Values[0]
	want := map[string]float64{} // series → BIND's value
	report := func(stat, view, zone, name string, v float64) {
		m, src := findSource(cat, stat)
		if m == nil {
			t.Errorf("BIND reports %s (view %q, zone %q) = %v: no catalog metric", stat, view, zone, v)
			return
		}
		if strings.HasPrefix(stat, "zones.") && stat != "zones.serial" && v == 0 {
			return
		}
		vals := []string{server}
		for _, l := range m.Extra {
			c := src.Labels[l]
			switch {
			case c != catalog.Wildcard:
			case l == "view":
				c = view
			case l == "zone_name":
				c = zone
			default:
				c = name
			}
			vals = append(vals, c)
		}
		want[seriesKey(m.Name, vals)] = v
	}
	for _, body := range replies {
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		walkJSON(t, doc, report)
	}
	if len(want) < 100 {
		t.Fatalf("only %d numbers in BIND's replies: not a real statistics channel?", len(want))
	}

	moving := channelMoving(cat)
	derived := func(name string) bool { return cat.Metric(name).Source == nil || name == "bind_tasks_running" }
	got := map[string]float64{}
	for _, s := range snap.Samples {
		vals := append(append([]string(nil), s.ID.Values...), s.ExtraValues()...)
		got[seriesKey(s.Metric.Name, vals)] = s.Value
	}
	for k, v := range want {
		g, ok := got[k]
		name, _, _ := strings.Cut(k, "{")
		switch {
		case !ok:
			t.Errorf("BIND reports %s = %v; not exported", k, v)
		case g != v && !slices.Contains(moving, name):
			t.Errorf("%s = %v, BIND reports %v", k, g, v)
		}
	}
	for k, v := range got {
		name, _, _ := strings.Cut(k, "{")
		if _, ok := want[k]; !ok && v != 0 && !derived(name) && !slices.Contains(moving, name) {
			t.Errorf("exported %s = %v, which BIND does not report", k, v)
		}
	}
}

func seriesKey(name string, vals []string) string { return name + "{" + strings.Join(vals, ",") + "}" }

// findSource finds the catalog source of a BIND statistic, exact or
// through its section's wildcard.
func findSource(cat *catalog.Catalog, stat string) (*catalog.Metric, catalog.Source) {
	tries := []string{stat}
	if dot := strings.LastIndexByte(stat, '.'); dot >= 0 {
		tries = append(tries, stat[:dot+1]+catalog.Wildcard)
	}
	for _, try := range tries {
		for _, m := range cat.Metrics {
			if m.Daemon != "bind" {
				continue
			}
			for _, s := range m.Source {
				if s.Stat == try {
					return m, s
				}
			}
		}
	}
	return nil, catalog.Source{}
}

// walkJSON calls report for every number of a /json/v1 reply, by its
// catalog statistic name, as docs/bind.md describes the paths.
func walkJSON(t *testing.T, doc map[string]any, report func(stat, view, zone, name string, v float64)) {
	counters := func(prefix, view, zone string, obj any) {
		m, _ := obj.(map[string]any)
		for name, v := range m {
			if f, ok := v.(float64); ok {
				report(prefix+"."+name, view, zone, name, f)
			}
		}
	}
	for k, v := range doc {
		switch k {
		case "boot-time", "config-time":
			ts, _ := time.Parse(time.RFC3339Nano, v.(string))
			report(k, "", "", "", float64(ts.UnixMilli())/1000)
		case "opcodes", "rcodes", "qtypes", "nsstats", "zonestats", "resstats", "sockstats", "memory":
			counters(k, "", "", v)
		case "traffic":
			for h, obj := range v.(map[string]any) {
				counters("traffic."+h, "", "", obj)
			}
		case "views":
			for view, vo := range v.(map[string]any) {
				vm := vo.(map[string]any)
				if res, ok := vm["resolver"].(map[string]any); ok {
					for sec, obj := range res {
						counters("resolver."+sec, view, "", obj)
					}
				}
				zones, _ := vm["zones"].([]any)
				for _, zo := range zones {
					z := zo.(map[string]any)
					name := z["name"].(string)
					if s, ok := z["serial"].(float64); ok {
						report("zones.serial", view, name, "", s)
					}
					for _, f := range []string{"loaded", "expires", "refresh"} {
						if s, ok := z[f].(string); ok {
							ts, err := time.Parse(time.RFC3339, s)
							if err != nil {
								t.Errorf("zone %s %s %q: %v", name, f, s, err)
							}
							report("zones."+f, view, name, "", float64(ts.Unix()))
						}
					}
					for _, sec := range []string{"rcodes", "qtypes", "gluecache", "dnssec-sign", "dnssec-refresh"} {
						counters("zones."+sec, view, name, z[sec])
					}
				}
			}
		}
	}
}
