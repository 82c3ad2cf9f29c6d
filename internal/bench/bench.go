// Package bench measures every stage of pagerlens next to the limit of the
// library below it, in the same run, and prints one table (pagerlens bench,
// make bench). The machine may be shared, so a figure is only ever compared
// with a limit measured minutes apart in the same process, as a ratio.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config sizes a run. Defaults (DefaultConfig) finish in about ten minutes
// on a loaded 2-core machine; the full sizes are
// --events 1000000 --stored 50000000 --snapshot-events 1000000,10000000.
type Config struct {
	Events         int           // consume, backfill: messages produced / lines written
	DecodeEvents   int           // decode: messages decoded per decoder and round
	Stored         int           // store: events already in the store before the measured batches
	StoreBatches   int           // store: measured batches
	BatchSize      int           // store: events per batch
	SnapshotEvents []int         // analytics: store sizes for Snapshot
	MemEvents      int           // memory: events ingested by a child `pagerlens ingest` whose peak RSS is reported
	SoakDuration   time.Duration // soak: how long each steady stream runs
	SoakRate       int           // soak: webhook requests a second (two alerts each)
	SoakKafkaRate  int           // soak: canonical events a second through Kafka
	APIRate        int           // api: canonical events a second produced during the phases; 0: a backlog of Events
	Stages         []string
	Dir            string // scratch directory; "" means a temporary one
	Exe            string // the pagerlens binary, for child processes
	Log            *slog.Logger
	Progress       io.Writer // progress lines; nil for none
}

// DefaultConfig is what make bench runs.
func DefaultConfig() Config {
	return Config{
		Events:         500_000,
		DecodeEvents:   200_000,
		Stored:         10_000_000,
		StoreBatches:   10,
		BatchSize:      50_000,
		SnapshotEvents: []int{1_000_000, 10_000_000},
		MemEvents:      2_000_000,
		SoakDuration:   3 * time.Minute,
		SoakRate:       200,
		SoakKafkaRate:  400,
		APIRate:        2000,
		Stages:         AllStages,
	}
}

// AllStages in the order they run.
var AllStages = []string{"decode", "store", "consume", "backfill", "memory", "soak", "analytics", "scrape", "api"}

// Row is one line of the table: a figure next to its limit.
type Row struct {
	Stage  string
	What   string
	Figure string
	Limit  string // the limit measured in the same run, with what it is
	Ratio  string // figure ÷ limit, where a limit exists
	Target string
	Met    *bool // nil: no target
	Note   string
}

func met(b bool) *bool { return &b }

// Result is one run.
type Result struct {
	Rows    []Row
	Started time.Time
	Took    time.Duration
	Config  Config
	Notes   []string // profile breakdowns and other context
}

type runner struct {
	cfg  Config
	dir  string
	res  *Result
	ctx  context.Context
	logf func(format string, args ...any)

	stores   map[int]storeInfo // analytics stores by requested size
	bareRate float64           // the store stage's bare Appender rate
	filled   string            // the store stage's store (cfg.Stored filler and its batches), closed
}

// Run measures cfg.Stages.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	d := DefaultConfig()
	if cfg.Events <= 0 {
		cfg.Events = d.Events
	}
	if cfg.DecodeEvents <= 0 {
		cfg.DecodeEvents = d.DecodeEvents
	}
	if cfg.Stored < 0 {
		cfg.Stored = 0
	}
	if cfg.StoreBatches <= 0 {
		cfg.StoreBatches = d.StoreBatches
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = d.BatchSize
	}
	if len(cfg.SnapshotEvents) == 0 {
		cfg.SnapshotEvents = d.SnapshotEvents
	}
	if cfg.MemEvents <= 0 {
		cfg.MemEvents = d.MemEvents
	}
	if cfg.SoakDuration <= 0 {
		cfg.SoakDuration = d.SoakDuration
	}
	if cfg.SoakRate <= 0 {
		cfg.SoakRate = d.SoakRate
	}
	if cfg.SoakKafkaRate <= 0 {
		cfg.SoakKafkaRate = d.SoakKafkaRate
	}
	if len(cfg.Stages) == 0 {
		cfg.Stages = AllStages
	}
	dir := cfg.Dir
	if dir == "" {
		t, err := os.MkdirTemp("", "pagerlens-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(t)
		dir = t
	}
	r := &runner{cfg: cfg, dir: dir, ctx: ctx, res: &Result{Started: time.Now(), Config: cfg}}
	r.logf = func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench: "+format+"\n", args...)
		}
	}
	stages := map[string]func() error{
		"decode": r.decode, "store": r.store, "consume": r.consume, "backfill": r.backfill,
		"memory": r.memory, "soak": r.soak, "scrape": r.scrape, "analytics": r.analytics, "api": r.api,
	}
	for _, s := range cfg.Stages {
		f, ok := stages[s]
		if !ok {
			return nil, fmt.Errorf("bench: unknown stage %q (want %s)", s, strings.Join(AllStages, ", "))
		}
		start := time.Now()
		r.logf("%s …", s)
		if err := f(); err != nil {
			return r.res, fmt.Errorf("bench %s: %w", s, err)
		}
		r.logf("%s done in %s", s, time.Since(start).Round(time.Second))
		if err := ctx.Err(); err != nil {
			return r.res, err
		}
	}
	r.res.Took = time.Since(r.res.Started)
	return r.res, nil
}

func (r *runner) add(row Row) { r.res.Rows = append(r.res.Rows, row) }

func (r *runner) note(format string, args ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, args...))
}

func (r *runner) path(name string) string { return filepath.Join(r.dir, name) }

// rate formats events per second.
func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM/s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk/s", v/1e3)
	}
	return fmt.Sprintf("%.0f/s", v)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
