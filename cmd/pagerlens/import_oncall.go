package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/ingest/importers/oncall"
	"github.com/pagerlens/pagerlens/internal/app"
)

// newImportOnCallCmd is the entry point to ingest/importers/oncall
// (docs/import.md, "Grafana OnCall"): flags to app.ImportOnCall.
func newImportOnCallCmd() *cobra.Command {
	var (
		o                               *overrides
		tokenFile, apiURL, since, until string
		quiet                           bool
	)
	cmd := &cobra.Command{
		Use:   "oncall --db FILE --token-file FILE --api-url URL --since T [--until T]",
		Short: "Import alert groups and on-call shifts from Grafana OnCall's public API",
		Long: `import oncall reads Grafana OnCall's public API (alert groups, users' time
zones, schedules' final shifts) from --since to --until (RFC 3339, or a
duration back from now such as 365d) and stores the canonical events, with
the same ids as the OnCall webhook decoder gives the same transitions. The
API lists no notifications: imported history has no pages. It goes on from
where the last run stopped (the cursor is kept in the store). See
docs/import.md.

--api-url is the API URL shown in OnCall's settings (without /api/v1);
--token-file holds an OnCall API key. --config reads serve's YAML file: its
mappings and limits apply as to webhooks, and its roster's time zones (or
--roster's) win over OnCall's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg, err := o.resolve(cmd)
			if err != nil {
				return err
			}
			if apiURL == "" {
				return usageErrorf("--api-url is required (OnCall → Settings, e.g. https://oncall-prod-us-central-0.grafana.net/oncall)")
			}
			if _, err := oncall.CheckAPIURL(apiURL); err != nil {
				return usageErrorf("%v", err)
			}
			oo := oncall.Options{APIURL: apiURL, TokenFile: tokenFile}
			if oo.Since, oo.Until, err = importWindow(since, until, time.Now().UTC()); err != nil {
				return err
			}
			if oo.Token, err = oncall.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			var done func()
			oo.Observer, done = importBar("oncall", quiet)
			sum, err := app.ImportOnCall(cmd.Context(), cfg, oo)
			done()
			for _, p := range sum.Problems {
				fmt.Fprintln(cmd.ErrOrStderr(), "problem:", p)
			}
			// What was stored before an error stays stored: say so either way.
			fmt.Fprintln(cmd.OutOrStdout(), sum)
			return err
		},
	}
	f := cmd.Flags()
	o = bindOverrides(f, "YAML config file, as for serve (mappings, limits, roster, db, store)", importOverrides)
	f.StringVar(&tokenFile, "token-file", "", "file holding the Grafana OnCall API key")
	f.StringVar(&apiURL, "api-url", "", "Grafana OnCall API URL (OnCall → Settings), without /api/v1")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar (the summary still goes to stdout, problems to stderr)")
	return cmd
}
