package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/oncall"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// newImportOnCallCmd is a thin entry point to ingest/importers/oncall
// (docs/import.md, "Grafana OnCall"): flags to one library call.
func newImportOnCallCmd() *cobra.Command {
	var configFile, db, tokenFile, apiURL, since, until string
	cmd := &cobra.Command{
		Use:   "oncall --db FILE --token-file FILE --api-url URL --since T [--until T]",
		Short: "Import alert groups and on-call shifts from Grafana OnCall's public API",
		Long: `import oncall reads Grafana OnCall's public API (alert groups, users' time
zones, schedules' final shifts) from --since to --until (RFC 3339, or a
duration back from now such as 365d) and stores the canonical events, with
the same ids as the OnCall webhook decoder gives the same transitions. The
API lists no notifications: imported history has no pages. It goes on from
where the last run stopped (the cursor is kept in the store).

--api-url is the API URL shown in OnCall's settings (without /api/v1);
--token-file holds an OnCall API key. --config reads serve's YAML file for
its mappings (mappings.oncall) and limits. See docs/import.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg := config.Default()
			if changed(cmd, "config") {
				var err error
				if cfg, err = config.Load(configFile); err != nil {
					return exitError{code: 2, err: err}
				}
			}
			if changed(cmd, "db") || cfg.DB == "" {
				cfg.DB = db
			}
			if err := cfg.Validate(configFile); err != nil {
				return err
			}
			if apiURL == "" {
				return usageErrorf("--api-url is required (OnCall → Settings, e.g. https://oncall-prod-us-central-0.grafana.net/oncall)")
			}
			if _, err := oncall.CheckAPIURL(apiURL); err != nil {
				return usageErrorf("%v", err)
			}
			if since == "" {
				return usageErrorf("--since is required (RFC 3339, or a duration back from now such as 365d)")
			}
			now := time.Now().UTC()
			o := oncall.Options{APIURL: apiURL, TokenFile: tokenFile, Mappings: cfg.Mappings}
			var err error
			if o.Since, err = importers.ParseTime(since, now); err != nil {
				return usageErrorf("--since: %v", err)
			}
			if until != "" {
				if o.Until, err = importers.ParseTime(until, now); err != nil {
					return usageErrorf("--until: %v", err)
				}
			}
			o.Limits = event.DefaultLimits()
			applyLimits(&o.Limits, cfg.Limits)
			if o.Token, err = oncall.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			st, err := openStore(cmd.Context(), cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := oncall.Import(cmd.Context(), st, o)
			for _, p := range sum.Problems {
				fmt.Fprintln(cmd.ErrOrStderr(), "problem:", p)
			}
			// What was stored before an error stays stored: say so either way.
			fmt.Fprintln(cmd.OutOrStdout(), sum)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML config file, as for serve (mappings, limits, db, store)")
	f.StringVar(&db, "db", "pagerlens.duckdb", "DuckDB file")
	f.StringVar(&tokenFile, "token-file", "", "file holding the Grafana OnCall API key")
	f.StringVar(&apiURL, "api-url", "", "Grafana OnCall API URL (OnCall → Settings), without /api/v1")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	return cmd
}
