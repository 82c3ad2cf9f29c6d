package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Grafana unit ids used by the panels.
const (
	unitSeconds = "s"
	unitShare   = "percentunit" // a ratio 0-1 shown as a percentage
	unitCount   = "short"
	unitRate    = "ops" // per second
	unitDate    = "dateTimeFromNow"
)

type kind int

const (
	kindStat kind = iota
	kindTimeseries
	kindTable
	kindBarGauge
	kindBarChart
)

// panel is the declarative description of one panel; build turns it into
// SDK builders. Keeping dashboards as data makes them readable side by side
// and lets the tests walk every query.
type panel struct {
	kind        kind
	title       string
	description string
	unit        string
	w, h        uint32
	targets     []target
	// columns, for tables: each is one instant query whose value becomes a
	// named column; rows are joined on their labels.
	columns []column
	// sortBy is the table column (by title) sorted on, descending.
	sortBy string
	// thresholds, lowest first; the base colour is green unless baseColor is set.
	thresholds []step
	baseColor  string
	min, max   *float64
	decimals   *float64
	stack      bool
	// matrix, for bar charts: turns an instant table of (row, column, Value)
	// into one bar per row with one stacked segment per column value.
	matrixRow, matrixColumn string
}

type target struct {
	expr   string
	legend string
}

type column struct {
	title      string
	expr       string
	unit       string
	thresholds []step
}

type step struct {
	value float64
	color string
}

func ptr[T any](v T) *T { return &v }

func datasourceRef() common.DataSourceRef {
	return common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${" + varDatasource + "}")}
}

// refID names the n-th query of a panel A, B, C... as Grafana does.
func refID(n int) string {
	if n < 26 {
		return string(rune('A' + n))
	}
	return fmt.Sprintf("Q%d", n)
}

func (s *panel) query(n int, t target, instant, asTable bool) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().
		Datasource(datasourceRef()).
		RefId(refID(n)).
		Expr(t.expr)
	if t.legend != "" {
		q.LegendFormat(t.legend)
	}
	if instant {
		q.Instant()
	} else {
		q.Range()
	}
	if asTable {
		q.Format(prometheus.PromQueryFormatTable)
	}
	return q
}

func (s *panel) thresholdsConfig() cog.Builder[dashboard.ThresholdsConfig] {
	base := s.baseColor
	if base == "" {
		base = "green"
	}
	return thresholdSteps(base, s.thresholds)
}

func thresholdSteps(base string, steps []step) cog.Builder[dashboard.ThresholdsConfig] {
	// The first step has no value: it is the colour below every threshold.
	out := []dashboard.Threshold{{Color: base}}
	for _, st := range steps {
		out = append(out, dashboard.Threshold{Value: ptr(st.value), Color: st.color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(out)
}

func lastValue() cog.Builder[common.ReduceDataOptions] {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)
}

// build returns the SDK builder of the panel with the given id.
func (s *panel) build(id uint32) cog.Builder[dashboard.Panel] {
	switch s.kind {
	case kindStat:
		return s.buildStat(id)
	case kindTimeseries:
		return s.buildTimeseries(id)
	case kindTable:
		return s.buildTable(id)
	case kindBarGauge:
		return s.buildBarGauge(id)
	case kindBarChart:
		return s.buildBarChart(id)
	}
	panic(fmt.Sprintf("dashboards: panel %q has unknown kind %d", s.title, s.kind))
}

func (s *panel) buildStat(id uint32) cog.Builder[dashboard.Panel] {
	b := stat.NewPanelBuilder().Id(id).Title(s.title).Description(s.description).
		Datasource(datasourceRef()).Unit(s.unit).Span(s.w).Height(s.h).
		Thresholds(s.thresholdsConfig()).
		ReduceOptions(lastValue()).
		GraphMode(common.BigValueGraphModeNone)
	for i, t := range s.targets {
		b.WithTarget(s.query(i, t, true, false))
	}
	if len(s.targets) > 1 {
		b.TextMode(common.BigValueTextModeValueAndName)
	}
	if len(s.thresholds) > 0 {
		b.ColorMode(common.BigValueColorModeBackground)
	} else {
		// Without a threshold there is nothing good or bad to colour.
		b.ColorMode(common.BigValueColorModeNone)
	}
	applyMinMax(s, b)
	return b
}

func (s *panel) buildTimeseries(id uint32) cog.Builder[dashboard.Panel] {
	b := timeseries.NewPanelBuilder().Id(id).Title(s.title).Description(s.description).
		Datasource(datasourceRef()).Unit(s.unit).Span(s.w).Height(s.h).
		Thresholds(s.thresholdsConfig()).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true).
			Calcs([]string{"lastNotNull", "max"}))
	for i, t := range s.targets {
		b.WithTarget(s.query(i, t, false, false))
	}
	if s.stack {
		b.Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).FillOpacity(60)
	}
	if len(s.thresholds) > 0 {
		b.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	applyMinMax(s, b)
	return b
}

