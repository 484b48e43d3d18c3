package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// sel is a selector of a ddiscope metric: the configured selector and the
// extra matchers (`type="nak"`).
func (c *Config) sel(metric string, matchers ...string) string {
	var ms []string
	if c.Selector != "" {
		ms = append(ms, c.Selector)
	}
	ms = append(ms, matchers...)
	if len(ms) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(ms, ", ") + "}"
}

// tag sets constant labels on every series of expr (name, value pairs),
// so that series of different metrics (dhcp4 and dhcp6) can share one
// recorded name and still be told apart.
func tag(expr string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		expr = fmt.Sprintf("label_replace(%s, %q, %q, \"\", \"\")", expr, kv[i], kv[i+1])
	}
	return expr
}

// union joins expressions with `or`, one per line.
func union(exprs ...string) string { return strings.Join(exprs, "\nor\n") }

// num renders a threshold as PromQL and as text.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// pct renders a ratio as a percentage for summaries and docs.
func pct(v float64) string { return strconv.FormatFloat(v*100, 'g', -1, 64) + "%" }

// secs renders a duration as seconds in PromQL.
func secs(d model.Duration) string { return num(float64(d) / 1e9) }

// durText renders a duration for people: "24h", "6h", "10m", "30s".
func durText(d model.Duration) string {
	td := time.Duration(d)
	switch {
	case td%time.Hour == 0:
		return fmt.Sprintf("%dh", td/time.Hour)
	case td%time.Minute == 0:
		return fmt.Sprintf("%dm", td/time.Minute)
	}
	return td.String()
}

// regexAlt is a regex matching any of the values exactly.
func regexAlt(values []string) string { return strings.Join(values, "|") }

// label is the template of a label's value in an annotation.
func label(name string) string { return "{{ $labels." + name + " }}" }
