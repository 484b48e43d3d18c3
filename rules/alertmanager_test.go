package rules_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/eventrecorder"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/provider/mem"
	"github.com/prometheus/alertmanager/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// loadAlertmanager loads the generated alertmanager.yml with Alertmanager's
// own config package.
func loadAlertmanager(t *testing.T, c *rules.Config) *config.Config {
	t.Helper()
	path := filepath.Join(generate(t, c), rules.AlertmanagerFile)
	conf, err := config.LoadFile(path)
	if err != nil {
		t.Fatalf("Alertmanager's config.LoadFile(%s): %v", rules.AlertmanagerFile, err)
	}
	return conf
}

// withoutConfigUI is the configuration of a deployment without the config
// editor: links.configui empty.
func withoutConfigUI() *rules.Config {
	c := rules.Default()
	c.Links.ConfigUI = ""
	return c
}

// TestAmtoolChecksGeneratedConfig runs Debian's amtool (0.25) over the
// generated file, with and without the config editor; loadAlertmanager
// checks the same files with the pinned Go library.
func TestAmtoolChecksGeneratedConfig(t *testing.T) {
	promtest.Require(t, promtest.Amtool)
	for name, c := range map[string]*rules.Config{"default": rules.Default(), "without the config editor": withoutConfigUI()} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(generate(t, c), rules.AlertmanagerFile)
			if out, err := promtest.RunAmtool(t, "check-config", path); err != nil {
				t.Errorf("amtool check-config: %v\n%s", err, out)
			}
			loadAlertmanager(t, c)
		})
	}
}

// TestWithoutConfigUINoInboxAndEveryAlertToItsSeverity: without an editor
// there is no inbox receiver to post to, and every alert still reaches the
// receiver of its severity (and only it).
func TestWithoutConfigUINoInboxAndEveryAlertToItsSeverity(t *testing.T) {
	conf := loadAlertmanager(t, withoutConfigUI())
	for _, r := range conf.Receivers {
		if r.Name == rules.InboxReceiver {
			t.Errorf("receiver %s exists without a config editor: %+v", r.Name, r.WebhookConfigs)
		}
	}
	for _, a := range defaultAlerts(t) {
		ls := model.LabelSet{"alertname": model.LabelValue(a.Name), "severity": model.LabelValue(a.Severity), "component": model.LabelValue(a.Component), "server": "kea1"}
		if got := receivers(conf, ls); !slices.Equal(got, []string{string(a.Severity)}) {
			t.Errorf("%s goes to %v, want [%s]", a.Name, got, a.Severity)
		}
	}
	if got := receivers(conf, model.LabelSet{"alertname": "Foreign"}); !slices.Equal(got, []string{string(rules.Warning)}) {
		t.Errorf("an alert without severity goes to %v, want the warning receiver", got)
	}
}

// TestWithoutConfigUIAlertsHaveNoRemediationURL reads the generated alerts
// back: no alert links to an editor that is not there.
func TestWithoutConfigUIAlertsHaveNoRemediationURL(t *testing.T) {
	for name, tc := range map[string]struct {
		c    *rules.Config
		want bool
	}{"without the config editor": {withoutConfigUI(), false}, "default": {rules.Default(), true}} {
		t.Run(name, func(t *testing.T) {
			groups, errs := rulefmt.ParseFile(filepath.Join(generate(t, tc.c), rules.AlertingRulesFile), false, model.UTF8Validation, parser.NewParser(parser.Options{}), promslog.NewNopLogger())
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			n := 0
			for _, g := range groups.Groups {
				for _, r := range g.Rules {
					if u, ok := r.Annotations["remediation_url"]; ok {
						n++
						if !tc.want {
							t.Errorf("%s has remediation_url %q", r.Alert, u)
						}
					}
				}
			}
			if tc.want && n == 0 {
				t.Error("no alert has a remediation_url")
			}
		})
	}
}

// receivers routes an alert's labels through the configuration's tree.
func receivers(conf *config.Config, ls model.LabelSet) []string {
	var names []string
	for _, r := range dispatch.NewRoute(conf.Route, nil).Match(ls) {
		names = append(names, r.RouteOpts.Receiver)
	}
	return names
}

func TestEveryAlertReachesTheInboxAndItsSeverityReceiver(t *testing.T) {
	conf := loadAlertmanager(t, rules.Default())
	for _, a := range defaultAlerts(t) {
		ls := model.LabelSet{"alertname": model.LabelValue(a.Name), "severity": model.LabelValue(a.Severity), "component": model.LabelValue(a.Component), "server": "kea1"}
		want := []string{rules.InboxReceiver, string(a.Severity)}
		if got := receivers(conf, ls); !slices.Equal(got, want) {
			t.Errorf("%s goes to %v, want %v", a.Name, got, want)
		}
	}
	// An alert of someone else's rules, without severity, still reaches the inbox.
	if got := receivers(conf, model.LabelSet{"alertname": "Foreign"}); !slices.Equal(got, []string{rules.InboxReceiver}) {
		t.Errorf("an alert without severity goes to %v, want only the inbox", got)
	}
}

