package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/ddiscope/ddiscope/catalog"
)

// scrapeLabels are the labels Prometheus adds to every scraped series.
func scrapeLabels() []string { return []string{"job", "instance"} }

// synthetic are series Prometheus itself makes for each scrape of ddiscope;
// they are the only names in the rules the catalog does not define.
func synthetic() map[string][]string { return map[string][]string{"up": scrapeLabels()} }

// Check parses every expression and fails, naming the rule, on a metric the
// catalog does not define (recorded series and Prometheus's `up` aside), on
// a label matcher, grouping or template label no series in the expression
// has, on a constant label value the catalog never exports, and on a
// selector of a ddiscope metric without the configured selector.
func Check(c *Config, groups []Group, cat *catalog.Catalog) error {
	p := parser.NewParser(parser.Options{})
	var required []*labels.Matcher
	if c.Selector != "" {
		ms, err := p.ParseMetricSelector("{" + c.Selector + "}")
		if err != nil {
			return fmt.Errorf("selector %q: %w", c.Selector, err)
		}
		required = ms
	}
	ck := &checker{p: p, cat: cat, required: required, recorded: map[string][]string{}}
	var errs []error
	for _, g := range groups {
		for _, r := range g.Recordings {
			ls, err := ck.expr(r.Expr, nil)
			if err != nil {
				errs = append(errs, fmt.Errorf("recording rule %s: %w", r.Record, err))
				continue
			}
			ck.recorded[r.Record] = ls
		}
	}
	for _, a := range Alerts(groups) {
		ann, err := c.annotations(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		texts := []string{ann.Summary, ann.Description, ann.DashboardURL, ann.RemediationURL}
		if _, err := ck.expr(a.Expr, texts); err != nil {
			errs = append(errs, fmt.Errorf("alert %s: %w", a.Name, err))
		}
		if strings.Contains(a.Summary, "{{") {
			errs = append(errs, fmt.Errorf("alert %s: the summary must be static text", a.Name))
		}
	}
	return errors.Join(errs...)
}

type checker struct {
	p        parser.Parser
	cat      *catalog.Catalog
	required []*labels.Matcher
	recorded map[string][]string
}

// expr checks one expression (and the $labels its templates use) and
// returns every label its series may carry.
func (ck *checker) expr(expr string, templates []string) ([]string, error) {
	e, err := ck.p.ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("PromQL does not parse: %w", err)
	}
	var errs []error
	avail := map[string]bool{}
	var grouping []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			ls, err := ck.selector(n)
			if err != nil {
				errs = append(errs, err)
			}
			for _, l := range ls {
				avail[l] = true
			}
		case *parser.Call:
			if n.Func.Name == "label_replace" {
				if s, ok := n.Args[1].(*parser.StringLiteral); ok {
					avail[s.Val] = true
				}
			}
		case *parser.AggregateExpr:
			grouping = append(grouping, n.Grouping...)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				grouping = append(grouping, n.VectorMatching.MatchingLabels...)
				grouping = append(grouping, n.VectorMatching.Include...)
			}
		}
		return nil
	})
	for _, l := range grouping {
		if !avail[l] {
			errs = append(errs, fmt.Errorf("groups or matches on label %q, which no series in the expression has", l))
		}
	}
	tmplLabel := regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)
	for _, t := range templates {
		for _, m := range tmplLabel.FindAllStringSubmatch(t, -1) {
			if !avail[m[1]] {
				errs = append(errs, fmt.Errorf("an annotation uses $labels.%s, which the expression's series do not have", m[1]))
			}
		}
	}
	out := make([]string, 0, len(avail))
	for l := range avail {
		out = append(out, l)
	}
	slices.Sort(out)
	return out, errors.Join(errs...)
}

// selector checks one selector and returns the labels of its series.
func (ck *checker) selector(vs *parser.VectorSelector) ([]string, error) {
	name := vs.Name
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			name = m.Value
		}
	}
	if name == "" {
		return nil, fmt.Errorf("selector %s names no metric", vs)
	}
	var (
		have   []string
		metric *catalog.Metric
	)
	if ls, ok := ck.recorded[name]; ok {
		have = ls
	} else if ls, ok := synthetic()[name]; ok {
		have = ls
	} else if metric = ck.cat.Metric(name); metric != nil {
		have = append(metric.Labels(), scrapeLabels()...)
	} else {
		return nil, fmt.Errorf("metric %q is not in the catalog, nor recorded by these rules", name)
	}
	var errs []error
	if _, isRecorded := ck.recorded[name]; !isRecorded {
		for _, req := range ck.required {
			if !slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
				return m.Name == req.Name && m.Type == req.Type && m.Value == req.Value
			}) {
				errs = append(errs, fmt.Errorf("selector %s lacks the configured selector %s", vs, req))
			}
		}
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName {
			continue
		}
		if !slices.Contains(have, m.Name) {
			errs = append(errs, fmt.Errorf("selector %s matches label %q, which %s does not have (it has %v)", vs, m.Name, name, have))
			continue
		}
		if metric != nil {
			if err := checkValue(metric, m); err != nil {
				errs = append(errs, fmt.Errorf("selector %s: %w", vs, err))
			}
		}
	}
	return have, errors.Join(errs...)
}

// checkValue checks a matcher's value against the values the catalog
// declares for a label (the constant labels of the metric's sources). A
// regex is checked when it is a plain alternation of words.
func checkValue(m *catalog.Metric, lm *labels.Matcher) error {
	known := map[string]bool{}
	for _, s := range m.Source {
		v, ok := s.Labels[lm.Name]
		if !ok || v == catalog.Wildcard {
			return nil // no constant values: anything may come
		}
		known[v] = true
	}
	if len(known) == 0 {
		return nil
	}
	var values []string
	switch lm.Type {
	case labels.MatchEqual, labels.MatchNotEqual:
		values = []string{lm.Value}
	default:
		word := regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
		for _, alt := range strings.Split(lm.Value, "|") {
			if !word.MatchString(alt) {
				return nil
			}
			values = append(values, alt)
		}
	}
	for _, v := range values {
		if !known[v] {
			return fmt.Errorf("%s never has %s=%q (it has %v)", m.Name, lm.Name, v, sortedKeys(known))
		}
	}
	return nil
}
