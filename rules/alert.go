package rules

import "github.com/prometheus/common/model"

// Severity is an alert's urgency; Alertmanager routes on it.
type Severity string

const (
	Critical Severity = "critical" // clients are or soon will be without service: page someone
	Warning  Severity = "warning"  // needs a fix during working hours
	Info     Severity = "info"     // worth knowing; no action is urgent
)

func (s Severity) valid() bool { return s == Critical || s == Warning || s == Info }

// Components, the `component` label of every alert. Routing and inhibition
// match on it (a target that cannot be polled silences its kea, ha and bind
// alerts).
const (
	ComponentDdiscope = "ddiscope"
	ComponentKea      = "kea"
	ComponentHA       = "ha"
	ComponentBIND     = "bind"
)

// Alert is one alerting rule with everything that is generated from it: the
// rule, its annotations and links, its inhibitions and its runbook page.
type Alert struct {
	Name      string // CamelCase
	Severity  Severity
	Component string
	Expr      string // PromQL, selectors already carry Config.Selector
	For       model.Duration
	// Summary is static text; Description a Prometheus template ($labels,
	// $value) naming the server, subnet and value.
	Summary     string
	Description string
	// Condition is the expression in words, for the docs table.
	Condition string
	// Dashboard is the UID of the dashboard dashboard_url opens.
	Dashboard string
	// Remediation is the config editor page (a ConfigUI* pattern) where the
	// cause is fixed; "" when the fix is not made in the config editor.
	Remediation string
	// RemediationIf replaces Remediation for alerts whose label has a value
	// (prefix-delegation pools have their own pages).
	RemediationIf *LinkCase
	// Identity are the labels that tell one firing instance from another
	// (server, subnet_id, …). Supersedes inhibitions match on them.
	Identity []string
	// Supersedes names alerts this one makes redundant for the same
	// Identity (critical utilisation silences the warning): Alertmanager
	// inhibits them while this one fires, matching the labels both have.
	Supersedes []string
	// Silences are broader inhibitions: while this alert fires, alerts
	// matching Matchers with the same Equal labels are not notified.
	Silences []Silence
	Runbook  Runbook
}

// Silence is an inhibition an alert causes (Alertmanager inhibit_rules).
type Silence struct {
	Matchers []string // target matchers, Alertmanager syntax
	Equal    []string
	Why      string
}

// LinkCase is a link pattern used when Label equals Value.
type LinkCase struct {
	Label, Value, Pattern string
}

// Runbook is the prose of an alert's runbook page, in Markdown.
type Runbook struct {
	Meaning   string // what fired, in plain words
	Impact    string // what clients or operators suffer
	Diagnosis string // how to find the cause
	Fix       string // how to make it stop
}

// Recording is a recording rule. Alerts and dashboards read the recorded
// series instead of repeating the expression.
type Recording struct {
	Record string // level:metric:operations
	Expr   string
	Help   string // why it exists, for the docs
}

// Group is one rule group: recordings and alerts of one family.
type Group struct {
	Name       string
	Recordings []Recording
	Alerts     []Alert
}
