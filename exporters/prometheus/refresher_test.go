package prometheus

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// fakeSource returns a snapshot with Count = call number, or err.
type fakeSource struct {
	calls atomic.Int64
	mu    sync.Mutex
	err   error
}

func (f *fakeSource) Snapshot(_ context.Context, now time.Time) (*analytics.Snapshot, error) {
	n := f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return &analytics.Snapshot{Now: now, Incidents: []analytics.IncidentStats{{Window: "7d", Team: "a", Count: n}}}, nil
}

func (f *fakeSource) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func TestRefreshKeepsLastGoodSnapshot(t *testing.T) {
	reg, err := NewRegistry(RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{}
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	ref := reg.NewRefresher(src, RefresherOptions{Now: func() time.Time { return now }})
	ctx := context.Background()
	steps := []struct {
		fail       error
		wantCount  int64 // pagerlens_incidents served
		wantErrors float64
	}{
		{nil, 1, 0},
		{errors.New("disk on fire"), 1, 1},
		{errors.New("still on fire"), 1, 2},
		{nil, 4, 2},
	}
	for i, s := range steps {
		src.fail(s.fail)
		err := ref.Refresh(ctx)
		if (err != nil) != (s.fail != nil) {
			t.Fatalf("step %d: Refresh error %v, want failure %v", i, err, s.fail != nil)
		}
		snap := reg.Collector.Snapshot()
		if snap == nil || snap.Incidents[0].Count != s.wantCount {
			t.Fatalf("step %d: serving %+v, want count %d", i, snap, s.wantCount)
		}
		if got := testutil.ToFloat64(reg.Refresh.errors); got != s.wantErrors {
			t.Errorf("step %d: %s = %v, want %v", i, mn.AnalyticsRefreshErrorsTotal, got, s.wantErrors)
		}
	}
	if ts := testutil.ToFloat64(reg.Refresh.lastRefresh); ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last refresh timestamp %v is not recent", ts)
	}
}

// Pokes within the gap coalesce into one refresh at its end; Run returns
// nil promptly when its context ends.
func TestRefresherPokesAndShutdown(t *testing.T) {
	reg, err := NewRegistry(RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{}
	ref := reg.NewRefresher(src, RefresherOptions{Interval: time.Hour, MinPokeGap: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ref.Run(ctx) }()
	waitFor(t, func() bool { return src.calls.Load() == 1 }, "the initial refresh")
	for range 20 {
		ref.Poke() // as each ingested batch does
	}
	waitFor(t, func() bool { return src.calls.Load() == 2 }, "one refresh for 20 pokes")
	time.Sleep(300 * time.Millisecond)
	if n := src.calls.Load(); n != 2 {
		t.Errorf("%d refreshes after 20 pokes within the gap, want 2 (initial + 1)", n)
	}
	// After the gap, a poke refreshes at once.
	ref.Poke()
	waitFor(t, func() bool { return src.calls.Load() == 3 }, "a refresh after the gap")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil on shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
