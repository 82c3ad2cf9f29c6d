package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/internal/apiclient"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write reports (pager fatigue) from the store",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newReportFatigueCmd())
	return cmd
}

func newReportFatigueCmd() *cobra.Command {
	var team, format, out string
	var wf windowFlags
	var uf urlFlags
	cmd := &cobra.Command{
		Use:   "fatigue --db FILE --format html|md|json --out FILE",
		Short: "Write the pager-fatigue report: load per team and responder, when pages land, the trend, the noisiest alerts",
		Long: `fatigue opens the DuckDB file read-only and writes the pager-fatigue report
(docs/reports.md) for one window ending at --now: a summary line per team and
the totals; per team and responder the interruptions by period, nights
interrupted, fatigue score and level (high from 28, the Google SRE limit held
for a week), on-call share, engaged time, 12-hour blocks over the limit and
the team's load balance; a local
hour × weekday heat map; the week-by-week trend; and the noisiest alerts with
a recommendation each. html is one self-contained file (no network), md suits
a chat post or a ticket, json carries the same data. --out - writes to stdout.

--url asks a running serve instead (it holds the file; docs/operations.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return usageErrorf("--format: %v", err)
			}
			if out == "" {
				return usageErrorf("--out: give a file (or - for stdout)")
			}
			cfg, w, err := wf.load()
			if err != nil {
				return err
			}
			client, err := uf.client(cmd)
			if err != nil {
				return err
			}
			if client != nil {
				return remoteReport(cmd, client, wf, team, f, out)
			}
			st, done, err := wf.open(cmd)
			if err != nil {
				return err
			}
			defer done()
			r, err := report.Build(cmd.Context(), st, report.Options{Config: cfg, Window: w, Team: team})
			if err != nil {
				return err
			}
			if team != "" && len(r.Teams) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "pagerlens: no team %q has interruptions or noisy alerts in the window\n", team)
			}
			if out == "-" {
				return r.Write(cmd.OutOrStdout(), f)
			}
			if err := writeFileAtomic(out, func(fh *os.File) error { return r.Write(fh, f) }); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "wrote", out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&team, "team", "", "report only this team (default: every team)")
	wf.register(fl, "the window ending at --now (7d, 30d, 12h, …)")
	fl.StringVar(&format, "format", "html", "html, md or json")
	fl.StringVarP(&out, "out", "o", "", "output file, or - for stdout")
	uf.register(fl)
	return cmd
}

// remoteReport asks serve's GET /report/fatigue and writes the answer as
// the local report is written.
func remoteReport(cmd *cobra.Command, c *apiclient.Client, wf windowFlags, team string, f report.Format, out string) error {
	q := url.Values{"window": {wf.window}, "format": {string(f)}}
	if team != "" {
		q.Set("team", team)
	}
	if wf.now != "" {
		q.Set("now", wf.now)
	}
	resp, err := c.Get(cmd.Context(), "/report/fatigue", q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == "-" {
		_, err := io.Copy(cmd.OutOrStdout(), resp.Body)
		return err
	}
	if err := writeFileAtomic(out, func(fh *os.File) error {
		_, err := io.Copy(fh, resp.Body)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "wrote", out)
	return nil
}

// writeFileAtomic writes path through a temp file in its directory and a
// rename, so a failed render never leaves half a report behind.
func writeFileAtomic(path string, fill func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	if err := fill(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; a report is meant to be shared.
	_ = os.Chmod(tmp, 0o644)
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
