package dashboards

import (
	"testing"

	"github.com/ddiscope/ddiscope/rules"
)

// Every query of every panel and variable reads only series the catalog
// defines (or the rules record from them), filters and groups only on
// labels those series have, reads counters only as rates over Grafana's
// $__rate_interval, and names in legends and data links only labels its
// result carries.
func TestQueriesReadOnlyCatalogSeries(t *testing.T) {
	cfg := rules.Default()
	s, err := newSeries(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := boards(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range bs {
		for _, v := range b.vars {
			m := labelValues.FindStringSubmatch(v.query)
			if m == nil {
				t.Errorf("%s: variable %s: want label_values(selector, label), have %s", b.ref.UID, v.name, v.query)
				continue
			}
			out, errs := s.check(m[1])
			for _, err := range errs {
				t.Errorf("%s: variable %s: %v", b.ref.UID, v.name, err)
			}
			if out != nil && !out[m[2]] {
				t.Errorf("%s: variable %s lists label %q its series do not have", b.ref.UID, v.name, m[2])
			}
		}
		for _, r := range b.rows {
			for _, p := range r.panels {
				for _, q := range p.queries {
					n++
					out, errs := s.check(q.expr)
					for _, err := range errs {
						t.Errorf("%s: %q: %v\n%s", b.ref.UID, p.title, err, q.expr)
					}
					if out == nil {
						continue
					}
					for _, l := range labelRefs(legendLabel, q.legend) {
						if !out[l] {
							t.Errorf("%s: %q: legend %q names label %q the result lacks", b.ref.UID, p.title, q.legend, l)
						}
					}
					for _, lk := range p.links {
						for _, l := range append(labelRefs(linkLabel, lk.url), labelRefs(linkLabel, lk.title)...) {
							if !out[l] {
								t.Errorf("%s: %q: data link %q needs label %q the result of %s lacks", b.ref.UID, p.title, lk.title, l, q.expr)
							}
						}
					}
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("checked only %d queries", n)
	}
}

// The checker itself catches what it is there for.
func TestQueryCheckerCatchesMistakes(t *testing.T) {
	s, err := newSeries(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	for expr, wantErr := range map[string]bool{
		`kea_dhcp4_subnet_addresses{server=~"$server"}`:                                   false,
		`rate(kea_dhcp4_packets_received_total[$__rate_interval])`:                        false,
		`kea:subnet_utilization:ratio{lease_type="prefix"}`:                               false,
		`sum by (server, state) (kea_dhcp4_subnet_leases)`:                                false,
		`kea_dhcp4_subnet_addressez`:                                                      true, // not in the catalog
		`kea:subnet_utilisation:ratio`:                                                    true, // not recorded
		`kea_dhcp4_subnet_addresses{pool_id="1"}`:                                         true, // a subnet has no pool_id
		`kea_dhcp4_packets_received_total`:                                                true, // a counter's raw value
		`rate(kea_dhcp4_packets_received_total[5m])`:                                      true, // not $__rate_interval
		`sum by (subnet_id) (kea_dhcp4_packets_received_total)`:                           true,
		`sum by (pool) (rate(kea_dhcp4_subnet_reclaimed_leases_total[$__rate_interval]))`: true,
	} {
		if _, errs := s.check(expr); (len(errs) > 0) != wantErr {
			t.Errorf("%s: errors %v, want errors: %v", expr, errs, wantErr)
		}
	}
}
