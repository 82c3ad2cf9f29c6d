package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// IngestOptions are what `pagerlens ingest` adds to the configuration.
type IngestOptions struct {
	Files  []string // "-" for stdin
	Format string   // decode format of every file
	// BatchSize is the events per transaction (ingest.DefaultFileBatchSize).
	BatchSize int
	// DeferDerived: "auto" (build the analytics tables once at the end
	// when the store is empty), "always" or "never".
	DeferDerived string
	// Quiet leaves out the per-file log line.
	Quiet bool
	// Read, if set, wraps each file's reader (the command's progress bar).
	Read func(name string, size int64, r io.Reader) io.Reader
}

// Ingest backfills opts.Files into cfg.DB with cfg's mappings, limits and
// store settings, as serve would store the same events live.
func Ingest(ctx context.Context, cfg config.Config, opts IngestOptions) (ingest.FileStats, error) {
	dec := cfg.DecodeOptions()
	if _, err := decode.New(opts.Format, dec); err != nil {
		return ingest.FileStats{}, config.Invalid(fmt.Errorf("ingest: mappings: %w", err))
	}
	if opts.DeferDerived != "auto" && opts.DeferDerived != "always" && opts.DeferDerived != "never" {
		return ingest.FileStats{}, config.Invalid(fmt.Errorf("--defer-derived: %q, want auto, always or never", opts.DeferDerived))
	}
	// Same bound as serve: a backfill holds DuckDB's buffer pool plus
	// batches of up to BatchSize decoded events in flight.
	if err := applyGoMemoryLimit("ingest", cfg.Store.GoMemoryLimit); err != nil {
		return ingest.FileStats{}, err
	}
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return ingest.FileStats{}, err
	}
	defer st.Close()
	finish, err := deferDerivedTables(ctx, st, opts.DeferDerived)
	if err != nil {
		return ingest.FileStats{}, err
	}
	if finish == nil {
		// Per batch, but beside the next batch's write (store/derive.go);
		// Close waits for the last one.
		if err := st.SetAsyncDerived(ctx, true); err != nil {
			return ingest.FileStats{}, err
		}
	}
	total, err := ingestFiles(ctx, st, opts, dec)
	if finish != nil && ctx.Err() == nil {
		// Also after a failed file: the events committed before it get
		// their derived rows now rather than at the next open.
		if ferr := finish(ctx); ferr != nil {
			return total, errors.Join(err, ferr)
		}
	}
	return total, err
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

func ingestFiles(ctx context.Context, st *store.Store, opts IngestOptions, dec decode.Options) (ingest.FileStats, error) {
	var total ingest.FileStats
	for _, f := range opts.Files {
		s, err := ingest.IngestFile(ctx, f, st, ingest.FileConfig{
			Format: opts.Format, BatchSize: opts.BatchSize, Read: opts.Read, Decode: dec,
		})
		total.Add(s)
		if err != nil {
			return total, err
		}
		// -q is for scripts and cron: the summary on stdout is the
		// result; warnings and errors still reach stderr.
		if opts.Quiet {
			continue
		}
		slog.Info("ingested", "file", f, "messages", s.Messages, "stored", s.Stored, "duplicates", s.Duplicates, "dead_lettered", s.DeadLettered)
	}
	return total, nil
}
