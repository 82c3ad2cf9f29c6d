package dashboards

import (
	"fmt"
	"strings"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// Dashboard variables, referenced by the queries below.
const (
	varDatasource = "datasource"
	varTeam       = "team"
	varService    = "service"
	varSeverity   = "severity"
	varWindow     = "window"
)

// Label filters of the queries: which labels a family carries that the
// dashboard variables select on. team, service and severity are
// multi-value variables (regex match, "All" = ".*", which also matches an
// absent label); window is single-value (exact match).
var (
	fIncidentWindow = []string{mn.LabelTeam, mn.LabelService, mn.LabelSeverity, mn.LabelWindow}
	fIncident       = []string{mn.LabelTeam, mn.LabelService, mn.LabelSeverity}
	fServiceWindow  = []string{mn.LabelTeam, mn.LabelService, mn.LabelWindow}
	fTeamWindow     = []string{mn.LabelTeam, mn.LabelWindow}
	fTeam           = []string{mn.LabelTeam}
	fCommand        = []string{mn.LabelTeam, mn.LabelSeverity, mn.LabelWindow}
)

// promql builds the PromQL of the panels. It owns the one decision that
// differs between deployments: how copies of a series exported by several
// pagerlens instances are merged (see Aggregation).
type promql struct {
	agg      Aggregation
	replicas []string
	windows  []string
}

// sel is a selector of metric filtered by the dashboard variables named in
// filter, plus extra literal matchers (e.g. `quantile="0.5"`).
func (p promql) sel(metric string, filter []string, extra ...string) string {
	m := make([]string, 0, len(filter)+len(extra))
	for _, l := range filter {
		if l == mn.LabelWindow {
			m = append(m, fmt.Sprintf(`%s="$%s"`, l, varWindow))
			continue
		}
		m = append(m, fmt.Sprintf(`%s=~"$%s"`, l, l))
	}
	m = append(m, extra...)
	if len(m) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(m, ", ") + "}"
}

// dedup merges the copies of a series exported by several instances (the
// series differ only in the replica labels) with the configured operator,
// so that the outer sum counts every incident once with HA replicas and
// adds the parts with shards.
func (p promql) dedup(expr string) string {
	if len(p.replicas) == 0 {
		return expr
	}
	return fmt.Sprintf("%s without (%s) (%s)", p.agg, strings.Join(p.replicas, ", "), expr)
}

// by renders an aggregation operator with an optional grouping.
func by(op string, labels []string, expr string) string {
	if len(labels) == 0 {
		return fmt.Sprintf("%s(%s)", op, expr)
	}
	return fmt.Sprintf("%s by (%s) (%s)", op, strings.Join(labels, ", "), expr)
}

// total is an additive family (count gauge, summary _sum/_count) summed over
// the selected label sets, grouped by group.
func (p promql) total(metric string, filter []string, group ...string) string {
	return by("sum", group, p.dedup(p.sel(metric, filter)))
}

// mean of a summary: sum of _sum over sum of _count, which is the true mean
// of the selected label sets (a mean of means would weight a service with one
// incident like one with a hundred).
func (p promql) mean(summary string, filter []string, group ...string) string {
	return fmt.Sprintf("%s / %s", p.total(summary+"_sum", filter, group...), p.total(summary+"_count", filter, group...))
}

// ratio of two additive count families of the same label sets (a share).
func (p promql) ratio(num, den string, filter []string, group ...string) string {
	return fmt.Sprintf("%s / %s", p.total(num, filter, group...), p.total(den, filter, group...))
}

// quantile of a windowed summary. Quantiles do not aggregate: with one
// label set selected this is exact, with several it is the highest of them
// (an upper bound), which is also what max over HA copies gives.
func (p promql) quantile(summary, q string, filter []string, group ...string) string {
	return by("max", group, p.sel(summary, filter, fmt.Sprintf(`%s="%s"`, mn.LabelQuantile, q)))
}

// histQuantile of an all-time cumulative histogram: buckets add up across
// label sets and shards, so this percentile is exact for any selection.
func (p promql) histQuantile(hist, q string, filter []string, group ...string) string {
	g := append([]string{mn.LabelLe}, group...)
	return fmt.Sprintf("histogram_quantile(%s, %s)", q, by("sum", g, p.dedup(p.sel(hist+"_bucket", filter))))
}

// highest is for figures that are not additive (Gini, fatigue score, ages):
// max over copies and over the selected label sets.
func (p promql) highest(metric string, filter []string, group ...string) string {
	return by("max", group, p.sel(metric, filter))
}

// windowSecondsVector is a constant instant vector holding, per window
// label value, the window length in seconds, so that a windowed duration can
// be divided by its window without a dashboard variable per length.
func (p promql) windowSecondsVector() string {
	parts := make([]string, 0, len(p.windows))
	for _, w := range p.windows {
		s, _ := windowSeconds(w) // validated by Options.withDefaults
		parts = append(parts, fmt.Sprintf(`label_replace(vector(%d), "%s", "%s", "", "")`, s, mn.LabelWindow, w))
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

// perWindow divides a windowed duration sum, grouped by group (which must
// include window), by the length of its window: a share of the window.
func (p promql) perWindow(expr string) string {
	return fmt.Sprintf("%s / on (%s) group_left () %s", expr, mn.LabelWindow, p.windowSecondsVector())
}

// rate of a pipeline counter. Pipeline self-metrics describe one process
// each (every HA replica really consumes every message), so they are never
// merged across instances.
func (p promql) rate(counter string, group ...string) string {
	return by("sum", group, fmt.Sprintf("rate(%s[$__rate_interval])", counter))
}
