package dashboards

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/common/model"

	"github.com/ddiscope/ddiscope/rules"
)

func mustBoards(t *testing.T, cfg *rules.Config) []board {
	t.Helper()
	bs, err := boards(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func panelsOf(b board) []panel {
	var ps []panel
	for _, r := range b.rows {
		ps = append(ps, r.panels...)
	}
	return ps
}

// The UIDs are the ones the alerts' dashboard_url uses, and each dashboard
// takes the variables those URLs set.
func TestDashboardsAreTheOnesAlertsLinkTo(t *testing.T) {
	bs := mustBoards(t, rules.Default())
	byUID := map[string]board{}
	for _, b := range bs {
		if _, dup := byUID[b.ref.UID]; dup {
			t.Errorf("two dashboards have UID %s", b.ref.UID)
		}
		byUID[b.ref.UID] = b
		var vars []string
		for _, v := range b.vars {
			vars = append(vars, v.name)
		}
		for _, v := range b.ref.Vars {
			if !slices.Contains(vars, v) {
				t.Errorf("%s: links set ?var-%s but the dashboard has no such variable (it has %v)", b.ref.UID, v, vars)
			}
		}
	}
	for _, d := range rules.Dashboards() {
		b, ok := byUID[d.UID]
		if !ok {
			t.Errorf("rules link to dashboard %s, which is not generated", d.UID)
			continue
		}
		if b.ref.Title != d.Title || b.ref.Slug != d.Slug {
			t.Errorf("%s: title %q slug %q, rules say %q %q", d.UID, b.ref.Title, b.ref.Slug, d.Title, d.Slug)
		}
	}
	groups, err := rules.Build(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rules.Alerts(groups) {
		if _, ok := byUID[a.Dashboard]; !ok {
			t.Errorf("alert %s links to dashboard %q, which is not generated", a.Name, a.Dashboard)
		}
	}
}

var grafanaVar = regexp.MustCompile(`\$(\w+)`)

// A query filtering on $x needs the dashboard to define x.
func TestQueriesUseOnlyTheirDashboardsVariables(t *testing.T) {
	for _, b := range mustBoards(t, rules.Default()) {
		defined := map[string]bool{}
		for _, v := range b.vars {
			defined[v.name] = true
		}
		check := func(where, expr string) {
			for _, m := range grafanaVar.FindAllStringSubmatch(expr, -1) {
				if !strings.HasPrefix(m[1], "__") && !defined[m[1]] {
					t.Errorf("%s: %s uses $%s, which the dashboard does not define", b.ref.UID, where, m[1])
				}
			}
		}
		for i, v := range b.vars {
			check("variable "+v.name, v.query)
			// A variable may only narrow by the ones before it.
			for _, later := range b.vars[i:] {
				if strings.Contains(v.query, "$"+later.name+`"`) {
					t.Errorf("%s: variable %s depends on %s, which comes after it", b.ref.UID, v.name, later.name)
				}
			}
		}
		for _, p := range panelsOf(b) {
			for _, q := range p.queries {
				check("panel "+p.title, q.expr)
			}
		}
	}
}

// thresholdValues collects every threshold step of every rendered panel.
func thresholdValues(t *testing.T, cfg *rules.Config) map[float64]bool {
	t.Helper()
	files, err := Files(cfg)
	if err != nil {
		t.Fatal(err)
	}
	values := map[float64]bool{}
	for path, data := range files {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		var d struct {
			Panels []struct {
				FieldConfig struct {
					Defaults struct {
						Thresholds struct {
							Steps []struct{ Value *float64 }
						}
					}
				}
			}
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Panels {
			for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
				if s.Value != nil {
					values[*s.Value] = true
				}
			}
		}
	}
	return values
}

// The panels' thresholds are the alerts': change one in the rules'
// configuration and the dashboards follow; no threshold is made up.
func TestThresholdsAreTheAlertsThresholds(t *testing.T) {
	cfg := rules.Default()
	th := &cfg.Thresholds
	// Values no default uses, so that each must have come from here.
	th.UtilizationWarning, th.UtilizationCritical = 0.71, 0.93
	th.ExhaustionHorizon = model.Duration(31 * time.Hour)
	th.AllocationFailuresPerMinute = 3.5
	th.DeclinesPerMinute = 17
	th.NAKRatio = 0.23
	th.DropRatio = 0.037
	th.DeclinedRatio = 0.061
	th.LeaseReclamationBacklog = 123
	th.HAHeartbeatDelay, th.HAContactAgeFactor = model.Duration(7*time.Second), 3
	th.HAClockSkew = model.Duration(41 * time.Second)
	th.HAUnackedClients = 4
	th.HAUnsentUpdates = 30
	th.BINDServfailRatio = 0.071
	th.BINDRecursiveClientsLimit, th.BINDRecursiveClientsRatio = 2000, 0.5
	th.BINDZoneExpiry = model.Duration(13 * time.Hour)
	th.StaleAfter = model.Duration(7 * time.Minute)
	th.PollErrorRatio = 0.13
	th.SeriesBudget = 54321

	want := map[string]float64{
		"utilization-warning":             0.71,
		"utilization-critical":            0.93,
		"exhaustion-horizon":              31 * 3600,
		"allocation-failures-per-minute":  3.5,
		"declines-per-minute":             17,
		"nak-ratio":                       0.23,
		"drop-ratio":                      0.037,
		"declined-ratio":                  0.061,
		"lease-reclamation-backlog":       123,
		"heartbeat-delay × factor":        21,
		"ha-clock-skew":                   41,
		"-ha-clock-skew":                  -41,
		"ha-unacked-clients":              4,
		"ha-unsent-updates per minute":    2,
		"bind-servfail-ratio":             0.071,
		"recursive-clients limit × ratio": 1000,
		"bind-zone-expiry":                13 * 3600,
		"stale-after":                     7 * 60,
		"poll-error-ratio":                0.13,
		"series-budget":                   54321,
	}
	got := thresholdValues(t, cfg)
	for name, v := range want {
		if !got[v] {
			t.Errorf("no panel has the %s threshold %v", name, v)
		}
	}
	// Besides those: 1 is "up" for 0/1 series, 0 and zeroStep bound
	// "not 0" and "above 0".
	allowed := slices.Collect(maps.Values(want))
	allowed = append(allowed, 1, 0, zeroStep)
	for v := range got {
		if !slices.Contains(allowed, v) {
			t.Errorf("a panel has threshold %v, which is no alert's", v)
		}
	}
}

// Every panel showing subnets, pools or shared networks of a server links
// each series (or table row) to the config editor's page for it.
func TestSubnetAndPoolPanelsLinkToTheConfigEditor(t *testing.T) {
	cfg := rules.Default()
	s, err := newSeries(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimRight(cfg.Links.ConfigUI, "/")
	for _, b := range mustBoards(t, cfg) {
		for _, p := range panelsOf(b) {
			for _, q := range p.queries {
				out, _ := s.check(q.expr)
				var want []string
				switch {
				case out == nil || !out["server"]:
					continue
				case out["pool_id"]:
					want = []string{"/pools/{pool_id}", "/pd-pools/{pool_id}"}
				case out["subnet_id"]:
					want = []string{"/subnets/{subnet_id}"}
				case out["shared_network"]:
					want = []string{"/shared-networks/{shared_network}"}
				default:
					continue
				}
				found := false
				for _, l := range p.links {
					for _, w := range want {
						if strings.HasPrefix(l.url, base) && strings.HasSuffix(l.url, w) {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("%s: %q shows %v but links to no config editor page %v", b.ref.UID, p.title, keys(out), want)
				}
			}
		}
	}
}

func keys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// Links between dashboards open a generated dashboard and set only
// variables it has; every dashboard lists all of them in its header.
func TestLinksBetweenDashboards(t *testing.T) {
	bs := mustBoards(t, rules.Default())
	vars := map[string][]string{}
	for _, b := range bs {
		for _, v := range b.vars {
			vars[b.ref.UID] = append(vars[b.ref.UID], v.name)
		}
	}
	link := regexp.MustCompile(`^/d/([\w-]+)/[\w-]+(\?.*)?$`)
	param := regexp.MustCompile(`var-(\w+)=`)
	n := 0
	for _, b := range bs {
		for _, p := range panelsOf(b) {
			for _, l := range p.links {
				if !strings.HasPrefix(l.url, "/") {
					continue
				}
				n++
				m := link.FindStringSubmatch(l.url)
				if m == nil {
					t.Errorf("%s: %q: link %s is not /d/uid/slug", b.ref.UID, p.title, l.url)
					continue
				}
				target, ok := vars[m[1]]
				if !ok {
					t.Errorf("%s: %q links to unknown dashboard %s", b.ref.UID, p.title, m[1])
				}
				for _, v := range param.FindAllStringSubmatch(m[2], -1) {
					if !slices.Contains(target, v[1]) {
						t.Errorf("%s: %q sets var-%s, which %s does not have", b.ref.UID, p.title, v[1], m[1])
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("no panel links to another dashboard")
	}

	files, err := Files(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range files {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		var d dashboard.Dashboard
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ok := slices.Contains(d.Tags, dashboardTag)
		hasLinks := false
		for _, l := range d.Links {
			if l.Type == dashboard.DashboardLinkTypeDashboards && slices.Contains(l.Tags, dashboardTag) && l.IncludeVars && l.KeepTime {
				hasLinks = true
			}
		}
		if !ok || !hasLinks {
			t.Errorf("%s: tagged %v, header links %v: want the %q tag and links to every dashboard so tagged", path, d.Tags, d.Links, dashboardTag)
		}
	}
}

// The unit of a panel showing a metric as it is (or aggregated) is the
// metric's: seconds, bytes, ratios as percentages.
func TestPanelsShowTheMetricsUnit(t *testing.T) {
	s, err := newSeries(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	grafana := map[string]string{"seconds": "s", "bytes": "bytes", "ratio": "percentunit"}
	plain := regexp.MustCompile(`^(?:(?:topk\(\d+, |(?:sum|max|min) by \([\w, ]+\) \())?([\w:]+)\{[^}]*\}\)?$`)
	for _, b := range mustBoards(t, rules.Default()) {
		for _, p := range panelsOf(b) {
			for _, q := range p.queries {
				m := plain.FindStringSubmatch(q.expr)
				if m == nil {
					continue
				}
				unit := ""
				if metric := s.cat.Metric(m[1]); metric != nil {
					unit = metric.Unit
				} else if strings.HasSuffix(m[1], ":ratio") {
					unit = "ratio"
				}
				if want, ok := grafana[unit]; ok && p.unit != want && p.viz != timeline {
					t.Errorf("%s: %q shows %s in %q, want %q", b.ref.UID, p.title, m[1], p.unit, want)
				}
			}
		}
	}
}

// The files are Grafana's classic dashboard model with the schemaVersion
// the SDK writes, which Grafana 10 and 11 provision from files.
func TestClassicModelForFileProvisioning(t *testing.T) {
	files, err := Files(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	want := dashboard.NewDashboard().SchemaVersion
	plugins.RegisterDefaultPlugins() // so that panels and queries decode as their types
	for path, data := range files {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		// The SDK's strict decoder refuses unknown and mistyped fields. (It
		// returns an empty cog.BuildErrors, not nil, when all is well.)
		if err := new(dashboard.Dashboard).UnmarshalJSONStrict(data); err != nil {
			if be, ok := err.(cog.BuildErrors); !ok || len(be) > 0 {
				t.Errorf("%s does not decode strictly as the SDK's dashboard: %v", path, err)
			}
		}
		var d struct {
			UID           string `json:"uid"`
			ID            *int   `json:"id"`
			SchemaVersion int    `json:"schemaVersion"`
			Panels        []struct {
				ID         int    `json:"id"`
				Type       string `json:"type"`
				Datasource *struct {
					UID string `json:"uid"`
				} `json:"datasource"`
				Targets []struct {
					RefID string `json:"refId"`
					Expr  string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d.SchemaVersion != int(want) || d.ID != nil || d.UID == "" {
			t.Errorf("%s: schemaVersion %d (want the SDK's %d), id %v, uid %q: file provisioning wants no id and a uid", path, d.SchemaVersion, want, d.ID, d.UID)
		}
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("%s: panel id %d is zero or used twice", path, p.ID)
			}
			ids[p.ID] = true
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
				t.Errorf("%s: panel %d (%s) must query the ${datasource} variable", path, p.ID, p.Type)
			}
			for _, tg := range p.Targets {
				if tg.RefID == "" || tg.Expr == "" {
					t.Errorf("%s: panel %d has a target without refId or expr", path, p.ID)
				}
			}
		}
	}
}

// Without a config editor (links.configui empty) no panel links to one: a
// relative /servers/... link would open a Grafana page that does not exist.
func TestWithoutConfigEditorNoPanelLinksToIt(t *testing.T) {
	cfg := rules.Default()
	cfg.Links.ConfigUI = ""
	files, err := Files(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no dashboards generated")
	}
	for name, body := range files {
		if strings.HasSuffix(name, ".json") && strings.Contains(string(body), "/servers/") {
			t.Errorf("%s links to a config editor that is not deployed", name)
		}
	}
}
