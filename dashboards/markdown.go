package dashboards

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ddiscope/ddiscope/rules"
)

// DocFile is the generated description of the dashboards.
const DocFile = "docs/dashboards.md"

// doc writes docs/dashboards.md from the same model the JSON comes from, so
// that each panel's question and the thresholds in the text are the ones
// Grafana shows.
func doc(cfg *rules.Config, bs []board) ([]byte, error) {
	groups, err := rules.Build(cfg)
	if err != nil {
		return nil, err
	}
	linkedBy := map[string][]string{}
	for _, a := range rules.Alerts(groups) {
		linkedBy[a.Dashboard] = append(linkedBy[a.Dashboard], a.Name)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s", docIntro)
	w("\n## The dashboards\n\n| Dashboard | UID | Variables | Alerts whose `dashboard_url` opens it |\n| --- | --- | --- | --- |\n")
	for _, bd := range bs {
		alerts := slices.Clone(linkedBy[bd.ref.UID])
		slices.Sort(alerts)
		w("| [%s](#%s) | `%s` | %s | %s |\n", bd.ref.Title, anchor(bd.ref.Title), bd.ref.UID, varList(bd), orNone(strings.Join(alerts, ", ")))
	}
	w("\n%s", docConventions(cfg))
	for _, bd := range bs {
		w("\n## %s\n\n`/d/%s/%s` — %s\n\nVariables: %s.\n", bd.ref.Title, bd.ref.UID, bd.ref.Slug, bd.description, varList(bd))
		for _, r := range bd.rows {
			w("\n### %s\n\n| Panel | The question it answers |\n| --- | --- |\n", r.title)
			for _, p := range r.panels {
				help := p.help
				if p.empty != "" {
					help += " *May be empty: " + p.empty + ".*"
				}
				if hasConfigLink(cfg, p) {
					help += " Links to the config editor."
				}
				w("| %s | %s |\n", p.title, strings.ReplaceAll(help, "|", `\|`))
			}
		}
	}
	return []byte(b.String()), nil
}

func varList(bd board) string {
	var vs []string
	for _, v := range bd.vars {
		vs = append(vs, "`"+v.name+"`")
	}
	return "`datasource`, " + strings.Join(vs, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}

// anchor is the Markdown heading anchor GitHub makes of a title.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func hasConfigLink(cfg *rules.Config, p panel) bool {
	if !cfg.Links.HasConfigUI() {
		return false
	}
	for _, l := range p.links {
		if strings.HasPrefix(l.url, strings.TrimRight(cfg.Links.ConfigUI, "/")) {
			return true
		}
	}
	return false
}

// docConventions states the rules every panel follows, with this
// configuration's thresholds.
func docConventions(cfg *rules.Config) string {
	t := cfg.Thresholds
	row := func(what, value, alert string) string { return "| " + what + " | " + value + " | " + alert + " |\n" }
	var b strings.Builder
	b.WriteString(`## Conventions

- **Counters are rates.** Every counter is read as ` + "`rate(…[$__rate_interval])`" + ` (or per minute, ` + "`* 60`" + `,
  where the alert counts per minute); no panel plots a cumulative counter. A test fails on a counter read otherwise.
- **Units** are the metrics' base units: seconds, bytes, ratios shown as percentages, packets and queries per second.
- **Thresholds are the alerts'**, read from the same ` + "`rules.Config`" + ` (` + "`ddiscope-gen -rules.config`" + `): orange where a
  warning fires, red where a critical one does. With this configuration:

| Threshold | Value | Alert |
| --- | --- | --- |
`)
	b.WriteString(row("Utilisation of subnets, pools, shared networks", pctText(t.UtilizationWarning)+" / "+pctText(t.UtilizationCritical), "Kea*UtilizationHigh / Kea*UtilizationCritical"))
	b.WriteString(row("Time until full", t.ExhaustionHorizon.String()+" (trend of "+t.ExhaustionLookback.String()+")", "Kea*ExhaustionPredicted"))
	b.WriteString(row("Allocation failures a minute, per subnet", fmtFloat(t.AllocationFailuresPerMinute), "KeaAllocationFailures"))
	b.WriteString(row("DECLINEs a minute", fmtFloat(t.DeclinesPerMinute), "KeaDeclineStorm"))
	b.WriteString(row("Declined share of a subnet", pctText(t.DeclinedRatio), "KeaDeclinedAddressesHigh"))
	b.WriteString(row("NAKs per DHCPREQUEST", pctText(t.NAKRatio), "KeaNAKRateHigh"))
	b.WriteString(row("Drops per received packet, by reason (not "+strings.Join(t.DropReasonsIgnored, ", ")+")", pctText(t.DropRatio), "KeaPacketDropsHigh"))
	b.WriteString(row("Expired leases not reclaimed, per subnet", fmtFloat(t.LeaseReclamationBacklog), "KeaLeaseReclamationBacklog"))
	b.WriteString(row("HA partner contact age", formatSeconds(seconds(t.HAHeartbeatDelay)*t.HAContactAgeFactor), "KeaHAPartnerContactStale"))
	b.WriteString(row("HA clock skew", "±"+t.HAClockSkew.String(), "KeaHAClockSkew"))
	b.WriteString(row("HA unacked clients", "above "+fmtFloat(t.HAUnackedClients), "KeaHAUnackedClients"))
	b.WriteString(row("HA unsent lease updates", fmtFloat(t.HAUnsentUpdates)+" in 15 minutes", "KeaHAUnsentUpdatesGrowing"))
	b.WriteString(row("BIND SERVFAIL share (at "+fmtFloat(t.BINDMinQueriesPerMinute)+" queries a minute)", pctText(t.BINDServfailRatio), "BindServfailRatioHigh"))
	b.WriteString(row("BIND recursive clients", pctText(t.BINDRecursiveClientsRatio)+" of "+fmtFloat(t.BINDRecursiveClientsLimit), "BindRecursiveClientsNearLimit"))
	b.WriteString(row("Secondary zone expiry", t.BINDZoneExpiry.String(), "BindZoneExpiringSoon"))
	b.WriteString(row("Zone serial behind its primary", "not 0 (for "+t.BINDSerialDriftTime.String()+")", "BindZoneSerialDrift"))
	b.WriteString(row("Age of a target's data", t.StaleAfter.String(), "DdiscopeTargetDataStale"))
	b.WriteString(row("Failed polls", pctText(t.PollErrorRatio), "DdiscopePollErrorsHigh"))
	b.WriteString(row("Series per target", fmtFloat(t.SeriesBudget), "DdiscopeSeriesBudgetExceeded"))
	b.WriteString(`
- **Variables** ` + "`datasource`" + `, ` + "`server`" + `, and where they apply ` + "`daemon`" + `, ` + "`shared_network`" + `, ` + "`subnet_id`" + `,
  ` + "`pool_id`" + `, ` + "`relationship`" + `, ` + "`view`" + `, ` + "`zone_name`" + `: each is named after the label it filters, so that an
  alert's ` + "`dashboard_url`" + ` (` + "`?var-server=kea1&var-subnet_id=3`" + `) and the links between dashboards set it. All are
  multi-valued with "All". Every query also carries the rules' selector ` + "`" + cfg.Selector + "`" + `.
- **Links to the config editor.** Every panel showing subnets, pools or shared networks links each series (or table
  row) to its page in the config editor (` + "`" + cfg.Links.ConfigUI + "`" + `, the rules' ` + "`links.configui`" + `):
  ` + "`" + rules.ConfigUISubnet + "`" + `, ` + "`" + rules.ConfigUIPool + "`" + `, ` + "`" + rules.ConfigUIPDPool + "`" + `,
  ` + "`" + rules.ConfigUISharedNetwork + "`" + `; HA panels to ` + "`" + rules.ConfigUIHA + "`" + `. A test fails on a subnet or pool panel without one.
- **Links between dashboards.** Every dashboard's header lists all of them (tag ` + "`" + dashboardTag + "`" + `), carrying the
  variables and the time range; tables and graphs link to the dashboard that says more about the row or series.
- **Stable UIDs.** The UIDs are the ones in ` + "`rules/links.go`" + ` that alerts link to; renaming one breaks the links in
  notifications already sent.
- **Recorded series.** Utilisation and allocation-failure panels read the recording rules
  (` + "`kea:subnet_utilization:ratio`" + ` and friends) like the alerts do: Prometheus must load
  ` + "`deploy/prometheus/ddiscope.rules.yml`" + `.
- **May be empty.** A panel that may rightly show nothing (no alert firing, no allocation failure yet, pool
  statistics on Kea before 2.4) says so below and shows "none".
`)
	return b.String()
}

const docIntro = `# Grafana dashboards

<!-- Generated by ddiscope-gen from package dashboards: edit the generator, then run make generate. -->

ddiscope's dashboards answer what an operator asks at 3 a.m.: where is it broken, since when, and where do I fix it.
They are generated in Go with grafana-foundation-sdk from the metric catalog and the same configuration as the
alerts (package ` + "`rules`" + `), into ` + "`deploy/grafana/dashboards/*.json`" + `: Grafana's classic dashboard model, with the
schemaVersion the SDK writes, which Grafana 10 and 11 load by file provisioning.

## Provisioning in Grafana 10 and 11

1. Prometheus scrapes ddiscope and loads the recording and alerting rules: ` + "`deploy/prometheus/prometheus.yml`" + ` is an
   example, ` + "`deploy/prometheus/ddiscope.rules.yml`" + ` is required by the utilisation panels.
2. Copy the dashboards where Grafana's file provider reads them, and the provider itself:

       install -d /var/lib/grafana/dashboards/ddiscope
       cp deploy/grafana/dashboards/*.json /var/lib/grafana/dashboards/ddiscope/
       cp deploy/grafana/provisioning/dashboards/ddiscope.yml /etc/grafana/provisioning/dashboards/

3. If Grafana has no Prometheus data source yet, copy (and edit the URL of)
   ` + "`deploy/grafana/provisioning/datasources/ddiscope.yml`" + ` to ` + "`/etc/grafana/provisioning/datasources/`" + `. The dashboards
   do not name a data source: their ` + "`datasource`" + ` variable offers every Prometheus one.
4. Restart Grafana (or wait for the provider's 60 s rescan). The dashboards appear in the folder "ddiscope". They
   are read-only: the provider does not allow saving changes from the UI, since ` + "`make generate`" + ` would overwrite them.

In Docker, mount the same paths (` + "`/etc/grafana/provisioning`" + `, ` + "`/var/lib/grafana/dashboards/ddiscope`" + `). To import
one dashboard by hand instead, use Dashboards → New → Import and upload its JSON file.

To change thresholds, the Grafana URL the alerts link to or the config editor's URL, write a rules configuration
(docs/alerting.md) and regenerate: ` + "`ddiscope-gen -rules.config my-rules.yml -out.dir /tmp/out`" + `; the dashboards and the alerts
change together.
`
