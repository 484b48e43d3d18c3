package dashboards

import (
	"strconv"
	"time"
)

// Colours of thresholds and states: an alert's severity decides the colour
// of the threshold it shares with the panel.
const (
	green  = "green"
	orange = "orange" // a warning alert fires above it
	red    = "red"    // a critical alert fires above it
	grey   = "text"
)

// fires is the threshold value at which a panel turns the alert's colour.
// Grafana colours a value at or above a step, the alerts fire above it;
// the two agree except at a threshold of 0, where a panel would paint the
// normal value (no unacked clients) as a problem: that step moves just
// above 0.
func fires(v float64) float64 {
	if v == 0 {
		return zeroStep
	}
	return v
}

// zeroStep is the step for "anything above 0".
const zeroStep = 1e-9

func f(v float64) *float64 { return &v }

// above is green up to the alert's threshold, then its colour.
func above(v float64, color string) []step {
	return []step{{color: green}, {value: f(fires(v)), color: color}}
}

// warnCrit is green, orange above the warning and red above the critical
// threshold.
func warnCrit(warn, crit float64) []step {
	return []step{{color: green}, {value: f(fires(warn)), color: orange}, {value: f(fires(crit)), color: red}}
}

// within is green between -v and v and colour outside: for clock skews,
// whose sign says which clock is ahead.
func within(v float64, color string) []step {
	return []step{{color: color}, {value: f(-v), color: green}, {value: f(fires(v)), color: color}}
}

// below is colour under v and green from it: for times left.
func below(v float64, color string) []step {
	return []step{{color: color}, {value: f(v), color: green}}
}

// seconds converts a rules duration for a threshold in seconds.
func seconds[D ~int64](d D) float64 { return time.Duration(d).Seconds() }

// upDown maps a 0/1 health series to words.
func upDown(down, up string) []valueMap {
	return []valueMap{{value: "0", text: down, color: red}, {value: "1", text: up, color: green}}
}

// pctText writes a ratio as a percentage for help texts.
func pctText(v float64) string { return strconv.FormatFloat(v*100, 'g', -1, 64) + "%" }

// fmtFloat writes a threshold for help texts.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
