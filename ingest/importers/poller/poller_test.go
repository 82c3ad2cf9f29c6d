package poller_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/poller"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// TestPollerOutcomes: each source runs at once and again after its
// interval; every run is counted by outcome, and the last success time is
// set only by runs that stored something.
func TestPollerOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sum         importers.Summary
		err         error
		outcome     string
		lastSuccess bool
	}{
		{"success", importers.Summary{Stored: 3}, nil, poller.Success, true},
		{"partial", importers.Summary{Stored: 2, ProblemCount: 1, Problems: []importers.Problem{{Kind: "log_entry", ID: "R1"}}}, nil, poller.Partial, true},
		{"failure", importers.Summary{}, errors.New("pagerduty: 401 Unauthorized: check the token in /etc/pd.token"), poller.Failure, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			var runs atomic.Int32
			ctx, cancel := context.WithCancel(context.Background())
			src := poller.Source{Name: "pagerduty", Every: 20 * time.Millisecond, Run: func(context.Context) (importers.Summary, error) {
				if runs.Add(1) == 2 {
					cancel() // the second run is the last: the poller stops after it
				}
				return tc.sum, tc.err
			}}
			p, err := poller.New(reg, nil, src)
			if err != nil {
				t.Fatal(err)
			}
			var told atomic.Int32
			p.OnRun = func(string, importers.Summary, error) { told.Add(1) }
			// Before any run, every outcome of the source is exposed at 0.
			if n := testutil.CollectAndCount(reg, mn.ImportRunsTotal); n != 3 {
				t.Fatalf("%d series of %s before the first run, want 3 (one per outcome)", n, mn.ImportRunsTotal)
			}
			if err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]float64{}
			last := 0.0
			for _, mf := range mfs {
				for _, m := range mf.GetMetric() {
					switch mf.GetName() {
					case mn.ImportRunsTotal:
						for _, l := range m.GetLabel() {
							if l.GetName() == mn.LabelOutcome {
								counts[l.GetValue()] = m.GetCounter().GetValue()
							}
						}
					case mn.ImportLastSuccessTimestampSeconds:
						last = m.GetGauge().GetValue()
					}
				}
			}
			// Two runs: the first, then one after the interval; the
			// second's result is dropped (the poller was stopping).
			if counts[tc.outcome] != 1 {
				t.Errorf("runs by outcome %v, want 1 %s (the run during shutdown is not counted)", counts, tc.outcome)
			}
			if (last > 0) != tc.lastSuccess {
				t.Errorf("last success %v, want set: %v", last, tc.lastSuccess)
			}
			if told.Load() != 1 {
				t.Errorf("OnRun told %d times, want 1", told.Load())
			}
		})
	}
}

// TestPollerRefusesBadSources: a source without a name, run function or
// interval is a programming error, refused before anything runs.
func TestPollerRefusesBadSources(t *testing.T) {
	run := func(context.Context) (importers.Summary, error) { return importers.Summary{}, nil }
	for _, s := range []poller.Source{{Every: time.Second, Run: run}, {Name: "x", Every: time.Second}, {Name: "x", Run: run}} {
		if _, err := poller.New(nil, nil, s); err == nil {
			t.Errorf("poller.New(%+v) accepted it", s)
		}
	}
}
