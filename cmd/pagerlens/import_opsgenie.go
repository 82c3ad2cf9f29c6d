package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/opsgenie"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// newImportOpsgenieCmd is a thin entry point to opsgenie.Import: flags (and
// serve's config file, for the mappings: Opsgenie names teams by id) to
// one library call.
func newImportOpsgenieCmd() *cobra.Command {
	var configFile, db, tokenFile, apiURL, since, until string
	cmd := &cobra.Command{
		Use:   "opsgenie --db FILE --token-file FILE --since T [--until T] [--api-url URL] [--config FILE]",
		Short: "Import alerts, their recipients and on-call shifts from Opsgenie's REST API",
		Long: `import opsgenie reads Opsgenie's REST API (alerts with their acknowledgement
and close, the users each alert was sent to, users' time zones, and every
schedule's final timeline) from --since to --until (RFC 3339, or a duration
back from now such as 365d) and stores the canonical events, with the same
ids as the webhook decoder gives the same transitions. Accounts in the EU
region use --api-url ` + opsgenie.EUAPIURL + `. --config reads serve's YAML
file for its mappings (team_map names Opsgenie's team ids) and limits. It
goes on from where the last run stopped (the cursor is kept in the store).
See docs/import.md.`,
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
			now := time.Now().UTC()
			if since == "" {
				return usageErrorf("--since is required (RFC 3339, or a duration back from now such as 365d)")
			}
			o := opsgenie.Options{APIURL: apiURL, TokenFile: tokenFile, Mappings: cfg.Mappings}
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
			if o.Token, err = opsgenie.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			st, err := openStore(cmd.Context(), cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := opsgenie.Import(cmd.Context(), st, o)
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
	f.StringVar(&tokenFile, "token-file", "", "file holding the Opsgenie API key (GenieKey)")
	f.StringVar(&apiURL, "api-url", opsgenie.DefaultAPIURL, "Opsgenie API URL ("+opsgenie.EUAPIURL+" for the EU region)")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	return cmd
}
