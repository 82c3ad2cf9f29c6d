package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/ingest/importers"
	promimport "github.com/pagerlens/pagerlens/ingest/importers/prometheus"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/store"
)

func newImportPrometheusCmd() *cobra.Command {
	var (
		o                        *overrides
		url, since, until, match string
		step                     time.Duration
		externalLabels           map[string]string
	)
	cmd := &cobra.Command{
		Use:   "prometheus --url URL --since 30d [--until T] [--match SELECTOR] [--step D]",
		Short: "Import alert history from Prometheus's ALERTS series",
		Long: `prometheus rebuilds the alert.triggered and alert.resolved events of every
alert firing between --since and --until from the ALERTS{alertstate="firing"}
series of the Prometheus at --url (range queries, one step per rule evaluation
interval), with the alert keys, mappings and event ids of the Alertmanager
webhook: the history and the live webhook join into one alert life, and an
import run twice stores nothing new. docs/import.md says how, and the error
bound of the times.

--since and --until take an RFC 3339 time or a duration back from now (30d).
--config reads serve's YAML file for its mappings and limits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg, err := o.resolve(cmd)
			if err != nil {
				return err
			}
			if cfg.DB == "" { // db: "" in the file
				cfg.DB = store.DefaultFile
			}
			now := time.Now()
			ic := promimport.Config{URL: url, Match: match, Step: step}
			if ic.Since, err = importers.ParseTime(since, now); err != nil {
				return usageErrorf("--since %v", err)
			}
			if until != "" {
				if ic.Until, err = importers.ParseTime(until, now); err != nil {
					return usageErrorf("--until %v", err)
				}
			}
			if changed(cmd, "external-labels") {
				ic.ExternalLabels = externalLabels
			}
			s, err := app.ImportPrometheus(cmd.Context(), cfg, ic)
			// What was stored before an error stays stored: say so either way.
			fmt.Fprintln(cmd.OutOrStdout(), s)
			return err
		},
	}
	f := cmd.Flags()
	o = bindOverrides(f, "YAML config file, as for serve (mappings, limits, db, store)", []override{dbOverride})
	f.StringVar(&url, "url", "http://localhost:9090", "Prometheus server URL")
	f.StringVar(&since, "since", "30d", "start: RFC 3339 time or duration back from now")
	f.StringVar(&until, "until", "", "end: RFC 3339 time or duration back from now (default now)")
	f.StringVar(&match, "match", "", `narrow the alerts with a selector's matchers, e.g. '{severity=~"critical|warning"}'`)
	f.DurationVar(&step, "step", 0, "rule evaluation interval to assume for every alert, and query step (default: each rule group's interval from /api/v1/rules)")
	f.StringToStringVar(&externalLabels, "external-labels", nil, "labels Prometheus adds to alerts it sends, replacing the server's global external_labels (e.g. cluster=eu1)")
	return cmd
}
