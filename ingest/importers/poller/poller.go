// Package poller runs API imports on an interval inside serve, for teams
// that cannot expose a webhook endpoint (docs/import.md, "Polling in
// serve"). Each source resumes from the cursor its importer keeps in the
// store, so a restart neither misses nor repeats; a vendor outage is
// counted and logged, and never makes serve unready.
package poller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/ingest/importers"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// Outcomes of a run, the outcome label of pagerlens_import_runs_total.
const (
	Success = "success" // everything read was stored; the cursor moved to now
	Partial = "partial" // stored, with problems (dead-lettered) to read again
	Failure = "failure" // the run stopped (network, auth, store): retried next time
)

// Source is one configured import.
type Source struct {
	Name  string        // the source label: pagerduty, opsgenie, …
	Every time.Duration // time between the end of a run and the next
	// Run imports what is new since the source's cursor. A Summary with
	// problems and a nil error is a partial run.
	Run func(ctx context.Context) (importers.Summary, error)
}

// Poller runs its sources, each on its own interval.
type Poller struct {
	sources []Source
	runs    *prometheus.CounterVec
	last    *prometheus.GaugeVec
	log     *slog.Logger
	// OnRun, if set, is called after each run (serve pokes the analytics
	// refresher, so imported history shows at once).
	OnRun func(source string, s importers.Summary, err error)
}

// New builds the poller and registers its metrics on r, each source's
// series at 0 so that a dashboard shows 0 before the first run.
func New(r prometheus.Registerer, log *slog.Logger, sources ...Source) (*Poller, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Poller{sources: sources, log: log,
		runs: mn.NewCounterVec(mn.ImportRunsTotal), last: mn.NewGaugeVec(mn.ImportLastSuccessTimestampSeconds)}
	for _, s := range sources {
		if s.Name == "" || s.Run == nil || s.Every <= 0 {
			return nil, errors.New("import poller: a source needs a name, a run function and a positive interval")
		}
		for _, o := range []string{Success, Partial, Failure} {
			p.runs.WithLabelValues(s.Name, o)
		}
	}
	if err := mn.Register(r, "import poller", p.runs, p.last); err != nil {
		return nil, err
	}
	return p, nil
}

// Run polls every source until ctx ends: the first run at once, then
// Every after each run ends (runs of one source never overlap).
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, s := range p.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p.once(ctx, s)
				select {
				case <-ctx.Done():
					return
				case <-time.After(s.Every):
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

func (p *Poller) once(ctx context.Context, s Source) {
	start := time.Now()
	sum, err := s.Run(ctx)
	if ctx.Err() != nil {
		return // stopping: not a failure of the source
	}
	outcome := Success
	switch {
	case err != nil:
		outcome = Failure
		p.log.Warn("import run failed; the next run resumes from the stored cursor", "source", s.Name, "err", err, "retry_in", s.Every)
	case len(sum.Problems) > 0:
		outcome = Partial
		p.log.Warn("import run stored what it could; problems were dead-lettered", "source", s.Name, "problems", len(sum.Problems), "summary", sum.String())
	default:
		p.log.Debug("import run", "source", s.Name, "took", time.Since(start).Round(time.Millisecond), "summary", sum.String())
	}
	p.runs.WithLabelValues(s.Name, outcome).Inc()
	if outcome != Failure {
		p.last.WithLabelValues(s.Name).Set(float64(time.Now().Unix()))
	}
	if p.OnRun != nil {
		p.OnRun(s.Name, sum, err)
	}
}
