package keaview

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// genKea answers like a Kea 2.2 Control Agent with kea-dhcp4 behind it and
// the given number of subnets: config-get from keagen (the real shape at any
// scale), statistic-get by name (subnet[N].total-addresses 200,
// assigned-addresses N%200), config-hash-get unsupported (result 2), as
// Kea 2.2. It stands in for scale only: every behaviour is tested against
// the real Kea in realkea_test.go.
func genKea(b testing.TB, subnets int) *httptest.Server {
	config := keagen.ConfigGet4(subnets)
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Command   string   `json:"command"`
			Service   []string `json:"service"`
			Arguments struct {
				Name string `json:"name"`
			} `json:"arguments"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{ "result": 400, "text": "Bad Request" }`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case req.Command == "config-get" && len(req.Service) == 0:
			fmt.Fprint(w, `[{"result":0,"arguments":{"Control-agent":{"control-sockets":{"dhcp4":{"socket-type":"unix","socket-name":"/run/kea/kea4.sock"}}}}}]`)
		case req.Command == "config-get":
			w.Write(config)
		case req.Command == "version-get":
			fmt.Fprint(w, `[{"result":0,"text":"2.2.0","arguments":{"extended":"2.2.0"}}]`)
		case req.Command == "status-get":
			fmt.Fprintf(w, `[{"result":0,"arguments":{"pid":1,"reload":%d,"uptime":%d,"multi-threading-enabled":false}}]`,
				int(time.Since(start).Seconds())+100, int(time.Since(start).Seconds())+100)
		case req.Command == "statistic-get":
			var id int
			var stat string
			if _, err := fmt.Sscanf(strings.Replace(req.Arguments.Name, "].", "] ", 1), "subnet[%d] %s", &id, &stat); err != nil {
				fmt.Fprint(w, `[{"result":0,"arguments":{}}]`)
				return
			}
			v := 200
			if stat == "assigned-addresses" {
				v = id % 200
			}
			fmt.Fprintf(w, `[{"result":0,"arguments":{%q:[[%d,"2026-11-21 21:18:59.599216"]]}}]`, req.Arguments.Name, v)
		default:
			fmt.Fprintf(w, `[{"result":2,"text":"'%s' command not supported."}]`, req.Command)
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

func genView(b testing.TB, url string, checkEvery time.Duration) *View {
	v, err := New(Options{Targets: []Target{{Name: "gen", Client: client2(b, "gen", url)}}, HashCheckEvery: checkEvery, StatConcurrency: 8})
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func TestGeneratedTenThousand(t *testing.T) {
	srv := genKea(t, 10000)
	v := genView(t, srv.URL, time.Hour)
	page, err := v.Subnets(context.Background(), "gen", "dhcp4", SubnetQuery{Page: 100, PerPage: 50})
	if err != nil || page.StatsErr != nil {
		t.Fatal(err, page.StatsErr)
	}
	if page.Total != 10000 || page.Pages != 200 || len(page.Rows) != 50 || page.Rows[0].Config.ID != 4951 {
		t.Fatalf("page 100: total %d pages %d rows %d first %d", page.Total, page.Pages, len(page.Rows), page.Rows[0].Config.ID)
	}
	for _, r := range page.Rows {
		if r.Addresses.Assigned.Int64() != r.Config.ID%200 || r.Addresses.Total.Int64() != 200 {
			t.Fatalf("subnet %d: %v/%v", r.Config.ID, r.Addresses.Assigned, r.Addresses.Total)
		}
	}
	page, _ = v.Subnets(context.Background(), "gen", "dhcp4", SubnetQuery{SharedNetwork: "gen-shared", Prefix: "10.1.", PerPage: 10})
	if page.Matched != 64 || page.Rows[0].Config.ID != 256 {
		t.Fatalf("filtered: matched %d, first %d", page.Matched, page.Rows[0].Config.ID)
	}
}

// BenchmarkSubnetPageWarm is one subnet list page (50 rows) of a
// 10,000-subnet server with the configuration cached and trusted: the
// filter over the index and 100 statistic-get calls (8 in flight).
func BenchmarkSubnetPageWarm(b *testing.B) {
	srv := genKea(b, 10000)
	v := genView(b, srv.URL, time.Hour)
	ctx := context.Background()
	if _, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		page, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{Page: 1 + i%200, PerPage: 50})
		if err != nil || page.StatsErr != nil || len(page.Rows) != 50 {
			b.Fatal(err, page.StatsErr)
		}
	}
}