func (s *panel) buildBarGauge(id uint32) cog.Builder[dashboard.Panel] {
	b := bargauge.NewPanelBuilder().Id(id).Title(s.title).Description(s.description).
		Datasource(datasourceRef()).Unit(s.unit).Span(s.w).Height(s.h).
		Thresholds(s.thresholdsConfig()).
		ReduceOptions(lastValue()).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeGradient)
	for i, t := range s.targets {
		b.WithTarget(s.query(i, t, true, false))
	}
	if len(s.thresholds) > 0 {
		b.ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds))
	} else {
		b.ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdContinuousGrYlRd))
	}
	applyMinMax(s, b)
	return b
}

func (s *panel) buildBarChart(id uint32) cog.Builder[dashboard.Panel] {
	b := barchart.NewPanelBuilder().Id(id).Title(s.title).Description(s.description).
		Datasource(datasourceRef()).Unit(s.unit).Span(s.w).Height(s.h).
		Orientation(common.VizOrientationHorizontal).
		XField(s.matrixRow).
		ShowValue(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
	if s.stack {
		b.Stacking(common.StackingModeNormal)
	}
	for i, t := range s.targets {
		b.WithTarget(s.query(i, t, true, true))
	}
	// One row per matrixRow value, one column per matrixColumn value: the
	// shape a stacked bar chart needs.
	b.WithTransformation(dashboard.DataTransformerConfig{
		Id: "groupingToMatrix",
		Options: map[string]any{
			"rowField":    s.matrixRow,
			"columnField": s.matrixColumn,
			"valueField":  "Value",
			"emptyValue":  "zero",
		},
	})
	return b
}

func (s *panel) buildTable(id uint32) cog.Builder[dashboard.Panel] {
	b := table.NewPanelBuilder().Id(id).Title(s.title).Description(s.description).
		Datasource(datasourceRef()).Span(s.w).Height(s.h).
		Thresholds(s.thresholdsConfig())
	if s.unit != "" {
		b.Unit(s.unit)
	}
	rename := map[string]any{}
	for i, c := range s.columns {
		b.WithTarget(s.query(i, target{expr: c.expr}, true, true))
		// Grafana names the value column of each instant table query
		// "Value #<refId>"; give it the column's title.
		rename["Value #"+refID(i)] = c.title
		props := []dashboard.DynamicConfigValue{}
		if c.unit != "" {
			props = append(props, dashboard.DynamicConfigValue{Id: "unit", Value: c.unit})
		}
		if len(c.thresholds) > 0 {
			th, err := thresholdSteps("green", c.thresholds).Build()
			if err != nil {
				b.RecordError("thresholds", err)
			}
			props = append(props,
				dashboard.DynamicConfigValue{Id: "thresholds", Value: th},
				dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background"}},
			)
		}
		if len(props) > 0 {
			b.OverrideByName(c.title, props)
		}
	}
	// merge joins the per-column results on their label columns; organize
	// drops the evaluation timestamp and the metric-name column and renames
	// the value columns.
	b.WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})
	b.WithTransformation(dashboard.DataTransformerConfig{
		Id: "organize",
		Options: map[string]any{
			"excludeByName": map[string]any{"Time": true, "__name__": true},
			"renameByName":  rename,
		},
	})
	if s.sortBy != "" {
		b.SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName(s.sortBy).Desc(true),
		})
	}
	return b
}

// minMaxer is the part of the SDK panel builders that sets the field range.
type minMaxer[T any] interface {
	Min(float64) T
	Max(float64) T
	Decimals(float64) T
}

func applyMinMax[T minMaxer[T]](s *panel, b T) {
	if s.min != nil {
		b.Min(*s.min)
	}
	if s.max != nil {
		b.Max(*s.max)
	}
	if s.decimals != nil {
		b.Decimals(*s.decimals)
	}
}
