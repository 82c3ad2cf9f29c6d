package prometheus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/store"
)

// Source computes a Snapshot as of now. It is the one thing the exporter
// needs from analytics (the consumer defines the interface).
type Source interface {
	Snapshot(ctx context.Context, now time.Time) (*analytics.Snapshot, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, now time.Time) (*analytics.Snapshot, error)

// Snapshot implements Source.
func (f SourceFunc) Snapshot(ctx context.Context, now time.Time) (*analytics.Snapshot, error) {
	return f(ctx, now)
}

// StoreSource computes snapshots from st with config(now) (nil means
// analytics.DefaultConfig). analytics.Attach must have run on st.
func StoreSource(st *store.Store, config func(now time.Time) analytics.Config) Source {
	if config == nil {
		config = analytics.DefaultConfig
	}
	return SourceFunc(func(ctx context.Context, now time.Time) (*analytics.Snapshot, error) {
		snap, err := analytics.Compute(ctx, st, config(now))
		if err != nil {
			return nil, fmt.Errorf("compute snapshot of %s: %w", st.Path(), err)
		}
		return snap, nil
	})
}

// RefresherOptions configure a Refresher; the zero value is usable.
type RefresherOptions struct {
	// Interval between refreshes; 0 means 30 s.
	Interval time.Duration
	// MinPokeGap: a Poke refreshes at most once per MinPokeGap (counted
	// from the previous refresh's start); 0 means 5 s. Pokes within the gap
	// are coalesced into one refresh at its end.
	MinPokeGap time.Duration
	// Timeout bounds one refresh; 0 means Interval.
	Timeout time.Duration
	// Now is the clock of the snapshots; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Default refresh timings.
const (
	DefaultRefreshInterval = 30 * time.Second
	DefaultMinPokeGap      = 5 * time.Second
)

// Refresher recomputes the Snapshot and hands it to the Collector. A failed
// refresh keeps the last good snapshot served and counts
// pagerlens_analytics_refresh_errors_total.
type Refresher struct {
	src     Source
	sink    Sink
	metrics *RefreshMetrics
	opts    RefresherOptions
	poke    chan struct{}

	mu   sync.Mutex // serializes refreshes (Run and a direct Refresh)
	last time.Time  // start of the last refresh attempt
}

// Sink serves snapshots: a Collector or a Registry.
type Sink interface {
	SetSnapshot(*analytics.Snapshot)
	Series() int
}

// NewRefresher refreshes sink from src; metrics may be nil.
func NewRefresher(src Source, sink Sink, metrics *RefreshMetrics, opts RefresherOptions) *Refresher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultRefreshInterval
	}
	if opts.MinPokeGap <= 0 {
		opts.MinPokeGap = DefaultMinPokeGap
	}
	if opts.Timeout <= 0 {
		opts.Timeout = opts.Interval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Refresher{src: src, sink: sink, metrics: metrics, opts: opts, poke: make(chan struct{}, 1)}
}

// Poke asks for a refresh soon (after an ingested batch). It never blocks:
// the ingest goroutine calls it.
func (r *Refresher) Poke() {
	select {
	case r.poke <- struct{}{}:
	default: // one is already pending
	}
}

// Refresh recomputes the snapshot now. On failure the collector keeps the
// last good snapshot.
func (r *Refresher) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	r.last = start
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	snap, err := r.src.Snapshot(ctx, r.opts.Now())
	took := time.Since(start)
	if err != nil {
		// A refresh cut short by shutdown is not an analytics failure.
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return err
		}
		if r.metrics != nil {
			r.metrics.refreshed(start, took, err)
		}
		r.opts.Logger.Error("analytics refresh failed; serving the last good snapshot", "err", err, "took", took)
		return fmt.Errorf("analytics refresh: %w", err)
	}
	r.sink.SetSnapshot(snap)
	if r.metrics != nil {
		r.metrics.refreshed(start, took, nil)
	}
	r.opts.Logger.Debug("analytics refreshed", "took", took, "series", r.sink.Series())
	return nil
}

// Run refreshes at once, then every Interval and after pokes, until ctx
// ends. Refresh failures are logged and counted, never returned: the
// exporter keeps serving.
func (r *Refresher) Run(ctx context.Context) error {
	_ = r.Refresh(ctx)
	tick := time.NewTicker(r.opts.Interval)
	defer tick.Stop()
	var deferred *time.Timer
	var deferredC <-chan time.Time
	defer func() {
		if deferred != nil {
			deferred.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			_ = r.Refresh(ctx)
		case <-r.poke:
			if deferredC != nil {
				continue // a refresh is already scheduled
			}
			r.mu.Lock()
			wait := time.Until(r.last.Add(r.opts.MinPokeGap))
			r.mu.Unlock()
			if wait <= 0 {
				_ = r.Refresh(ctx)
				continue
			}
			deferred = time.NewTimer(wait)
			deferredC = deferred.C
		case <-deferredC:
			deferred, deferredC = nil, nil
			_ = r.Refresh(ctx)
		}
	}
}
