package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/ingest/importers/incidentio"
	"github.com/pagerlens/pagerlens/internal/app"
)

// newImportIncidentIOCmd is the entry point to ingest/importers/incidentio
// (docs/import.md, "incident.io"): flags to app.ImportIncidentIO.
func newImportIncidentIOCmd() *cobra.Command {
	var (
		o                               *overrides
		tokenFile, apiURL, since, until string
		quiet                           bool
	)
	cmd := &cobra.Command{
		Use:   "incidentio --db FILE --token-file FILE --since T [--until T]",
		Short: "Import incidents, their updates, escalations and on-call shifts from incident.io's API",
		Long: `import incidentio reads incident.io's REST API (incidents and their updates,
escalations, schedules' entries) from --since to --until (RFC 3339, or a
duration back from now such as 365d) and stores the canonical events, with
the same ids as the incident.io webhook decoder gives the same incidents.
Acknowledgements and pages come from escalations; the API gives no time of a
role assignment, so the commander is dated at the incident's creation. It
goes on from where the last run stopped (the cursor is kept in the store).
See docs/import.md.

--token-file holds an incident.io API key (Bearer). --config reads serve's
YAML file: its mappings and limits apply as to webhooks; incident.io users
carry no time zone, so its roster's zones (or --roster's) are used, else the
zone of a schedule the user is on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg, err := o.resolve(cmd)
			if err != nil {
				return err
			}
			if _, err := incidentio.CheckAPIURL(apiURL); err != nil {
				return usageErrorf("%v", err)
			}
			iio := incidentio.Options{APIURL: apiURL, TokenFile: tokenFile}
			if iio.Since, iio.Until, err = importWindow(since, until, time.Now().UTC()); err != nil {
				return err
			}
			if iio.Token, err = incidentio.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			var done func()
			iio.Observer, done = importBar("incidentio", quiet)
			sum, err := app.ImportIncidentIO(cmd.Context(), cfg, iio)
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
	f.StringVar(&tokenFile, "token-file", "", "file holding the incident.io API key")
	f.StringVar(&apiURL, "api-url", incidentio.DefaultAPIURL, "incident.io API URL")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar (the summary still goes to stdout, problems to stderr)")
	return cmd
}
