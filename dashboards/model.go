package dashboards

import "github.com/ddiscope/ddiscope/rules"

// The dashboards are described in this small model first and rendered with
// grafana-foundation-sdk afterwards (render.go): the tests read the model to
// run every query and to know which panels may rightly be empty, which the
// rendered JSON cannot say.

// board is one dashboard.
type board struct {
	ref         rules.Dashboard // UID, slug, title and variables
	description string
	vars        []variable
	rows        []row
}

// row is a titled group of panels; the questions of one row belong together.
type row struct {
	title  string
	panels []panel
}

// viz is how a panel draws its queries.
type viz int

const (
	timeSeries viz = iota
	statViz
	tableViz
	timeline // state timeline: a state per series over time
)

// panel is one graph, stat or table and the question it answers.
type panel struct {
	title string
	// help is the question the panel answers and how to read it; Grafana
	// shows it as the panel's description.
	help    string
	viz     viz
	queries []query
	unit    string
	min     *float64
	max     *float64
	steps   []step     // thresholds, lowest first; the first has no value
	mapping []valueMap // value → text and colour (up/down, HA states)
	links   []link     // data links, from the series' or row's labels
	// empty, when set, says why the panel may rightly show nothing (an
	// error rate while there are no errors); the end-to-end test then
	// only checks that its queries run.
	empty  string
	width  uint32 // of 24 columns; 0 means 12
	height uint32 // 0 means 8
	stack  bool
	// ascending sorts a table by its value from the smallest (times left).
	ascending bool
}

// query is one PromQL expression of a panel.
type query struct {
	expr   string
	legend string
	// instant asks for the current value only (stats and tables).
	instant bool
	// empty, when set, says why this query may rightly return nothing
	// while the panel's other queries must not (a statistic only newer
	// Kea versions report).
	empty string
}

// step is a threshold: at or above value (nil for the base) the colour.
type step struct {
	value *float64
	color string
}

// valueMap shows a value as text in a colour.
type valueMap struct {
	value, text, color string
}

// link is a data link. Its title and URL hold {label} placeholders that
// render fills from the series' labels (or the table row's columns).
type link struct {
	title, url string
	// keepTime passes the dashboard's time range on (links to dashboards).
	keepTime bool
}

// variable is a dashboard template variable filtering one label.
type variable struct {
	name, label string
	query       string // label_values(…) over the series that carry it
	empty       string // why it may rightly have no values
}
