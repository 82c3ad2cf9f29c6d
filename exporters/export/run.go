package export

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/store"
)

// Result is what one run wrote and pruned.
type Result struct {
	Path   string   // the file written
	Rows   int      // rows exported (0 for a fatigue report)
	Pruned []string // file names removed by retention
}

// Run performs job once as of at: it computes what the job exports for the
// window ending at at, writes the file atomically in job.Dir and applies
// the retention. base carries the analytics settings (roster, thresholds);
// its Now and Windows are set from at and the job.
func Run(ctx context.Context, st *store.Store, job Job, at time.Time, base analytics.Config) (Result, error) {
	job = job.withDefaults()
	if err := job.validate(); err != nil {
		return Result{}, fmt.Errorf("export %q: %w", job.Name, err)
	}
	res, err := run(ctx, st, job, at, base)
	if err != nil {
		return res, fmt.Errorf("export %q: %w", job.Name, err)
	}
	return res, nil
}

func run(ctx context.Context, st *store.Store, job Job, at time.Time, base analytics.Config) (Result, error) {
	w, err := analytics.ParseWindow(job.Window)
	if err != nil {
		return Result{}, err
	}
	cfg := base
	cfg.Now = at.UTC()
	cfg.Windows = []analytics.Window{w}
	name, err := job.fileName(at.In(job.location()))
	if err != nil {
		return Result{}, err
	}

	fill, rows, err := content(ctx, st, job, cfg, w)
	if err != nil {
		return Result{}, err
	}
	path, err := writeAtomic(job.Dir, name, fill)
	if err != nil {
		return Result{}, err
	}
	res := Result{Path: path, Rows: rows}
	res.Pruned, err = prune(job.Dir, job, job.Retention)
	return res, err
}

// content computes what job exports with cfg (Now and the one window w
// set) and returns the writer of its file: to out, or, for writers that
// need a path (DuckDB's COPY), to tmpPath. rows counts a table's rows.
func content(ctx context.Context, st *store.Store, job Job, cfg analytics.Config, w analytics.Window) (fill func(out io.Writer, tmpPath string) error, rows int, err error) {
	if job.What == FatigueReport {
		f, _ := report.ParseFormat(job.Format)
		r, err := report.Build(ctx, st, report.Options{Config: cfg, Window: w, Team: job.Team})
		if err != nil {
			return nil, 0, err
		}
		return func(out io.Writer, _ string) error { return r.Write(out, f) }, 0, nil
	}
	t, err := table(ctx, st, job.What, cfg, w)
	if err != nil {
		return nil, 0, err
	}
	switch job.Format {
	case CSV:
		fill = func(out io.Writer, _ string) error { return WriteCSV(out, t) }
	case JSONL:
		fill = func(out io.Writer, _ string) error { return WriteJSONL(out, t) }
	case Parquet:
		fill = func(_ io.Writer, p string) error { return WriteParquet(ctx, p, t) }
	}
	return fill, len(t.Rows), nil
}

// table computes the rows of a tabular export.
func table(ctx context.Context, st *store.Store, what What, cfg analytics.Config, w analytics.Window) (Table, error) {
	if what == Incidents {
		return IncidentsTable(ctx, st.DB(), cfg.Now, w.Duration)
	}
	snap, err := analytics.Compute(ctx, st, cfg)
	if err != nil {
		return Table{}, err
	}
	switch what {
	case MTTx:
		return MTTxTable(snap, w.Name), nil
	case AlertQuality:
		return AlertQualityTable(snap, w.Name), nil
	case OnCallLoad:
		return OnCallLoadTable(snap, w.Name), nil
	}
	return Table{}, fmt.Errorf("what %q is not a table", what)
}
