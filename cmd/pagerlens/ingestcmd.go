package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

func newIngestCmd() *cobra.Command {
	var (
		configFile    string
		db, format    string
		batchSize     int
		memoryLimit   string
		goMemoryLimit string
		quiet         bool
		deferDerived  string
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
			if _, err := decode.New(format, decode.DefaultOptions()); err != nil {
				return usageErrorf("--format: %v", err)
			}
			cfg := config.Default()
			if changed(cmd, "config") {
				var err error
				if cfg, err = config.Load(configFile); err != nil {
					return exitError{code: 2, err: err}
				}
			}
			if changed(cmd, "db") || cfg.DB == "" {
				cfg.DB = db
			}
			if changed(cmd, "memory-limit") {
				cfg.Store.MemoryLimit = memoryLimit
			}
			if changed(cmd, "go-memory-limit") {
				cfg.Store.GoMemoryLimit = goMemoryLimit
			}
			if err := cfg.Validate(configFile); err != nil {
				return err
			}
			lim := event.DefaultLimits()
			applyLimits(&lim, cfg.Limits)
			dec := decodeOptions(lim, cfg.Mappings)
			if _, err := decode.New(format, dec); err != nil {
				return exitError{code: 2, err: fmt.Errorf("ingest: mappings in %s: %w", configFile, err)}
			}
			if deferDerived != "auto" && deferDerived != "always" && deferDerived != "never" {
				return usageErrorf("--defer-derived: %q, want auto, always or never", deferDerived)
			}
			// Same bound as serve: a backfill holds DuckDB's buffer pool
			// plus batches of up to --batch-size decoded events in flight.
			if err := applyGoMemoryLimit("ingest", cfg.Store.GoMemoryLimit); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
			if err != nil {
				return err
			}
			defer st.Close()
			finish, err := deferDerivedTables(ctx, st, deferDerived)
			if err != nil {
				return err
			}
			if finish == nil {
				// Per batch, but beside the next batch's write (store/derive.go);
				// Close waits for the last one.
				if err := st.SetAsyncDerived(ctx, true); err != nil {
					return err
				}
			}
			total, err := ingestFiles(ctx, st, files, format, batchSize, quiet, dec)
			if finish != nil && ctx.Err() == nil {
				// Also after a failed file: the events committed before it
				// get their derived rows now rather than at the next open.
				if ferr := finish(ctx); ferr != nil {
					return errors.Join(err, ferr)
				}
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d messages: %d events stored, %d duplicates skipped, %d dead-lettered\n",
				total.Messages, total.Stored, total.Duplicates, total.DeadLettered)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML config file, as for serve (mappings, limits, db, store)")
	f.StringVar(&db, "db", "pagerlens.duckdb", "DuckDB file")
	f.StringVar(&format, "format", decode.Canonical, "format of the files' messages")
	f.IntVar(&batchSize, "batch-size", 50000, "events per transaction")
	f.StringVar(&memoryLimit, "memory-limit", "1GB", "DuckDB memory_limit")
	f.StringVar(&deferDerived, "defer-derived", "auto", "build the analytics tables once at the end instead of per batch: auto (when the store is empty), always or never")
	goMemoryLimitFlag(f, &goMemoryLimit)
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar and no per-file log line (warnings and errors still go to stderr)")
	return cmd
}

// deferDerivedTables starts a bulk load (store.DeferDerived) when mode asks
// for one: "auto" does on an empty store, where the one rebuild at the end
// reads only what this run loads; on a full store it would re-read all of it.
func deferDerivedTables(ctx context.Context, st *store.Store, mode string) (func(context.Context) error, error) {
	if mode == "never" {
		return nil, nil
	}
	if mode == "auto" {
		c, err := st.Count(ctx)
		if err != nil {
			return nil, err
		}
		if c.Events > 0 {
			return nil, nil
		}
	}
	return st.DeferDerived(ctx)
}

func ingestFiles(ctx context.Context, st *store.Store, files []string, format string, batchSize int, quiet bool, dec decode.Options) (ingest.FileStats, error) {
	var total ingest.FileStats
	for _, f := range files {
		s, err := ingest.IngestFile(ctx, f, st, ingest.FileConfig{
			Format: format, BatchSize: batchSize, Progress: !quiet,
			Decode: dec,
		})
		total.Messages += s.Messages
		total.Stored += s.Stored
		total.Duplicates += s.Duplicates
		total.DeadLettered += s.DeadLettered
		if err != nil {
			return total, err
		}
		// -q is for scripts and cron: the summary on stdout is the
		// result; warnings and errors still reach stderr.
		if quiet {
			continue
		}
		slog.Info("ingested", "file", f, "messages", s.Messages, "stored", s.Stored, "duplicates", s.Duplicates, "dead_lettered", s.DeadLettered)
	}
	return total, nil
}

func decodeOptions(lim event.Limits, m decode.Mappings) decode.Options {
	o := decode.DefaultOptions()
	o.Limits = lim
	o.Mappings = m
	return o
}
