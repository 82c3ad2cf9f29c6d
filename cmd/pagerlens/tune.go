package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/app"
)

func newTuneCmd() *cobra.Command {
	var (
		format, writeRules string
		rules              []string
		wf                 windowFlags
	)
	cmd := &cobra.Command{
		Use:   "tune --db FILE [--window 30d] [--format table|json|md] [--rules FILE... --write-rules DIR]",
		Short: "Alert tuning simulated: what for:, keep_firing_for:, inhibition or business-hours routing would have spared, at what cost",
		Long: `tune opens the DuckDB file read-only and replays the alerts triggered in the
window ending at --now under four changes, per team, service and alert name
(docs/metrics.md, "Alert tuning"):

  for:              candidates (analytics.tune.for): alerts suppressed, actionable
                    ones missed, delay added; recommended: the longest that misses
                    no actionable alert and adds at most max_added_delay
  keep_firing_for:  re-triggers of one alert key merged into the life before
  inhibition        alert names of the team whose alerts precede this one's
  business hours    what routing a never-urgent-at-night alert to business hours
                    would have spared, per responder

--format json is the machine format documented there. With --rules FILE
(repeatable) and --write-rules DIR, tune also writes copies of Prometheus rule
files into DIR with the recommended for: and keep_firing_for: set on the
alerting rules pagerlens has alerts for (matched by alert: name, and by static
team/service labels when a rule sets them), each with a comment saying what
the change would have saved; everything else in the files is kept byte for
byte. The simulated durations come on top of a rule's current ones: the
alerts pagerlens saw had already waited those out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if !slices.Contains(app.TuneFormats, format) {
				return usageErrorf("--format %q: want one of %s", format, strings.Join(app.TuneFormats, ", "))
			}
			rs := splitList(rules)
			if (len(rs) > 0) != (writeRules != "") {
				return usageErrorf("--rules and --write-rules go together: the rule files to read and the directory to write their tuned copies to")
			}
			cfg, w, err := wf.load()
			if err != nil {
				return err
			}
			st, done, err := wf.open(cmd)
			if err != nil {
				return err
			}
			defer done()
			t, err := analytics.TuneStore(cmd.Context(), st, cfg, w)
			if err != nil {
				return err
			}
			if len(rs) > 0 {
				if _, err := app.WriteTunedRules(t, rs, writeRules, cmd.ErrOrStderr()); err != nil {
					return exitError{code: 1, err: err}
				}
			}
			if err := app.WriteTuning(cmd.OutOrStdout(), t, format); err != nil {
				return fmt.Errorf("tune: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	wf.register(fl, "the window ending at --now whose alerts are replayed (7d, 30d, 12h, …)")
	fl.StringVar(&format, "format", "table", strings.Join(app.TuneFormats, ", "))
	fl.StringSliceVar(&rules, "rules", nil, "Prometheus rule files to write tuned copies of (comma-separated or repeated; with --write-rules)")
	fl.StringVar(&writeRules, "write-rules", "", "directory for the tuned copies of --rules (created if missing; not the originals' directory)")
	return cmd
}
