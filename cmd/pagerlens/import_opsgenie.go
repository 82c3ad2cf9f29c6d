package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/ingest/importers/opsgenie"
	"github.com/pagerlens/pagerlens/internal/app"
)

// newImportOpsgenieCmd is the entry point to the Opsgenie importer: flags
// (and serve's config file, for the mappings: Opsgenie names teams by id)
// to one app.ImportOpsgenie call.
func newImportOpsgenieCmd() *cobra.Command {
	var (
		ov                              *overrides
		tokenFile, apiURL, since, until string
		quiet                           bool
	)
	cmd := &cobra.Command{
		Use:   "opsgenie --db FILE --token-file FILE --since T [--until T] [--api-url URL]",
		Short: "Import alerts, their recipients and on-call shifts from Opsgenie's REST API",
		Long: `import opsgenie reads Opsgenie's REST API (alerts with their acknowledgement
and close, the users each alert was sent to, users' time zones, and every
schedule's final timeline) from --since to --until (RFC 3339, or a duration
back from now such as 365d) and stores the canonical events, with the same
ids as the webhook decoder gives the same transitions. Accounts in the EU
region use --api-url ` + opsgenie.EUAPIURL + `. It goes on from where the last
run stopped (the cursor is kept in the store). See docs/import.md.

--config reads serve's YAML file: its mappings (team_map names Opsgenie's team
ids) and limits apply as to webhooks, and its roster's time zones (or
--roster's) win over Opsgenie's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg, err := ov.resolve(cmd)
			if err != nil {
				return err
			}
			o := opsgenie.Options{APIURL: apiURL, TokenFile: tokenFile}
			if o.Since, o.Until, err = importWindow(since, until, time.Now().UTC()); err != nil {
				return err
			}
			if o.Token, err = opsgenie.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			var done func()
			o.Observer, done = importBar("opsgenie", quiet)
			sum, err := app.ImportOpsgenie(cmd.Context(), cfg, o)
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
	ov = bindOverrides(f, "YAML config file, as for serve (mappings, limits, roster, db, store)", importOverrides)
	f.StringVar(&tokenFile, "token-file", "", "file holding the Opsgenie API key (GenieKey)")
	f.StringVar(&apiURL, "api-url", opsgenie.DefaultAPIURL, "Opsgenie API URL ("+opsgenie.EUAPIURL+" for the EU region)")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar (the summary still goes to stdout, problems to stderr)")
	return cmd
}