// BenchmarkSubnetPageWarmChecked is the same with the Kea 2.2 change check
// (status-get) on every view.
func BenchmarkSubnetPageWarmChecked(b *testing.B) {
	srv := genKea(b, 10000)
	v := genView(b, srv.URL, time.Nanosecond)
	ctx := context.Background()
	if _, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{}); err != nil {
		b.Fatal(err)
	}
	dc := v.targets["gen"].daemons["dhcp4"]
	first := dc.cfg
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{Page: 1 + i%200}); err != nil {
			b.Fatal(err)
		}
	}
	if dc.cfg != first {
		b.Fatal("config-get was read again without a change")
	}
}

// BenchmarkSubnetIndexFilter is the cached index alone: a filter by prefix
// text and an "alerting only" predicate over 10,000 subnets, no statistics.
func BenchmarkSubnetIndexFilter(b *testing.B) {
	cfg, err := parseConfigReply("dhcp4", keagen.ConfigGet4(10000))
	if err != nil {
		b.Fatal(err)
	}
	alerting := func(l Labels) bool { return strings.HasSuffix(l.SubnetID, "7") }
	f, _ := newFilter("gen", "dhcp4", SubnetQuery{Prefix: "10.", AlertingOnly: true, Alerting: alerting})
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, s := range cfg.subnets {
			if f.keep(s) {
				n++
			}
		}
		if n != 1000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkSubnetListCold is the first view of a 10,000-subnet server:
// detection, status-get, config-get (4.8 MB), the index, and one page.
func BenchmarkSubnetListCold(b *testing.B) {
	srv := genKea(b, 10000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v := genView(b, srv.URL, time.Hour)
		if page, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{}); err != nil || len(page.Rows) != 50 {
			b.Fatal(err)
		}
	}
}

// BenchmarkConfigParse10k is the parse of a 10,000-subnet config-get alone.
func BenchmarkConfigParse10k(b *testing.B) {
	body := keagen.ConfigGet4(10000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseConfigReply("dhcp4", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubnetPageRealKea is one page (50 rows) of a real Kea 2.2 with
// 10,000 subnets (keagen's configuration), through the Control Agent and
// over the daemon's UNIX socket: wall time per view, Kea's work included.
func BenchmarkSubnetPageRealKea(b *testing.B) {
	var gen []struct {
		Arguments struct {
			Dhcp4 struct {
				Subnet4        json.RawMessage `json:"subnet4"`
				SharedNetworks json.RawMessage `json:"shared-networks"`
			}
		}
	}
	if err := json.Unmarshal(keagen.ConfigGet4(10000), &gen); err != nil {
		b.Fatal(err)
	}
	noPoolID := strings.NewReplacer(`"pool-id": 0, `, "", `"pool-id": 1, `, "") // Kea 2.2 has no pool-id
	lab := keatest.Start(b, keatest.Options{ControlAgent: true, StartTimeout: 60 * time.Second,
		Subnet4:         noPoolID.Replace(string(gen[0].Arguments.Dhcp4.Subnet4)),
		SharedNetworks4: noPoolID.Replace(string(gen[0].Arguments.Dhcp4.SharedNetworks))})
	ctx := context.Background()
	for _, c := range []struct{ name, url string }{{"control-agent", lab.CAURL}, {"unix", "unix://" + lab.Socket4}} {
		b.Run(c.name, func(b *testing.B) {
			// config-get of 10,000 subnets through Kea 2.2's agent takes seconds.
			cl, err := keactl.New(keactl.Options{Name: "gen", URL: c.url, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			v, err := New(Options{Targets: []Target{{Name: "gen", Client: cl}}, HashCheckEvery: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			began := time.Now()
			if page, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{}); err != nil || page.Total != 10000 {
				b.Fatal(err)
			}
			cold := time.Since(began)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				page, err := v.Subnets(ctx, "gen", "dhcp4", SubnetQuery{Page: 1 + i%200})
				if err != nil || page.StatsErr != nil || len(page.Rows) != 50 || page.Rows[0].Addresses.Total.Int64() != 200 {
					b.Fatal(err, page.StatsErr)
				}
			}
			b.ReportMetric(float64(cold.Milliseconds()), "first-view-ms")
		})
	}
}
