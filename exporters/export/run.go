package export

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/exporters/handover"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/store"
)

// Result is what one run wrote and pruned.
type Result struct {
	Path   string   // the file written
	Rows   int      // rows exported (0 for a fatigue report or a handover)
	Pruned []string // file names removed by retention
	// Written is what the job's deliver: targets are sent (summary, JSON
	// machine format, the file's path).
	Written deliver.Written
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

	var fill func(f *os.File, tmpPath string) error
	rows := 0
	written := deliver.Written{Export: job.Name, What: string(job.What), Format: job.ext(), Window: w.Name, Now: cfg.Now}
	// The machine format and the email's charts are built only for a job
	// that delivers: a large incidents table is not encoded twice for
	// nothing.
	deliverTo := len(job.Deliver) > 0
	switch job.What {
	case FatigueReport:
		f, _ := report.ParseFormat(job.Format)
		r, err := report.Build(ctx, st, report.Options{Config: cfg, Window: w, Team: job.Team})
		if err != nil {
			return Result{}, err
		}
		fill = func(out *os.File, _ string) error { return r.Write(out, f) }
		written.Summary = ReportSummary(r)
		if !deliverTo {
			break
		}
		if written.JSON, err = json.Marshal(r); err != nil {
			return Result{}, err
		}
		if f == report.HTML {
			html, imgs, err := r.EmailHTML()
			if err != nil {
				return Result{}, err
			}
			written.EmailHTML = html
			for _, im := range imgs {
				written.Inline = append(written.Inline, deliver.InlineImage{Name: im.Name, ContentType: "image/png", Data: im.PNG})
			}
		}
	case Handover:
		f, _ := report.ParseFormat(job.Format)
		d, err := handover.Build(ctx, st, handover.Options{Config: cfg, Window: w, Team: job.Team})
		if err != nil {
			return Result{}, err
		}
		fill = func(out *os.File, _ string) error { return d.Write(out, f) }
		written.Summary = HandoverSummary(d)
		if !deliverTo {
			break
		}
		if written.JSON, err = json.Marshal(d); err != nil {
			return Result{}, err
		}
	default:
		t, err := table(ctx, st, job.What, cfg, w)
		if err != nil {
			return Result{}, err
		}
		rows = len(t.Rows)
		switch job.Format {
		case CSV:
			fill = func(out *os.File, _ string) error { return WriteCSV(out, t) }
		case JSONL:
			fill = func(out *os.File, _ string) error { return WriteJSONL(out, t) }
		case Parquet:
			fill = func(_ *os.File, p string) error { return WriteParquet(ctx, p, t) }
		}
		written.Summary = TableSummary(job, w.Name, cfg.Now, name, rows)
		if !deliverTo {
			break
		}
		if written.JSON, err = TableJSON(job, w.Name, cfg.Now, t); err != nil {
			return Result{}, err
		}
	}
	path, err := writeAtomic(job.Dir, name, fill)
	if err != nil {
		return Result{}, err
	}
	written.Path = path
	res := Result{Path: path, Rows: rows, Written: written}
	res.Pruned, err = prune(job.Dir, job, job.Retention)
	return res, err
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
