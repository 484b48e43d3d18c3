package rules

import (
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Load reads a YAML override file on top of Default(): keys it does not
// name keep their default, unknown keys are errors. name is used in errors.
func Load(name string, r io.Reader) (*Config, error) {
	c := Default()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// validate checks what the YAML decoder cannot: ranges and orders.
// Alert names in Alerts are checked by Build, which knows the alerts.
func (c *Config) validate() error {
	t := c.Thresholds
	var errs []error
	ratio := func(name string, v float64) {
		if v <= 0 || v > 1 {
			errs = append(errs, fmt.Errorf("thresholds: %s is %v, want a ratio in (0, 1]", name, v))
		}
	}
	ratio("utilization-warning", t.UtilizationWarning)
	ratio("utilization-critical", t.UtilizationCritical)
	ratio("exhaustion-min-utilization", t.ExhaustionMinUtilization)
	ratio("nak-ratio", t.NAKRatio)
	ratio("drop-ratio", t.DropRatio)
	ratio("declined-ratio", t.DeclinedRatio)
	ratio("bind-servfail-ratio", t.BINDServfailRatio)
	ratio("bind-recursive-clients-ratio", t.BINDRecursiveClientsRatio)
	ratio("poll-error-ratio", t.PollErrorRatio)
	if t.UtilizationWarning >= t.UtilizationCritical {
		errs = append(errs, fmt.Errorf("thresholds: utilization-warning (%v) must be below utilization-critical (%v)", t.UtilizationWarning, t.UtilizationCritical))
	}
	for _, d := range []struct {
		name string
		d    model.Duration
	}{
		{"exhaustion-horizon", t.ExhaustionHorizon}, {"exhaustion-lookback", t.ExhaustionLookback},
		{"stale-after", t.StaleAfter}, {"ha-heartbeat-delay", t.HAHeartbeatDelay},
		{"ha-abnormal-state-time", t.HAAbnormalStateTime}, {"ha-clock-skew", t.HAClockSkew},
		{"bind-zone-expiry", t.BINDZoneExpiry}, {"bind-serial-drift-time", t.BINDSerialDriftTime},
	} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("thresholds: %s must be a positive duration", d.name))
		}
	}
	for _, v := range []struct {
		name string
		v    float64
	}{
		{"series-budget", t.SeriesBudget}, {"bind-recursive-clients-limit", t.BINDRecursiveClientsLimit},
		{"ha-contact-age-factor", t.HAContactAgeFactor},
	} {
		if v.v <= 0 {
			errs = append(errs, fmt.Errorf("thresholds: %s is %v, want a positive number", v.name, v.v))
		}
	}
	for _, name := range sortedKeys(c.Alerts) {
		if o := c.Alerts[name]; o.Severity != "" && !o.Severity.valid() {
			errs = append(errs, fmt.Errorf("alerts: %s: severity %q, want critical, warning or info", name, o.Severity))
		}
	}
	for _, sev := range sortedKeys(c.Alertmanager.Webhooks) {
		if !Severity(sev).valid() {
			errs = append(errs, fmt.Errorf("alertmanager: webhooks: %q is not a severity (critical, warning, info)", sev))
		}
	}
	// Alertmanager (amtool check-config, config.Load) rejects a webhook
	// URL that is not absolute http(s); say so here, naming the key.
	if c.Links.HasConfigUI() {
		if err := httpURL(c.Links.ConfigUI); err != nil {
			errs = append(errs, fmt.Errorf("links: configui %q: %w (or empty, without a config editor)", c.Links.ConfigUI, err))
		}
		// The editor refuses notifications without its token.
		if c.Alertmanager.InboxTokenFile == "" {
			errs = append(errs, errors.New("alertmanager: inbox-token-file is empty: the config editor's webhook needs its bearer token (or set links.configui empty)"))
		}
	}
	for _, sev := range sortedKeys(c.Alertmanager.Webhooks) {
		for _, u := range c.Alertmanager.Webhooks[Severity(sev)] {
			if err := httpURL(u); err != nil {
				errs = append(errs, fmt.Errorf("alertmanager: webhooks: %s: %q: %w", sev, u, err))
			}
		}
	}
	for _, sev := range sortedKeys(c.Alertmanager.RepeatInterval) {
		if !Severity(sev).valid() || c.Alertmanager.RepeatInterval[Severity(sev)] <= 0 {
			errs = append(errs, fmt.Errorf("alertmanager: repeat-interval: %q must be a severity (critical, warning, info) with a positive duration", sev))
		}
	}
	for _, d := range []struct {
		name string
		d    model.Duration
	}{{"group-wait", c.Alertmanager.GroupWait}, {"group-interval", c.Alertmanager.GroupInterval}} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("alertmanager: %s must be a positive duration", d.name))
		}
	}
	return errors.Join(errs...)
}

// httpURL checks that u is an absolute http or https URL with a host.
func httpURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return err
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return errors.New("want an absolute http:// or https:// URL")
	}
	return nil
}
