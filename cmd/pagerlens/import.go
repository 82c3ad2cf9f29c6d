package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	"github.com/pagerlens/pagerlens/store"
)

// newImportCmd is a thin entry point to the importers (docs/import.md):
// flags to one library call. It moves into the app layer with the rest.
func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import SOURCE",
		Short: "Import history from a paging tool's API (pagerduty) or Prometheus's alerts (prometheus)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newImportPagerDutyCmd(), newImportPrometheusCmd())
	cmd.AddCommand(newImportOnCallCmd())
	return cmd
}

func newImportPagerDutyCmd() *cobra.Command {
	var db, tokenFile, apiURL, since, until, teams, memoryLimit string
	cmd := &cobra.Command{
		Use:   "pagerduty --db FILE --token-file FILE --since T [--until T] [--teams ID,...]",
		Short: "Import incidents, their log entries and on-call shifts from PagerDuty's REST API",
		Long: `import pagerduty reads PagerDuty's REST API v2 (incidents and their log
entries, on-call entries, users' time zones) from --since to --until (RFC 3339,
or a duration back from now such as 365d) and stores the canonical events, with
the same ids as the webhook decoder gives the same transitions. It goes on
from where the last run stopped (the cursor is kept in the store). See
docs/import.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			now := time.Now().UTC()
			if since == "" {
				return usageErrorf("--since is required (RFC 3339, or a duration back from now such as 365d)")
			}
			o := pagerduty.Options{APIURL: apiURL, TokenFile: tokenFile}
			var err error
			if o.Since, err = importers.ParseTime(since, now); err != nil {
				return usageErrorf("--since: %v", err)
			}
			if until != "" {
				if o.Until, err = importers.ParseTime(until, now); err != nil {
					return usageErrorf("--until: %v", err)
				}
			}
			for _, t := range strings.Split(teams, ",") {
				if t = strings.TrimSpace(t); t != "" {
					o.TeamIDs = append(o.TeamIDs, t)
				}
			}
			if o.Token, err = pagerduty.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			st, err := openStore(cmd.Context(), db, store.Options{MemoryLimit: memoryLimit})
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := pagerduty.Import(cmd.Context(), st, o)
			for _, p := range sum.Problems {
				fmt.Fprintln(cmd.ErrOrStderr(), "problem:", p)
			}
			fmt.Fprintln(cmd.OutOrStdout(), sum)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "pagerlens.duckdb", "DuckDB file")
	f.StringVar(&tokenFile, "token-file", "", "file holding the PagerDuty REST API key")
	f.StringVar(&apiURL, "api-url", pagerduty.DefaultAPIURL, "PagerDuty REST API URL")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	f.StringVar(&teams, "teams", "", "comma-separated PagerDuty team ids to import (default all)")
	f.StringVar(&memoryLimit, "memory-limit", "1GB", "DuckDB memory_limit")
	return cmd
}
