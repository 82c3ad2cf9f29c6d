package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/internal/config"
)

// newImportCmd is the entry point to the importers (docs/import.md): flags
// to one app.Import… call.
func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import SOURCE",
		Short: "Import history from a paging tool's API (pagerduty, opsgenie, oncall, incidentio) or Prometheus's alerts (prometheus)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newImportPagerDutyCmd(), newImportPrometheusCmd())
	cmd.AddCommand(newImportOpsgenieCmd())
	cmd.AddCommand(newImportOnCallCmd())
	cmd.AddCommand(newImportIncidentIOCmd())
	return cmd
}

// importOverrides are the config keys every API import reads: where the
// store is, how much memory it may take, and the roster whose time zones
// win over the vendor's users' zones (the file's mappings and limits apply
// too, as they do to webhooks).
var importOverrides = []override{dbOverride, memoryLimitOverride,
	{"roster", "analytics.roster_file", "roster YAML whose responder time zones win over the API's users' zones",
		func(c *config.Config) any { return &c.Analytics.RosterFile }}}

// importWindow reads --since (required) and --until.
func importWindow(since, until string, now time.Time) (time.Time, time.Time, error) {
	if since == "" {
		return time.Time{}, time.Time{}, usageErrorf("--since is required (RFC 3339, or a duration back from now such as 365d)")
	}
	s, err := importers.ParseTime(since, now)
	if err != nil {
		return time.Time{}, time.Time{}, usageErrorf("--since: %v", err)
	}
	var u time.Time
	if until != "" {
		if u, err = importers.ParseTime(until, now); err != nil {
			return time.Time{}, time.Time{}, usageErrorf("--until: %v", err)
		}
	}
	return s, u, nil
}

// importBar draws an import's progress on a terminal (windows done, items
// read); nil when stderr is not one or quiet is set.
func importBar(source string, quiet bool) (importers.Observer, func()) {
	if quiet || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(-1, progressbar.OptionSetDescription("importing "+source),
		progressbar.OptionSetWriter(os.Stderr), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(), progressbar.OptionSpinnerType(14))
	return importers.ObserverFunc(func(p importers.Progress) {
			if p.WindowsTotal > 0 {
				bar.ChangeMax(p.WindowsTotal)
				_ = bar.Set(p.WindowsDone)
			}
			bar.Describe(fmt.Sprintf("importing %s: window %d/%d, %d items", source, p.WindowsDone, p.WindowsTotal, p.Items))
		}), func() {
			_ = bar.Finish()
		}
}

func newImportPagerDutyCmd() *cobra.Command {
	var (
		o                                      *overrides
		tokenFile, apiURL, since, until, teams string
		quiet                                  bool
	)
	cmd := &cobra.Command{
		Use:   "pagerduty --db FILE --token-file FILE --since T [--until T] [--teams ID,...]",
		Short: "Import incidents, their log entries and on-call shifts from PagerDuty's REST API",
		Long: `import pagerduty reads PagerDuty's REST API v2 (incidents and their log
entries, on-call entries, users' time zones) from --since to --until (RFC 3339,
or a duration back from now such as 365d) and stores the canonical events, with
the same ids as the webhook decoder gives the same transitions. It goes on
from where the last run stopped (the cursor is kept in the store). See
docs/import.md.

--config reads serve's YAML file: its mappings and limits apply as to webhooks,
and its roster's time zones (or --roster's) win over PagerDuty's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg, err := o.resolve(cmd)
			if err != nil {
				return err
			}
			po := pagerduty.Options{APIURL: apiURL, TokenFile: tokenFile}
			if po.Since, po.Until, err = importWindow(since, until, time.Now().UTC()); err != nil {
				return err
			}
			for _, t := range strings.Split(teams, ",") {
				if t = strings.TrimSpace(t); t != "" {
					po.TeamIDs = append(po.TeamIDs, t)
				}
			}
			if po.Token, err = pagerduty.ReadToken(tokenFile); err != nil {
				return usageErrorf("%v", err)
			}
			var done func()
			po.Observer, done = importBar("pagerduty", quiet)
			sum, err := app.ImportPagerDuty(cmd.Context(), cfg, po)
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
	f.StringVar(&tokenFile, "token-file", "", "file holding the PagerDuty REST API key")
	f.StringVar(&apiURL, "api-url", pagerduty.DefaultAPIURL, "PagerDuty REST API URL")
	f.StringVar(&since, "since", "", "start: RFC 3339 or a duration back from now (365d)")
	f.StringVar(&until, "until", "", "end: RFC 3339 or a duration back from now (default now)")
	f.StringVar(&teams, "teams", "", "comma-separated PagerDuty team ids to import (default all)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar (the summary still goes to stdout, problems to stderr)")
	return cmd
}
