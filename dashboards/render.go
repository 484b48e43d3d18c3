package dashboards

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ddiscope/ddiscope/rules"
)

// dashboardTag marks every ddiscope dashboard; the header links list them by it.
const dashboardTag = "ddiscope"

func ptr[T any](v T) *T { return &v }

// datasource is the data source variable every panel and variable uses.
func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${datasource}")}
}

// render turns a board into the classic dashboard model.
func render(b board) (dashboard.Dashboard, error) {
	db := dashboard.NewDashboardBuilder(b.ref.Title).
		Uid(b.ref.UID).
		Description(b.description).
		Tags([]string{dashboardTag}).
		Timezone("browser").
		Time("now-6h", "now").
		Refresh("1m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly(). // generated: changes belong in package dashboards
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Annotations & Alerts").
			Datasource(common.DataSourceRef{Type: ptr("grafana"), Uid: ptr("-- Grafana --")}).
			BuiltIn(1).Enable(true).Hide(true).Type("dashboard").
			IconColor("rgba(0, 211, 255, 1)")).
		// Every ddiscope dashboard, carrying the variables and time range.
		Link(dashboard.NewDashboardLinkBuilder("ddiscope").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{dashboardTag}).
			AsDropdown(false).IncludeVars(true).KeepTime(true))

	db.WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
		Label("Data source").Type("prometheus"))
	for _, v := range b.vars {
		sort := dashboard.VariableSortAlphabeticalCaseInsensitiveAsc
		if v.name == "subnet_id" || v.name == "pool_id" {
			sort = dashboard.VariableSortNumericalAsc
		}
		db.WithVariable(dashboard.NewQueryVariableBuilder(v.name).
			Label(v.label).
			Datasource(datasource()).
			Query(dashboard.StringOrMap{String: ptr(v.query)}).
			Definition(v.query).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(sort).
			Multi(true).
			IncludeAll(true).
			AllValue(".*").
			Current(dashboard.VariableOption{
				Selected: ptr(true),
				Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
			}))
	}

	id := uint32(0)
	next := func() uint32 { id++; return id }
	for _, r := range b.rows {
		db.WithRow(dashboard.NewRowBuilder(r.title).Id(next()))
		for _, p := range r.panels {
			db.WithPanel(renderPanel(p, next()))
		}
	}
	d, err := db.Build()
	if err != nil {
		return d, err
	}
	classicPlacement(&d)
	return d, nil
}

// classicPlacement drops the "inControlsMenu" placement the SDK gives every
// link and annotation: Grafana 12 would tuck them into a menu, while the
// classic model (Grafana 10 and 11) shows links in the dashboard's header.
func classicPlacement(d *dashboard.Dashboard) {
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
	for _, p := range d.Panels {
		if p.Panel == nil || p.Panel.FieldConfig == nil {
			continue
		}
		for i := range p.Panel.FieldConfig.Defaults.Links {
			p.Panel.FieldConfig.Defaults.Links[i].Placement = nil
		}
	}
}

// renderPanel builds one panel with the builder of its visualisation.
func renderPanel(p panel, id uint32) cog.Builder[dashboard.Panel] {
	switch p.viz {
	case statViz:
		b := withCommon(stat.NewPanelBuilder(), p, id).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
			ColorMode(common.BigValueColorModeBackground).
			GraphMode(common.BigValueGraphModeNone).
			TextMode(common.BigValueTextModeValueAndName).
			JustifyMode(common.BigValueJustifyModeAuto).
			Orientation(common.VizOrientationAuto)
		return b
	case tableViz:
		b := withCommon(table.NewPanelBuilder(), p, id).
			Filterable(true).
			Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false)).
			// Labels Prometheus adds, and the sample time, say nothing here.
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
				"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true, "instance": true},
			}}).
			SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Value").Desc(!p.ascending)}).
			OverrideByName("Value", []dashboard.DynamicConfigValue{{
				Id: "custom.cellOptions", Value: map[string]any{"type": string(common.TableCellDisplayModeColorBackground)},
			}})
		return b
	case timeline:
		b := withCommon(statetimeline.NewPanelBuilder(), p, id).
			ShowValue(common.VisibilityModeNever).
			MergeValues(true).
			RowHeight(0.9).
			FillOpacity(80).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
			Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone))
		return b
	default:
		b := withCommon(timeseries.NewPanelBuilder(), p, id).
			Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeTable).
				Placement(common.LegendPlacementBottom).Calcs([]string{"lastNotNull", "max"})).
			Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
			DrawStyle(common.GraphDrawStyleLine).
			LineWidth(1).
			FillOpacity(10).
			ShowPoints(common.VisibilityModeNever).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic))
		if len(p.steps) > 1 {
			b.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
		}
		if p.stack {
			b.Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))
		}
		return b
	}
}

