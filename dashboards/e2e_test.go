package dashboards

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/bindtest"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// e2eRateInterval stands for Grafana's $__rate_interval: four scrapes of
// the test's 1 s interval, and some slack.
const e2eRateInterval = "15s"

// Every panel's query, run by a real Prometheus scraping ddiscope polling a
// real Kea (DHCPv4 and DHCPv6 with perfdhcp traffic, and a hot-standby HA
// pair) and a real BIND (a primary and a secondary with a recursive view,
// with dig traffic), returns data; a query marked as rightly empty runs
// without error. The recording and alerting rules are the generated ones.
// It runs on Kea 2.2 and on Kea 3.0.4.
func TestEveryPanelShowsRealData(t *testing.T) {
	promtest.Require(t, promtest.Prometheus)
	keatest.Require(t, "kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent", "perfdhcp")
	bindtest.Require(t, "named", "rndc", "dig")
	keatest.Versions(t, testEveryPanelShowsRealData)
}

// testEveryPanelShowsRealData runs the scenario with Kea version v (the
// lab, the HA pair); BIND is the same.
func testEveryPanelShowsRealData(t *testing.T, v keatest.Version) {
	began := time.Now()

	kea := keatest.Start(t, keatest.Options{ControlAgent: true, Traffic: true, DHCP6: true, Kea: v})
	ha := startHAPairKea(t, v)
	dns := bindtest.Start(t, bindtest.Options{Secondary: true})
	kea.Perfdhcp4(t, 10)
	kea.Perfdhcp6(t, 10)
	dig(t, dns)

	addr := promtest.StartDdiscope(t, promtest.BuildDdiscope(t, t.TempDir()), fmt.Sprintf(`defaults:
  interval: 1s
  timeout: 1s
kea:
  - name: kea-lab
    url: %s
    lease-interval: 2s
%sbind:
  - name: dns-primary
    url: %s
    zones: true
    zone-interval: 1s
  - name: dns-secondary
    url: %s
    zones: true
    zone-interval: 1s
`, kea.CAURL, haTargets(ha), dns.Primary.StatsURL, dns.Secondary.StatsURL))

	cfg := rules.Default()
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	ruleFiles, err := rules.Files(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{
		Jobs: []promtest.Job{{Name: "ddiscope", Targets: []string{addr}}},
		RuleFiles: map[string][]byte{
			"ddiscope.rules.yml":  ruleFiles[rules.RecordingRulesFile],
			"ddiscope.alerts.yml": ruleFiles[rules.AlertingRulesFile],
		},
	})
	promtest.Eventually(t, 30*time.Second, "every Kea target up in Prometheus", func() bool {
		v, err := prom.Query(`ddiscope_target_up{kind="kea"} == 1`)
		return err == nil && len(v) == 3
	})

	// A second wave after Prometheus has seen the first: rates are
	// non-zero, utilisation grows, subnet 3 (10 addresses) runs out so that
	// allocations fail, a zone changes.
	kea.Perfdhcp4(t, 10)
	kea.Perfdhcp4Relay(t, keatest.RelayAddr4, 8)
	kea.Perfdhcp4Relay(t, keatest.RelayAddr4, 6)
	kea.Perfdhcp6(t, 10)
	dig(t, dns)
	dns.BumpSerial(t, "lab.example")
	time.Sleep(5 * time.Second) // a few scrapes and rule evaluations
	t.Logf("labs up and traffic sent after %s", time.Since(began).Round(time.Second))

	bs := mustBoards(t, cfg)
	have := features(t, prom)
	for _, b := range bs {
		t.Run(b.ref.Title, func(t *testing.T) {
			var unproven []string
			run := func(what, expr, empty string, links []link) {
				expr = grafanaToProm(expr)
				if need := missingFeature(cat, expr, have); need != "" {
					unproven = append(unproven, what+" ("+need+")")
					return
				}
				v, err := prom.Query(expr)
				switch {
				case err != nil:
					t.Errorf("%s: %v", what, err)
				case len(v) == 0 && empty == "":
					t.Errorf("%s returned no data (if it may rightly be empty, say why in the panel):\n%s", what, expr)
				case len(v) == 0:
					t.Logf("%s: empty, as it may be (%s)", what, empty)
				case len(v) > 0:
					for _, l := range links {
						if !l.keepTime { // a config editor page: every path segment is needed
							checkLinkLabels(t, what, l, v)
						}
					}
				}
			}
			for _, v := range b.vars {
				m := labelValues.FindStringSubmatch(v.query)
				run("variable "+v.name, "group by ("+m[2]+") ("+m[1]+")", v.empty, nil)
			}
			for _, p := range panelsOf(b) {
				for _, q := range p.queries {
					empty := q.empty
					if empty == "" {
						empty = p.empty
					}
					run(fmt.Sprintf("panel %q, query %q", p.title, q.legend), q.expr, empty, p.links)
				}
			}
			if len(unproven) > 0 {
				t.Errorf("ddiscope does not produce the series these queries need, so they are not proven:\n  %s", strings.Join(unproven, "\n  "))
			}
		})
	}
	t.Logf("done after %s", time.Since(began).Round(time.Second))
}

