package dashboards

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/rules"
)

// What the tests know of the series a query reads: the catalog's metrics,
// the series the rules record, and the few Prometheus makes itself.

// testRateInterval stands for $__rate_interval when a query is parsed, so
// that a counter's window can be told from any other range.
const testRateInterval = 1337 * time.Second

// promExpr is a panel's query as Prometheus would receive it from Grafana
// as far as parsing goes: the variables inside label matchers are valid
// strings already, $__rate_interval is not.
func promExpr(expr string) string {
	return strings.ReplaceAll(expr, rateInterval, "1337s")
}

// scrapeLabels are added by Prometheus to every series it scrapes.
var scrapeLabels = []string{"job", "instance"}

// series knows the labels of every name a query may read.
type series struct {
	cat      *catalog.Catalog
	recorded map[string]map[string]bool
}

func newSeries(cfg *rules.Config) (*series, error) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		return nil, err
	}
	groups, err := rules.Build(cfg)
	if err != nil {
		return nil, err
	}
	s := &series{cat: cat, recorded: map[string]map[string]bool{}}
	p := parser.NewParser(parser.Options{})
	for _, g := range groups {
		for _, r := range g.Recordings {
			e, err := p.ParseExpr(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("recording %s: %w", r.Record, err)
			}
			s.recorded[r.Record] = s.output(e)
		}
	}
	return s, nil
}

// labels of a series name; known is false for names nobody defines, and
// all is true for names whose labels are anyone's (ALERTS).
func (s *series) labels(name string) (ls map[string]bool, known, all bool) {
	if m := s.cat.Metric(name); m != nil {
		ls = set(append(m.Labels(), scrapeLabels...))
		return ls, true, false
	}
	if r, ok := s.recorded[name]; ok {
		return r, true, false
	}
	switch name {
	case "up":
		return set(scrapeLabels), true, false
	case "ALERTS", "ALERTS_FOR_STATE":
		return nil, true, true
	}
	return nil, false, false
}

func set(ls []string) map[string]bool {
	m := map[string]bool{}
	for _, l := range ls {
		m[l] = true
	}
	return m
}

// output is the set of labels the series of e carry; nil when unknown
// (ALERTS has any label).
func (s *series) output(e parser.Expr) map[string]bool {
	switch e := e.(type) {
	case *parser.VectorSelector:
		ls, _, all := s.labels(selectorName(e))
		if all {
			return nil
		}
		return ls
	case *parser.MatrixSelector:
		return s.output(e.VectorSelector)
	case *parser.SubqueryExpr:
		return s.output(e.Expr)
	case *parser.ParenExpr:
		return s.output(e.Expr)
	case *parser.UnaryExpr:
		return s.output(e.Expr)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return map[string]bool{}
	case *parser.Call:
		var in map[string]bool = map[string]bool{}
		for _, a := range e.Args {
			if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
				in = s.output(a)
				break
			}
		}
		if e.Func.Name == "label_replace" && in != nil {
			in = union(in, set([]string{e.Args[1].(*parser.StringLiteral).Val}))
		}
		return in
	case *parser.AggregateExpr:
		in := s.output(e.Expr)
		switch {
		case e.Op == parser.TOPK || e.Op == parser.BOTTOMK:
			return in
		case e.Without:
			if in == nil {
				return nil
			}
			out := union(in, nil)
			for _, l := range e.Grouping {
				delete(out, l)
			}
			return out
		default:
			return set(e.Grouping)
		}
	case *parser.BinaryExpr:
		l, r := s.output(e.LHS), s.output(e.RHS)
		if e.LHS.Type() != parser.ValueTypeVector {
			return r
		}
		if e.RHS.Type() != parser.ValueTypeVector {
			return l
		}
		vm := e.VectorMatching
		switch {
		case e.Op == parser.LOR:
			if l == nil || r == nil {
				return nil
			}
			return union(l, r)
		case e.Op == parser.LAND || e.Op == parser.LUNLESS || e.Op.IsComparisonOperator() && !e.ReturnBool:
			return l
		case vm != nil && vm.Card == parser.CardManyToOne:
			return union(l, set(vm.Include))
		case vm != nil && vm.Card == parser.CardOneToMany:
			return union(r, set(vm.Include))
		case vm != nil && vm.On:
			return set(vm.MatchingLabels)
		case vm != nil && l != nil:
			out := union(l, nil)
			for _, x := range vm.MatchingLabels {
				delete(out, x)
			}
			return out
		}
		return l
	}
	return nil
}

func union(a, b map[string]bool) map[string]bool {
	if a == nil {
		return nil
	}
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func selectorName(v *parser.VectorSelector) string {
	if v.Name != "" {
		return v.Name
	}
	for _, m := range v.LabelMatchers {
		if m.Name == "__name__" {
			return m.Value
		}
	}
	return ""
}

// check parses expr and returns every problem: a name nobody defines, a
// matcher or grouping on a label the series lack, a counter read other
// than as rate() or increase() over $__rate_interval. It returns the
// labels of the result, nil when unknown.
func (s *series) check(expr string) (map[string]bool, []error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(promExpr(expr))
	if err != nil {
		return nil, []error{fmt.Errorf("does not parse: %w", err)}
	}
	var errs []error
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			name := selectorName(n)
			ls, known, all := s.labels(name)
			if !known {
				errs = append(errs, fmt.Errorf("%s is neither in the catalog nor recorded by the rules", name))
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != "__name__" && !all && !ls[m.Name] {
					errs = append(errs, fmt.Errorf("%s has no label %q", name, m.Name))
				}
			}
			if m := s.cat.Metric(name); m != nil && m.Type == catalog.Counter && !rated(path) {
				errs = append(errs, fmt.Errorf("counter %s must be read with rate() or increase() over $__rate_interval", name))
			}
		case *parser.AggregateExpr:
			in := s.output(n.Expr)
			for _, l := range n.Grouping {
				if in != nil && !in[l] {
					errs = append(errs, fmt.Errorf("%s by/without %q: the series have no such label", n.Op, l))
				}
			}
		case *parser.BinaryExpr:
			if vm := n.VectorMatching; vm != nil {
				l, r := s.output(n.LHS), s.output(n.RHS)
				for _, x := range vm.MatchingLabels {
					if l != nil && r != nil && !l[x] && !r[x] {
						errs = append(errs, fmt.Errorf("on/ignoring %q: neither side has that label", x))
					}
				}
			}
		}
		return nil
	})
	return s.output(e), errs
}

// rated says whether the selector at the end of path is the window of a
// rate() or increase() over $__rate_interval.
func rated(path []parser.Node) bool {
	if len(path) < 2 {
		return false
	}
	m, ok := path[len(path)-1].(*parser.MatrixSelector)
	if !ok || m.Range != testRateInterval {
		return false
	}
	c, ok := path[len(path)-2].(*parser.Call)
	return ok && slices.Contains([]string{"rate", "increase"}, c.Func.Name)
}

// labelValues splits a variable's label_values(selector, label) query.
var labelValues = regexp.MustCompile(`^label_values\((.*), (\w+)\)$`)

// placeholders are the labels a legend ({{label}}) or link ({label})
// refers to.
var (
	legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)
	linkLabel   = regexp.MustCompile(`\{(\w+)\}`)
)

func labelRefs(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
