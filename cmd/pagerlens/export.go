package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/internal/apiclient"
)

func newExportCmd() *cobra.Command {
	var what, format, out, team, filename string
	var wf windowFlags
	var uf urlFlags
	cmd := &cobra.Command{
		Use:   "export --db FILE --what WHAT [--format FORMAT] --dir DIR",
		Short: "Run one metric export by hand (what serve's scheduled exports write)",
		Long: `export opens the DuckDB file read-only and writes one export into --dir, exactly
as a scheduled export of serve's config would (docs/reports.md): the file is
named by --filename (default {what}-{window}-{date}.{ext}) and written
atomically; nothing is pruned.

--what: mttx, alert_quality, oncall_load (the snapshot rows of the window,
flat), incidents (the incident timeline rows triggered in the window) or
fatigue_report. --format: csv (default), parquet or jsonl; a fatigue_report
is html (default), md or json.

--url asks a running serve instead (it holds the file; docs/operations.md)
and writes its answer into --dir under the same name.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			cfg, _, err := wf.load()
			if err != nil {
				return err
			}
			if format == "" {
				format = "csv"
				if export.What(what) == export.FatigueReport {
					format = "html"
				}
			}
			job := export.Job{Name: what, What: export.What(what), Format: format, Window: wf.window,
				Team: team, Dir: out, Filename: filename, Retention: -1}
			if err := job.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			client, err := uf.client(cmd)
			if err != nil {
				return err
			}
			if client != nil {
				return remoteExport(cmd, client, job, cfg.Now)
			}
			st, done, err := wf.open(cmd)
			if err != nil {
				return err
			}
			defer done()
			res, err := export.Run(cmd.Context(), st, job, cfg.Now, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Path)
			return nil
		},
	}
	f := cmd.Flags()
	wf.register(f, "the window ending at --now")
	f.StringVar(&what, "what", "", "mttx, alert_quality, oncall_load, incidents or fatigue_report")
	f.StringVar(&format, "format", "", "csv (default), parquet or jsonl; fatigue_report: html (default), md or json")
	dirFlag(f, &out, ".", "directory to write the file in")
	f.StringVar(&team, "team", "", "fatigue_report only: one team")
	f.StringVar(&filename, "filename", export.DefaultFilename, "file name pattern: {name} {what} {window} {date} {time} {ext}")
	uf.register(f)
	return cmd
}

// remoteExport asks serve's GET /api/v1/export as of at (this command's
// --now or time) and writes the answer into --dir under the name the local
// export gives it.
func remoteExport(cmd *cobra.Command, c *apiclient.Client, job export.Job, at time.Time) error {
	name, err := job.FileName(at)
	if err != nil {
		return usageErrorf("%v", err)
	}
	q := url.Values{"what": {string(job.What)}, "format": {job.Format}, "window": {job.Window},
		"now": {at.UTC().Format(time.RFC3339Nano)}}
	if job.Team != "" {
		q.Set("team", job.Team)
	}
	resp, err := c.Get(cmd.Context(), "/api/v1/export", q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(job.Dir, 0o750); err != nil {
		return fmt.Errorf("export dir: %w", err)
	}
	path := filepath.Join(job.Dir, name)
	if err := writeFileAtomic(path, func(fh *os.File) error {
		_, err := io.Copy(fh, resp.Body)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), path)
	return nil
}