// dig sends queries with every kind of answer to both servers.
func dig(t *testing.T, dns *bindtest.Lab) {
	t.Helper()
	qs := []bindtest.Query{
		bindtest.Q("www.lab.example", "A"), bindtest.Q("www.lab.example", "AAAA"),
		bindtest.Q("nosuch.lab.example", "A"), bindtest.Q("www.example.net", "A"),
		bindtest.Q("10.2.0.192.in-addr.arpa", "PTR"),
	}
	dns.Dig(t, dns.Primary, "", qs...)
	dns.Dig(t, dns.Secondary, "", qs...)
	dns.Dig(t, dns.Secondary, bindtest.RecursiveSource, qs...)
}

// grafanaToProm replaces what Grafana would before sending a query: its
// rate interval, and every variable set to All.
func grafanaToProm(expr string) string {
	expr = strings.ReplaceAll(expr, rateInterval, e2eRateInterval)
	return grafanaVar.ReplaceAllString(expr, ".*")
}

// checkLinkLabels fails when a config editor link needs a label the result
// lacks (Prometheus drops empty ones): the link would open no page. Links
// to dashboards may leave a variable empty (no shared network).
func checkLinkLabels(t *testing.T, what string, l link, v model.Vector) {
	t.Helper()
	for _, label := range append(labelRefs(linkLabel, l.url), labelRefs(linkLabel, l.title)...) {
		if _, ok := v[0].Metric[model.LabelName(label)]; !ok {
			t.Errorf("%s: data link %q needs label %q, the result %s lacks it", what, l.title, label, v[0].Metric)
		}
	}
}

// Features of ddiscope that other engineers are still wiring into the
// daemon; a query reading their series is proven once the daemon has them.
type feature struct {
	name  string
	probe string // a query that has data once ddiscope has the feature
	reads func(m *catalog.Metric) bool
	// selects is a matcher that picks the feature's series of a general
	// metric (ddiscope_target_up of BIND targets).
	selects string
}

func allFeatures() []feature {
	leases := map[string]bool{}
	for _, m := range catalog.Leases() {
		leases[m.Name] = true
	}
	return []feature{
		{"BIND polling", `ddiscope_target_up{kind="bind"}`, func(m *catalog.Metric) bool { return m.Daemon == "bind" }, `kind="bind"`},
		{"lease passes", `ddiscope_lease_pages_total`, func(m *catalog.Metric) bool { return leases[m.Name] }, ""},
		{"HA pair and fleet facts", `ddiscope_kea_ha_partner_monitored`, func(m *catalog.Metric) bool {
			return strings.HasPrefix(m.Name, "kea_ha_pair_") || strings.Contains(m.Name, "_fleet_") || m.Name == "ddiscope_kea_ha_partner_monitored"
		}, ""},
	}
}

// features returns the names of the features the daemon has.
func features(t *testing.T, prom *promtest.PrometheusServer) map[string]bool {
	t.Helper()
	have := map[string]bool{}
	for _, f := range allFeatures() {
		v, err := prom.Query(f.probe)
		if err != nil {
			t.Fatal(err)
		}
		have[f.name] = len(v) > 0
	}
	t.Logf("daemon features: %v", have)
	return have
}

// missingFeature names a feature expr needs that the daemon lacks.
func missingFeature(cat *catalog.Catalog, expr string, have map[string]bool) string {
	names := metricNames(expr)
	for _, f := range allFeatures() {
		if have[f.name] {
			continue
		}
		if f.selects != "" && strings.Contains(expr, f.selects) {
			return "needs " + f.name
		}
		for _, n := range names {
			if m := cat.Metric(n); m != nil && f.reads(m) {
				return "needs " + f.name
			}
		}
	}
	return ""
}

// metricNames are the catalog names an expression mentions.
func metricNames(expr string) []string {
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(expr, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) {
		seen[w] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
