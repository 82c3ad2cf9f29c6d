// Package thresholds holds the values at which pagerlens calls a figure bad
// when both the fatigue report (exporters/report) and the Grafana dashboards
// read it, so that the two never disagree. It is a package of its own because
// the dashboards import metric names and nothing that links DuckDB
// (analytics does).
package thresholds

// GiniUneven is the Gini coefficient of interruptions across a team's
// responders (analytics.Gini) from which a team's load is uneven: the
// fatigue report writes a finding and the on-call dashboard shows the team
// red. 0.4 is where a team of four reads as "two people take most pages":
// interruptions (0, 1, 4, 5) give 0.45, while (2, 3, 4, 5) give 0.18. It is
// pagerlens's heuristic, not SRE guidance (docs/metrics.md).
const GiniUneven = 0.4