func TestAlertsAreGroupedByServerAndSubnet(t *testing.T) {
	conf := loadAlertmanager(t, rules.Default())
	route := dispatch.NewRoute(conf.Route, nil)
	for _, r := range route.Match(model.LabelSet{"alertname": "KeaSubnetUtilizationCritical", "severity": "critical"}) {
		for _, l := range []model.LabelName{"server", "subnet_id", "daemon", "shared_network"} {
			if _, ok := r.RouteOpts.GroupBy[l]; !ok {
				t.Errorf("route to %s does not group by %s (groups by %v)", r.RouteOpts.Receiver, l, r.RouteOpts.GroupBy)
			}
		}
	}
	if d := route.Match(model.LabelSet{"severity": "critical"})[1].RouteOpts.RepeatInterval; d != time.Hour {
		t.Errorf("critical alerts repeat every %s, want 1h", d)
	}
}

func TestInboxWebhookAndExtraWebhooksFollowTheConfig(t *testing.T) {
	c := rules.Default()
	c.Links.ConfigUI = "https://kea-admin.example.net/"
	c.Alertmanager.Webhooks = map[rules.Severity][]string{rules.Critical: {"https://pager.example.net/hook"}}
	c.Alertmanager.InboxTokenFile = "/run/secrets/inbox.token"
	conf := loadAlertmanager(t, c)
	urls := map[string][]string{}
	for _, r := range conf.Receivers {
		for _, w := range r.WebhookConfigs {
			urls[r.Name] = append(urls[r.Name], string(w.URL)) // a secret type, kept in clear after Load
			// The editor's webhook refuses notifications without its
			// bearer token; the other webhooks get none.
			auth := w.HTTPConfig.Authorization
			switch {
			case r.Name == rules.InboxReceiver && (auth == nil || auth.Type != "Bearer" || auth.CredentialsFile != "/run/secrets/inbox.token"):
				t.Errorf("inbox webhook authorization %+v, want Bearer from /run/secrets/inbox.token", auth)
			case r.Name != rules.InboxReceiver && auth != nil:
				t.Errorf("%s webhook has authorization %+v", r.Name, auth)
			}
		}
	}
	if got := urls[rules.InboxReceiver]; !slices.Equal(got, []string{"https://kea-admin.example.net" + rules.ConfigUIInbox}) {
		t.Errorf("inbox webhook %v", got)
	}
	if got := urls["critical"]; !slices.Equal(got, []string{"https://pager.example.net/hook"}) {
		t.Errorf("critical webhooks %v", got)
	}
}

// inhibitor is Alertmanager's own inhibitor over the generated rules, with
// the source alerts firing.
func inhibitor(t *testing.T, firing ...model.LabelSet) *inhibit.Inhibitor {
	t.Helper()
	conf := loadAlertmanager(t, rules.Default())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := promslog.NewNopLogger()
	alerts, err := mem.NewAlerts(ctx, time.Hour, 0, nil, logger, eventrecorder.NopRecorder(), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alerts.Close)
	now := time.Now()
	for _, ls := range firing {
		a := &types.Alert{Alert: model.Alert{Labels: ls, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)}, UpdatedAt: now}
		if err := alerts.Put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ih := inhibit.NewInhibitor(alerts, conf.InhibitRules, logger, eventrecorder.NopRecorder())
	go ih.Run()
	t.Cleanup(ih.Stop)
	ih.WaitForLoading()
	return ih
}

// alert builds an alert's labels as the generated rule gives them.
func alert(t *testing.T, name string, ls ...string) model.LabelSet {
	t.Helper()
	for _, a := range defaultAlerts(t) {
		if a.Name != name {
			continue
		}
		set := model.LabelSet{"alertname": model.LabelValue(name), "severity": model.LabelValue(a.Severity), "component": model.LabelValue(a.Component)}
		for i := 0; i+1 < len(ls); i += 2 {
			set[model.LabelName(ls[i])] = model.LabelValue(ls[i+1])
		}
		return set
	}
	t.Fatalf("no alert %s", name)
	return nil
}