// panelBuilder is what every visualisation's builder has in common.
type panelBuilder[B any] interface {
	Id(uint32) B
	Title(string) B
	Description(string) B
	Datasource(common.DataSourceRef) B
	Span(uint32) B
	Height(uint32) B
	Unit(string) B
	Min(float64) B
	Max(float64) B
	Thresholds(cog.Builder[dashboard.ThresholdsConfig]) B
	Mappings([]dashboard.ValueMapping) B
	DataLinks([]cog.Builder[dashboard.DashboardLink]) B
	WithTarget(cog.Builder[variants.Dataquery]) B
	NoValue(string) B
	ColorScheme(cog.Builder[dashboard.FieldColor]) B
}

func withCommon[B panelBuilder[B]](b B, p panel, id uint32) B {
	width, height := p.width, p.height
	if width == 0 {
		width = 12
	}
	if height == 0 {
		height = 8
	}
	b.Id(id).Title(p.title).Description(p.help).Datasource(datasource()).Span(width).Height(height)
	if p.unit != "" {
		b.Unit(p.unit)
	}
	if p.min != nil {
		b.Min(*p.min)
	}
	if p.max != nil {
		b.Max(*p.max)
	}
	steps := p.steps
	if steps == nil {
		steps = []step{{color: grey}}
	}
	var ts []dashboard.Threshold
	for _, s := range steps {
		ts = append(ts, dashboard.Threshold{Value: s.value, Color: s.color})
	}
	b.Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(ts))
	if p.viz != timeSeries {
		b.ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds))
	}
	if len(p.mapping) > 0 {
		b.Mappings(mappings(p.mapping))
	}
	var ls []cog.Builder[dashboard.DashboardLink]
	for _, l := range p.links {
		if l.url != "" {
			ls = append(ls, dataLink(l, p.viz == tableViz))
		}
	}
	if len(ls) > 0 {
		b.DataLinks(ls)
	}
	if p.empty != "" {
		b.NoValue("none")
	}
	for i, q := range p.queries {
		t := prometheus.NewDataqueryBuilder().
			Datasource(datasource()).
			RefId(string(rune('A' + i))).
			Expr(q.expr).
			LegendFormat(q.legend)
		switch {
		case p.viz == tableViz:
			t.Instant().Format(prometheus.PromQueryFormatTable)
		case q.instant:
			t.Instant()
		default:
			t.Range()
		}
		b.WithTarget(t)
	}
	return b
}

// mappings turns value → text/colour pairs into one Grafana value map.
func mappings(vm []valueMap) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, m := range vm {
		opts[m.value] = dashboard.ValueMappingResult{Text: ptr(m.text), Color: ptr(m.color), Index: ptr(int32(i))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// dataLink fills a link's {label} placeholders with Grafana's data
// variables: a time series' labels, or a table row's columns.
func dataLink(l link, table bool) cog.Builder[dashboard.DashboardLink] {
	field := func(label, format string) string {
		if table {
			return "${__data.fields." + label + format + "}"
		}
		return "${__field.labels." + label + format + "}"
	}
	u := rules.Expand(l.url, func(label string) string { return field(label, ":percentencode") })
	if l.keepTime {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "${__url_time_range}"
	}
	title := rules.Expand(l.title, func(label string) string { return field(label, "") })
	return dashboard.NewDashboardLinkBuilder(title).Url(u).TargetBlank(!l.keepTime)
}
