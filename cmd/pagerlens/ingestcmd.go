package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/store"
)

// ingestOverrides are ingest's configuration flags: the keys of serve's
// file that a backfill uses (mappings and limits come from the file only).
var ingestOverrides = []override{
	dbOverride,
	memoryLimitOverride,
	goMemoryLimitOverride,
}

func newIngestCmd() *cobra.Command {
	var (
		o     *overrides
		opts  = app.IngestOptions{}
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Backfill events from JSON Lines files (or - for stdin) into the store",
		Long: `ingest reads each FILE (JSON Lines, one message a line, or one JSON document)
in --format and writes it to --db. Events already stored are skipped, so
ingesting a file twice stores each event once. Bad lines are dead-lettered
with their reason (table dead_letters) and counted; ingest goes on.

--config reads the same YAML file as serve: its mappings (team, service and
severity renames per format), limits, db and store memory settings apply here
as they do to live events, so a backfilled event and a live one look alike.
Flags win over the file.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if _, err := decode.New(opts.Format, decode.DefaultOptions()); err != nil {
				return usageErrorf("--format: %v", err)
			}
			cfg, err := o.resolve(cmd)
			if err != nil {
				return err
			}
			if cfg.DB == "" { // db: "" in the file
				cfg.DB = store.DefaultFile
			}
			opts.Files, opts.Quiet = files, quiet
			if !quiet && term.IsTerminal(int(os.Stderr.Fd())) {
				opts.Read = fileBar
			}
			total, err := app.Ingest(cmd.Context(), cfg, opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d messages: %d events stored, %d duplicates skipped, %d dead-lettered\n",
				total.Messages, total.Stored, total.Duplicates, total.DeadLettered)
			return err
		},
	}
	f := cmd.Flags()
	o = bindOverrides(f, "YAML config file, as for serve (mappings, limits, db, store)", ingestOverrides)
	f.StringVar(&opts.Format, "format", decode.Canonical, "format of the files' messages")
	f.IntVar(&opts.BatchSize, "batch-size", ingest.DefaultFileBatchSize, "events per transaction")
	f.StringVar(&opts.DeferDerived, "defer-derived", "auto", "build the analytics tables once at the end instead of per batch: auto (when the store is empty), always or never")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar and no per-file log line (warnings and errors still go to stderr)")
	return cmd
}

// fileBar draws a file's backfill on stderr from the bytes read
// (app.IngestOptions.Read); stdin, of unknown size, gets none.
func fileBar(name string, size int64, r io.Reader) io.Reader {
	if size <= 0 {
		return r
	}
	bar := progressbar.DefaultBytes(size, "ingest "+name)
	return io.TeeReader(r, bar)
}
