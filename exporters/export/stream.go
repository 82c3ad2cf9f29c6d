package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/handover"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/store"
)

// Stream computes job as Run does as of at and writes the file's content
// to w instead of a directory: no file is left and nothing is pruned
// (serve's GET /api/v1/export). job.Dir is not used. Everything is
// computed before the first byte is written, so an error is never half a
// file.
func Stream(ctx context.Context, st *store.Store, job Job, at time.Time, base analytics.Config, w io.Writer) error {
	if job.Dir == "" {
		job.Dir = "." // validate wants one; Stream writes none
	}
	job = job.withDefaults()
	if err := job.validate(); err != nil {
		return fmt.Errorf("export %q: %w", job.Name, err)
	}
	win, err := analytics.ParseWindow(job.Window)
	if err != nil {
		return err
	}
	cfg := base
	cfg.Now = at.UTC()
	cfg.Windows = []analytics.Window{win}
	switch job.What {
	case FatigueReport:
		f, _ := report.ParseFormat(job.Format)
		r, err := report.Build(ctx, st, report.Options{Config: cfg, Window: win, Team: job.Team})
		if err != nil {
			return fmt.Errorf("export %q: %w", job.Name, err)
		}
		return r.Write(w, f)
	case Handover:
		f, _ := report.ParseFormat(job.Format)
		d, err := handover.Build(ctx, st, handover.Options{Config: cfg, Window: win, Team: job.Team})
		if err != nil {
			return fmt.Errorf("export %q: %w", job.Name, err)
		}
		return d.Write(w, f)
	}
	t, err := table(ctx, st, job.What, cfg, win)
	if err != nil {
		return fmt.Errorf("export %q: %w", job.Name, err)
	}
	switch job.Format {
	case CSV:
		return WriteCSV(w, t)
	case JSONL:
		return WriteJSONL(w, t)
	}
	// DuckDB's COPY writes Parquet by path: through a private temp file.
	dir, err := os.MkdirTemp("", "pagerlens-export-")
	if err != nil {
		return fmt.Errorf("export %q: %w", job.Name, err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "export.parquet")
	if err := WriteParquet(ctx, path, t); err != nil {
		return fmt.Errorf("export %q: %w", job.Name, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("export %q: %w", job.Name, err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("export %q: %w", job.Name, err)
	}
	return nil
}

// FileName is the name Run gives job's file for a run at at (its Filename
// pattern, in its Timezone).
func (j Job) FileName(at time.Time) (string, error) {
	j = j.withDefaults()
	return j.fileName(at.In(j.location()))
}
