package catalog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// exposition renders metrics as the "# HELP" / "# TYPE" text a scrape would
// start with, plus one sample per metric carrying every label, so that the
// linter sees the label names too.
func exposition(ms []*Metric) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", m.Name, strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(m.Help), m.Name, m.Type)
		var ls []string
		for _, l := range m.Labels() {
			ls = append(ls, l+`="x"`)
		}
		if len(ls) > 0 {
			fmt.Fprintf(&b, "%s{%s} 1\n", m.Name, strings.Join(ls, ","))
		} else {
			fmt.Fprintf(&b, "%s 1\n", m.Name)
		}
	}
	return b.String()
}

func lint(t *testing.T, ms []*Metric) []promlint.Problem {
	t.Helper()
	problems, err := promlint.New(strings.NewReader(exposition(ms))).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	return problems
}

// TestPromlint runs client_golang's promlint over every catalog metric.
func TestPromlint(t *testing.T) {
	c, err := New(All())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lint(t, c.Metrics) {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	// The check must be able to fail.
	bad := []*Metric{
		{Name: "kea_dhcp4_lease_time_milliseconds", Type: Gauge, Help: "x", Scope: ScopeGlobal},
		{Name: "kea_dhcp4_drops", Type: Counter, Help: "x", Scope: ScopeGlobal},
	}
	if got := lint(t, bad); len(got) != 2 {
		t.Errorf("promlint found %v in two bad metrics, want 2 problems", got)
	}
}

// Metric names follow the naming conventions of kea.go.
func TestNamingConventions(t *testing.T) {
	infix := map[Scope]string{
		ScopeSubnet: "subnet_", ScopePool: "pool_", ScopePDPool: "pd_pool_",
		ScopeSharedNetwork: "shared_network_", ScopeKey: "key_",
	}
	for _, m := range mustKea(t).Metrics {
		prefix := "kea_" + m.Daemon + "_"
		rest, ok := strings.CutPrefix(m.Name, prefix)
		if !ok {
			t.Errorf("%s: want prefix %s", m.Name, prefix)
			continue
		}
		if in, scoped := infix[m.Scope]; scoped && !strings.HasPrefix(rest, in) {
			t.Errorf("%s (%s scope): want %s%s…", m.Name, m.Scope, prefix, in)
		}
		if !scoped(m.Scope) && strings.HasPrefix(rest, "subnet_") {
			t.Errorf("%s: global metric named like a subnet one", m.Name)
		}
		if (m.Unit == "ratio") != strings.HasSuffix(m.Name, "_ratio") {
			t.Errorf("%s: unit %q and name disagree about _ratio", m.Name, m.Unit)
		}
	}
}

func scoped(s Scope) bool { return s != ScopeGlobal }
