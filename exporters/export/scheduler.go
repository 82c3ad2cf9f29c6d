package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// Outcomes of a run, the outcome label of pagerlens_export_runs_total.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Clock is the scheduler's time source. Tests inject a fake one to run the
// real loop at chosen instants without waiting.
type Clock interface {
	Now() time.Time
	// After fires once d has passed (or right away for d ≤ 0).
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Scheduler.
type Options struct {
	Jobs  []Job
	Store *store.Store
	// Analytics carries the roster and thresholds; Now and Windows are set
	// per run.
	Analytics analytics.Config
	Clock     Clock // default: the wall clock
	Logger    *slog.Logger
	// Registerer takes the scheduler's self-metrics (runs and last success
	// by export); nil: not registered.
	Registerer prometheus.Registerer
	// RunFunc replaces Run (tests); default Run.
	RunFunc func(ctx context.Context, st *store.Store, job Job, at time.Time, base analytics.Config) (Result, error)
	// Deliver configures the delivery of written files (retries, HTTP
	// client); its Logger, Registerer and Exports are set from these
	// options.
	Deliver deliver.Options
}

// Scheduler runs export jobs on their cron schedules. A failed run is
// logged and counted and the job simply runs again at its next tick: an
// export never stops serve.
type Scheduler struct {
	o    Options
	jobs []*scheduled
	log  *slog.Logger

	runs        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	deliverer   *deliver.Deliverer

	mu sync.Mutex // serialises runs: RunNow may race the loop
}

type scheduled struct {
	job  Job
	sch  cron.Schedule
	next time.Time
}

// New validates every job and parses its schedule; any error names the job,
// so serve can refuse a bad config at start.
func New(o Options) (*Scheduler, error) {
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RunFunc == nil {
		o.RunFunc = Run
	}
	s := &Scheduler{o: o, log: o.Logger}
	seen := map[string]bool{}
	var errs []error
	for _, j := range o.Jobs {
		j = j.withDefaults()
		if seen[j.Name] {
			errs = append(errs, fmt.Errorf("export %q: duplicate name", j.Name))
			continue
		}
		seen[j.Name] = true
		if err := j.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := j.DeliverProblems(); err != nil {
			errs = append(errs, err)
			continue
		}
		sch, err := j.ParseSchedule()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.jobs = append(s.jobs, &scheduled{job: j, sch: sch})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.runs = metricnames.NewCounterVec(metricnames.ExportRunsTotal)
	s.lastSuccess = metricnames.NewGaugeVec(metricnames.ExportLastSuccessTimestampSeconds)
	// Every job's series exist from the start at 0, so a job that has never
	// succeeded is visible (and alertable) before its first run. (The last
	// success has no series until there is one: 0 would read as 1970.)
	for _, j := range s.jobs {
		s.runs.WithLabelValues(j.job.Name, OutcomeSuccess)
		s.runs.WithLabelValues(j.job.Name, OutcomeFailure)
	}
	if err := metricnames.Register(o.Registerer, "exports", s.runs, s.lastSuccess); err != nil {
		return nil, err
	}
	do := o.Deliver
	do.Logger, do.Registerer, do.Exports = o.Logger, o.Registerer, map[string][]deliver.Target{}
	for _, j := range s.jobs {
		if len(j.job.Deliver) > 0 {
			do.Exports[j.job.Name] = j.job.Deliver
		}
	}
	d, err := deliver.New(do)
	if err != nil {
		return nil, err
	}
	s.deliverer = d
	return s, nil
}

// Jobs returns the jobs with their defaults applied.
func (s *Scheduler) Jobs() []Job {
	out := make([]Job, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = j.job
	}
	return out
}

// Run fires every job at its schedule's next tick until ctx is done. It
// returns nil on cancellation: a run in progress is cancelled through its
// context and its temp file removed.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.jobs) == 0 {
		<-ctx.Done()
		return nil
	}
	now := s.o.Clock.Now()
	for _, j := range s.jobs {
		j.next = j.sch.Next(now)
		s.log.Info("export scheduled", "export", j.job.Name, "next", j.next)
	}
	for {
		next := s.jobs[0].next
		for _, j := range s.jobs[1:] {
			if j.next.Before(next) {
				next = j.next
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.o.Clock.After(next.Sub(s.o.Clock.Now())):
		}
		s.Tick(ctx, s.o.Clock.Now())
	}
}

// Tick runs, one after the other, every job whose next run is due at now,
// each as of its scheduled instant, and moves it to its following tick
// (whatever the outcome: a failure is retried at the next tick, not in a
// loop). Run calls it; tests call it at chosen instants.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) {
	for _, j := range s.jobs {
		if j.next.IsZero() {
			j.next = j.sch.Next(now.Add(-time.Nanosecond))
		}
		if j.next.After(now) || ctx.Err() != nil {
			continue
		}
		at := j.next
		j.next = j.sch.Next(now)
		_ = s.RunJob(ctx, j.job, at)
	}
}

// RunJob runs one job as of at, logs and counts the outcome, and never
// panics: a panic in a run is recovered and counted as a failure.
func (s *Scheduler) RunJob(ctx context.Context, job Job, at time.Time) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := s.o.Clock.Now()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("export %q: panic: %v", job.Name, p)
		}
		if err != nil {
			s.runs.WithLabelValues(job.Name, OutcomeFailure).Inc()
			s.log.Error("export failed; retried at the next tick", "export", job.Name, "at", at, "err", err)
			return
		}
		s.runs.WithLabelValues(job.Name, OutcomeSuccess).Inc()
		s.lastSuccess.WithLabelValues(job.Name).Set(float64(s.o.Clock.Now().UnixNano()) / 1e9)
	}()
	res, err := s.o.RunFunc(ctx, s.o.Store, job, at, s.o.Analytics)
	if err != nil {
		return err
	}
	s.log.Info("export written", "export", job.Name, "path", res.Path, "rows", res.Rows,
		"pruned", len(res.Pruned), "took", s.o.Clock.Now().Sub(start).Round(time.Millisecond))
	if len(job.Deliver) > 0 {
		// The file is written: delivery outcomes are counted apart and
		// never make the run a failure.
		s.deliverer.Deliver(ctx, res.Written, job.Deliver)
	}
	return nil
}
