// Package app runs pagerlens's long-lived and composite commands from a
// resolved configuration: Serve (the consumer, webhooks, /metrics, the
// refresher and the export scheduler), Ingest (a file backfill),
// ImportPagerDuty and ImportPrometheus (history imports; more go beside
// them), Demo and Bench. It starts the parts, runs them and stops them, in
// one readable place per command.
//
// cmd/pagerlens only declares the commands and flags, turns flags, PAGERLENS_*
// variables and --config into a config.Config and calls this package; the
// parts themselves live in their own packages (ingest, store, analytics,
// exporters, dashboards). Errors that are the configuration's fault are
// config.Invalid (exit code 2).
package app
