package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// AlertmanagerFile is the generated Alertmanager configuration's path.
const AlertmanagerFile = "deploy/alertmanager/alertmanager.yml"

// InboxReceiver receives every alert, for the config editor's inbox.
const InboxReceiver = "configui-inbox"

// GroupBy is how alerts are grouped into notifications: one per server and
// subnet (or shared network), so that utilisation, exhaustion and failures
// of one subnet arrive together. Alerts without these labels group by
// what they have.
func GroupBy() []string { return []string{"server", "daemon", "shared_network", "subnet_id"} }

type amRoute struct {
	Receiver       string         `yaml:"receiver"`
	Matchers       []string       `yaml:"matchers,omitempty"`
	Continue       bool           `yaml:"continue,omitempty"`
	GroupBy        []string       `yaml:"group_by,omitempty"`
	GroupWait      model.Duration `yaml:"group_wait,omitempty"`
	GroupInterval  model.Duration `yaml:"group_interval,omitempty"`
	RepeatInterval model.Duration `yaml:"repeat_interval,omitempty"`
}

type amInhibit struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal,omitempty"`
}

type amReceiver struct {
	Name           string      `yaml:"name"`
	WebhookConfigs []amWebhook `yaml:"webhook_configs,omitempty"`
}

type amWebhook struct {
	URL          string        `yaml:"url"`
	SendResolved bool          `yaml:"send_resolved"`
	HTTPConfig   *amHTTPConfig `yaml:"http_config,omitempty"`
}

// amHTTPConfig is the part of Alertmanager's http_config the inbox needs:
// a bearer token read from a file at every request, so that rotating the
// token needs no reload.
type amHTTPConfig struct {
	Authorization struct {
		CredentialsFile string `yaml:"credentials_file"`
	} `yaml:"authorization"`
}

// Inhibition is one generated inhibit rule and why it exists.
type Inhibition struct {
	Source, Target []string
	Equal          []string
	Why            string
}

// Inhibitions derives the inhibit rules from the alerts' Supersedes and
// Silences. A superseded alert is matched on the identity labels both
// alerts have.
func Inhibitions(groups []Group) []Inhibition {
	byName := map[string]Alert{}
	for _, a := range Alerts(groups) {
		byName[a.Name] = a
	}
	var out []Inhibition
	for _, a := range Alerts(groups) {
		src := []string{fmt.Sprintf("alertname=%q", a.Name)}
		for _, s := range a.Silences {
			out = append(out, Inhibition{Source: src, Target: s.Matchers, Equal: s.Equal, Why: s.Why})
		}
		// Superseded alerts sharing the same equal labels share a rule.
		var order []string
		targets := map[string][]string{}
		for _, name := range a.Supersedes {
			t, ok := byName[name]
			if !ok {
				continue
			}
			eq := strings.Join(slices.DeleteFunc(slices.Clone(a.Identity), func(l string) bool { return !slices.Contains(t.Identity, l) }), ",")
			if _, seen := targets[eq]; !seen {
				order = append(order, eq)
			}
			targets[eq] = append(targets[eq], name)
		}
		for _, eq := range order {
			names := targets[eq]
			m := fmt.Sprintf("alertname=%q", names[0])
			if len(names) > 1 {
				m = fmt.Sprintf("alertname=~%q", strings.Join(names, "|"))
			}
			out = append(out, Inhibition{Source: src, Target: []string{m}, Equal: strings.Split(eq, ","),
				Why: "it supersedes them for the same " + strings.ReplaceAll(eq, ",", ", ")})
		}
	}
	return out
}

// AlertmanagerYAML renders alertmanager.yml: every alert to the config
// editor's inbox (when there is an editor), then by severity to its
// receiver; inhibitions from the alerts.
func (c *Config) AlertmanagerYAML(groups []Group) ([]byte, error) {
	am := c.Alertmanager
	routes := []*yaml.Node{}
	receivers := []*yaml.Node{}
	// Without an editor the root receiver catches what no severity route
	// takes (alerts of other rules, without a severity label): the warning
	// receiver, rather than a receiver that notifies no one.
	rootReceiver := string(Warning)
	intro := "# Alertmanager for ddiscope's alerts: grouped by server and subnet, routed by severity (links.configui is\n# empty: no config editor inbox); inhibitions keep one cause from paging several times.\n"
	if c.Links.HasConfigUI() {
		rootReceiver = InboxReceiver
		intro = "# Alertmanager for ddiscope's alerts: grouped by server and subnet, every alert to the config editor's inbox,\n# then routed by severity; inhibitions keep one cause from paging several times.\n"
		inbox, err := node(amRoute{Receiver: InboxReceiver, Continue: true}, "Every alert, whatever its severity, goes to the config editor's alert inbox first.")
		if err != nil {
			return nil, err
		}
		routes = append(routes, inbox)
		hook := amWebhook{URL: c.Links.InboxURL(), SendResolved: true, HTTPConfig: &amHTTPConfig{}}
		hook.HTTPConfig.Authorization.CredentialsFile = am.InboxTokenFile
		r, err := node(amReceiver{Name: InboxReceiver, WebhookConfigs: []amWebhook{hook}},
			"The config editor's alert inbox (Alertmanager webhook, JSON version 4). The bearer token file holds the same token as\nthe editor's web.webhook-token-file: without it the editor refuses every notification.")
		if err != nil {
			return nil, err
		}
		receivers = append(receivers, r)
	}
	for _, sev := range []Severity{Critical, Warning, Info} {
		n, err := node(amRoute{Receiver: string(sev), Matchers: []string{fmt.Sprintf("severity=%q", sev)}, RepeatInterval: am.RepeatInterval[sev]}, "")
		if err != nil {
			return nil, err
		}
		routes = append(routes, n)
		var hooks []amWebhook
		for _, u := range am.Webhooks[sev] {
			hooks = append(hooks, amWebhook{URL: u, SendResolved: true})
		}
		comment := ""
		if len(hooks) == 0 {
			comment = "Add the " + string(sev) + " notifiers (pager, e-mail, chat) here, or webhooks with alertmanager.webhooks." + string(sev) + " when generating."
		}
		n, err = node(amReceiver{Name: string(sev), WebhookConfigs: hooks}, comment)
		if err != nil {
			return nil, err
		}
		receivers = append(receivers, n)
	}
	root, err := node(amRoute{
		Receiver: rootReceiver, GroupBy: GroupBy(),
		GroupWait: am.GroupWait, GroupInterval: am.GroupInterval, RepeatInterval: am.RepeatInterval[Warning],
	}, "")
	if err != nil {
		return nil, err
	}
	root.Content = append(root.Content, scalar("routes"), sequence(routes))

	var inhibits []*yaml.Node
	for _, in := range Inhibitions(groups) {
		n, err := node(amInhibit{SourceMatchers: in.Source, TargetMatchers: in.Target, Equal: in.Equal}, strings.Join(in.Source, ", ")+": "+in.Why)
		if err != nil {
			return nil, err
		}
		inhibits = append(inhibits, n)
	}
	doc := mapping("route", root, "inhibit_rules", sequence(inhibits), "receivers", sequence(receivers))
	return render(doc, intro)
}
