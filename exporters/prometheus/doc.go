// Package prometheus exposes pagerlens's analytics and its pipeline's own
// health to Prometheus (docs/prometheus.md).
//
// Scrapes never run SQL: a Refresher recomputes the analytics Snapshot on an
// interval and after ingested batches, and the Collector turns the last good
// Snapshot into const metrics (client_golang's const-metric style, as in
// node_exporter). Metric names, types, labels and help come from
// internal/metricnames, the contract shared with the dashboards. The
// pipeline's self-metrics are registered on the Registry's Self by the parts
// that count them (ingest.NewMetrics, the webhook intake, the export
// scheduler; the refresher's own here), each given a prometheus.Registerer.
//
// The package is named like client_golang's; import it under another name
// (promexp) and client_golang as prom.
package prometheus
