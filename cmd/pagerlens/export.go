package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/internal/config"
)

func newExportCmd() *cobra.Command {
	var what, format, out, team, filename, name string
	var doDeliver, dryRun bool
	var wf windowFlags
	cmd := &cobra.Command{
		Use:   "export --db FILE (--what WHAT [--format FORMAT] --dir DIR | --config F --name JOB [--deliver [--dry-run]])",
		Short: "Run one metric export by hand (what serve's scheduled exports write), and deliver it",
		Long: `export opens the DuckDB file read-only and writes one export into --dir, exactly
as a scheduled export of serve's config would (docs/reports.md): the file is
named by --filename (default {what}-{window}-{date}.{ext}) and written
atomically; nothing is pruned.

--what: mttx, alert_quality, oncall_load (the snapshot rows of the window,
flat), incidents (the incident timeline rows triggered in the window),
fatigue_report or handover (the on-call handover digest). --format: csv
(default), parquet or jsonl; a fatigue_report or handover is html (default),
md or json.

--name runs the exports: entry of that name in --config instead (its what,
format, window, team, dir and file name; --window and --dir override its
window and dir). --deliver then sends the written file to the entry's
deliver: targets (email, slack, webhook), with their retries; a failed
delivery exits 1 and keeps the file. --dry-run prints what would be sent
instead, without the network and without writing into the job's dir.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			var job export.Job
			var cfg analytics.Config
			var err error
			if name != "" {
				// The config is read once: its exports: entry and its
				// analytics: section.
				var c config.Config
				if job, c, err = configuredJob(cmd, wf, name, out); err != nil {
					return err
				}
				if cfg, err = analyticsConfig(c.Analytics, wf.now, wf.roster); err != nil {
					return err
				}
			} else {
				if cfg, _, err = wf.load(); err != nil {
					return err
				}
				if doDeliver || dryRun {
					return usageErrorf("--deliver and --dry-run need --name: the targets are an exports: entry's deliver:")
				}
				if format == "" {
					format = "csv"
					if w := export.What(what); w == export.FatigueReport || w == export.Handover {
						format = "html"
					}
				}
				job = export.Job{Name: what, What: export.What(what), Format: format, Window: wf.window,
					Team: team, Dir: out, Filename: filename}
			}
			job.Retention = -1 // a run by hand prunes nothing
			if err := job.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			if dryRun {
				doDeliver = true
				// Written where nobody reads it, then removed: a dry run
				// leaves the job's dir as it was.
				tmp, err := os.MkdirTemp("", "pagerlens-dry-run-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				job.Dir = tmp
			}
			if doDeliver && len(job.Deliver) == 0 {
				return usageErrorf("--deliver: export %q has no deliver: targets in %s", job.Name, wf.configFile)
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
			stdout := cmd.OutOrStdout()
			if dryRun {
				return deliver.DryRun(stdout, res.Written, job.Deliver)
			}
			fmt.Fprintln(stdout, res.Path)
			if !doDeliver {
				return nil
			}
			d, err := deliver.New(deliver.Options{Logger: slog.Default()})
			if err != nil {
				return err
			}
			var failed []string
			for _, r := range d.Deliver(cmd.Context(), res.Written, job.Deliver) {
				if r.Err != nil {
					failed = append(failed, fmt.Sprintf("%s: %v", r.Kind, r.Err))
				}
			}
			if len(failed) > 0 {
				return exitError{code: 1, err: fmt.Errorf("export %q written to %s, but %d of %d deliveries failed:\n  %s",
					job.Name, res.Path, len(failed), len(job.Deliver), strings.Join(failed, "\n  "))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	wf.register(f, "the window ending at --now")
	f.StringVar(&what, "what", "", "mttx, alert_quality, oncall_load, incidents, fatigue_report or handover")
	f.StringVar(&format, "format", "", "csv (default), parquet or jsonl; fatigue_report, handover: html (default), md or json")
	dirFlag(f, &out, ".", "directory to write the file in")
	f.StringVar(&team, "team", "", "fatigue_report, handover only: one team")
	f.StringVar(&filename, "filename", export.DefaultFilename, "file name pattern: {name} {what} {window} {date} {time} {ext}")
	f.StringVar(&name, "name", "", "run the exports: entry of this name in --config")
	f.BoolVar(&doDeliver, "deliver", false, "with --name: send the written file to the entry's deliver: targets")
	f.BoolVar(&dryRun, "dry-run", false, "with --name: print what --deliver would send; send and keep nothing")
	return cmd
}

// configuredJob is the exports: entry name of --config, with --window and
// --dir applied when given. The entry's own flags (--what, --format,
// --team, --filename) cannot be mixed in: the entry says them.
func configuredJob(cmd *cobra.Command, wf windowFlags, name, dir string) (export.Job, config.Config, error) {
	if wf.configFile == "" {
		return export.Job{}, config.Config{}, usageErrorf("--name %q: needs --config, the file with the exports: entry", name)
	}
	for _, fl := range []string{"what", "format", "team", "filename"} {
		if cmd.Flags().Changed(fl) {
			return export.Job{}, config.Config{}, usageErrorf("--%s with --name: the exports: entry sets it", fl)
		}
	}
	c, err := config.Load(wf.configFile)
	if err != nil {
		return export.Job{}, c, exitError{code: 2, err: err}
	}
	var names []string
	for _, j := range c.Exports {
		jn := j.Name
		if jn == "" {
			jn = string(j.What)
		}
		if jn == name {
			if cmd.Flags().Changed("window") {
				j.Window = wf.window
			}
			if cmd.Flags().Changed("dir") || cmd.Flags().Changed("out") {
				j.Dir = dir
			}
			j.Name = jn
			return j, c, nil
		}
		names = append(names, jn)
	}
	msg := fmt.Sprintf("--name %q: no such exports: entry in %s", name, wf.configFile)
	if s := config.Closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	} else if len(names) > 0 {
		msg += " (it has " + strings.Join(names, ", ") + ")"
	}
	return export.Job{}, c, usageErrorf("%s", msg)
}