func TestInhibitions(t *testing.T) {
	targetDown := alert(t, "DdiscopeTargetDown", "server", "kea1", "kind", "kea")
	splitBrain := alert(t, "KeaHASplitBrain", "server", "kea4", "daemon", "dhcp4", "relationship", "kea4", "peer_server", "kea5")
	critical := alert(t, "KeaSubnetUtilizationCritical", "server", "kea2", "daemon", "dhcp4", "lease_type", "address", "subnet_id", "7")
	daemonDown := alert(t, "KeaDaemonDown", "server", "kea3", "daemon", "dhcp6")
	bindDown := alert(t, "BindDown", "server", "ns1", "kind", "bind")
	ih := inhibitor(t, targetDown, splitBrain, critical, daemonDown, bindDown)

	for _, tc := range []struct {
		what  string
		alert model.LabelSet
		muted bool
	}{
		{"a down target silences its subnet alerts", alert(t, "KeaSubnetUtilizationCritical", "server", "kea1", "daemon", "dhcp4", "lease_type", "address", "subnet_id", "1"), true},
		{"a down target silences its HA alerts", alert(t, "KeaHACommunicationInterrupted", "server", "kea1", "daemon", "dhcp4", "relationship", "kea1", "partner", "kea2"), true},
		{"a down target silences its stale-data alert", alert(t, "DdiscopeTargetDataStale", "server", "kea1", "kind", "kea"), true},
		{"a down target does not silence another server's alerts", alert(t, "KeaHAPartnerDown", "server", "kea2", "daemon", "dhcp4", "relationship", "kea1"), false},
		{"a down target does not silence itself", targetDown, false},
		{"split brain silences partner-down of the same relationship", alert(t, "KeaHAPartnerDown", "server", "kea4", "daemon", "dhcp4", "relationship", "kea4"), true},
		{"split brain does not silence partner-down of another relationship", alert(t, "KeaHAPartnerDown", "server", "kea4", "daemon", "dhcp4", "relationship", "kea9"), false},
		{"split brain does not silence the communication alerts", alert(t, "KeaHACommunicationInterrupted", "server", "kea4", "daemon", "dhcp4", "relationship", "kea4", "partner", "kea5"), false},
		{"critical utilisation silences the warning for the same subnet", alert(t, "KeaSubnetUtilizationHigh", "server", "kea2", "daemon", "dhcp4", "lease_type", "address", "subnet_id", "7"), true},
		{"critical utilisation silences the exhaustion prediction for the same subnet", alert(t, "KeaSubnetExhaustionPredicted", "server", "kea2", "daemon", "dhcp4", "lease_type", "address", "subnet_id", "7"), true},
		{"critical utilisation does not silence the warning of another subnet", alert(t, "KeaSubnetUtilizationHigh", "server", "kea2", "daemon", "dhcp4", "lease_type", "address", "subnet_id", "8"), false},
		{"critical utilisation does not silence the warning of the DHCPv6 subnet of the same id", alert(t, "KeaSubnetUtilizationHigh", "server", "kea2", "daemon", "dhcp6", "lease_type", "address", "subnet_id", "7"), false},
		{"a down daemon silences its own subnet alerts", alert(t, "KeaAllocationFailures", "server", "kea3", "daemon", "dhcp6", "subnet_id", "1"), true},
		{"a down daemon does not silence the other daemon of the server", alert(t, "KeaAllocationFailures", "server", "kea3", "daemon", "dhcp4", "subnet_id", "1"), false},
		{"a down daemon does not silence itself", daemonDown, false},
		{"BIND down silences the server's BIND alerts", alert(t, "BindServfailRatioHigh", "server", "ns1"), true},
		{"BIND down does not silence itself", bindDown, false},
		{"BIND down does not silence another BIND server", alert(t, "BindServfailRatioHigh", "server", "ns2"), false},
	} {
		if got := ih.Mutes(context.Background(), tc.alert); got != tc.muted {
			t.Errorf("%s: Mutes(%v) = %v, want %v", tc.what, tc.alert, got, tc.muted)
		}
	}
}

// TestInhibitionsNameOnlyRealAlerts: a typo in an inhibition would silently
// silence nothing.
func TestInhibitionsNameOnlyRealAlerts(t *testing.T) {
	names := map[string]bool{}
	for _, a := range defaultAlerts(t) {
		names[a.Name] = true
	}
	groups, err := rules.Build(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range rules.Inhibitions(groups) {
		for _, m := range append(slices.Clone(in.Source), in.Target...) {
			name, value, ok := strings.Cut(m, "=")
			if !ok || strings.TrimRight(name, "!") != "alertname" {
				continue
			}
			for _, n := range strings.Split(strings.Trim(strings.TrimPrefix(value, "~"), `"`), "|") {
				if !names[n] {
					t.Errorf("inhibition %v names %q, which is no alert", in, n)
				}
			}
		}
	}
}
