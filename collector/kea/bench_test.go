package kea

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// benchPoller is a poller whose dhcp4 configuration is already known, as it
// is on every poll after the first (config-get is read only on change).
func benchPoller(b testing.TB, subnets int) (*Poller, *daemonState) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		b.Fatal(err)
	}
	client, err := keactl.New(keactl.Options{Name: "kea1", URL: "http://127.0.0.1:1/"})
	if err != nil {
		b.Fatal(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{})
	ds := &daemonState{name: "dhcp4"}
	cfg, err := parseConfigReply(p.name, "dhcp4", keagen.ConfigGet4(subnets))
	if err != nil {
		b.Fatal(err)
	}
	ds.cfg = cfg
	return p, ds
}

// BenchmarkPoll is the CPU of one poll of kea-dhcp4 at N subnets, once the
// reply is in: parse statistic-get-all, label, derive, group. Kea's own time
// to answer and the loopback transfer are not in it.
func BenchmarkPoll(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		for _, shape := range []struct {
			samples int
			pools   bool
		}{{1, false}, {1, true}, {20, true}} {
			samples := shape.samples
			if n == 50000 && samples == 20 {
				continue // 1.2 GB of JSON: past the default reply cap
			}
			// pools=false is Kea 2.2's shape, pools=true Kea 2.4+'s with two
			// pools a subnet; samples=20 is Kea's default sample count.
			// reply=same polls the same reply each time: every statistic's
			// text is as it was, and is replayed (entryMemo), as for an
			// idle Kea. reply=changed alternates two replies whose every
			// statistic differs (its timestamps), so nothing is replayed:
			// the worst case, every statistic updated since the last poll.
			body := keagen.StatisticGetAll4(n, samples, shape.pools)
			other := bytes.ReplaceAll(body, []byte("2026-11-21 "), []byte("2026-11-22 "))
			for _, reply := range []string{"same", "changed"} {
				b.Run(fmt.Sprintf("subnets=%d/pools=%v/samples=%d/reply=%s", n, shape.pools, samples, reply), func(b *testing.B) {
					p, ds := benchPoller(b, n)
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					var series, polls int
					for b.Loop() {
						r := body
						if reply == "changed" && polls%2 == 1 {
							r = other
						}
						polls++
						// As Poll does: gathered in the poller's buffer, grouped into the snapshot.
						snap := &collector.Snapshot{Target: "kea1", Kind: "kea", Time: time.Now(), Samples: p.work[:0]}
						if _, _, _, err := p.parseStats(ds, bytes.NewReader(r), snap); err != nil {
							b.Fatal(err)
						}
						p.group(snap)
						series = len(snap.Samples)
					}
					b.ReportMetric(float64(series), "series")
					b.ReportMetric(float64(len(body))/1e6, "reply-MB")
				})
			}
		}
	}
}

// BenchmarkConfigGet is the cost of reading config-get, paid only when the
// configuration changed.
func BenchmarkConfigGet(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("subnets=%d", n), func(b *testing.B) {
			body := keagen.ConfigGet4(n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseConfigReply("kea1", "dhcp4", body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReview is the configuration review alone (review.go): the checks
// run once per configuration read, after config-get is parsed. reservations
// adds one in-pool reservation per subnet under out-of-pool mode, so that
// the reservation checks find something in every subnet.
func BenchmarkReview(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, resv := range []bool{false, true} {
			b.Run(fmt.Sprintf("subnets=%d/reservations=%v", n, resv), func(b *testing.B) {
				body := keagen.ConfigGet4(n)
				if resv {
					body = regexp.MustCompile(`"subnet": "(10\.[0-9]+\.[0-9]+)\.0/24", `).ReplaceAll(body,
						[]byte(`"subnet": "$1.0/24", "reservations-out-of-pool": true, "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "$1.20"}], `))
				}
				var reply struct {
					Arguments configReply `json:"arguments"`
				}
				var rs []json.RawMessage
				if err := json.Unmarshal(body, &rs); err != nil || json.Unmarshal(rs[0], &reply) != nil {
					b.Fatal(err)
				}
				cfg, err := labelsFromConfig("kea1", "dhcp4", &reply.Arguments)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				var found int
				for b.Loop() {
					found = len(reviewConfig("dhcp4", reply.Arguments.Dhcp4, cfg))
				}
				b.ReportMetric(float64(found), "findings")
			})
		}
	}
}
