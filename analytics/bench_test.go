package analytics_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// benchEvents is the stream size: PAGERLENS_BENCH_EVENTS, default 100k.
func benchEvents(b *testing.B) int {
	if s := os.Getenv("PAGERLENS_BENCH_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("PAGERLENS_BENCH_EVENTS=%q: want a positive integer", s)
		}
		return n
	}
	return 100_000
}

var benchNow = mustTime("2026-03-09T00:00:00Z")

// writeInBatches stores evs in batches of size n in time order, as a live
// ingest (or a backfill of a time-ordered export) would.
func writeInBatches(b *testing.B, s *store.Store, evs []event.Event, n int) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	for i := 0; i < len(evs); i += n {
		write(b, s, evs[i:min(i+n, len(evs))]...)
	}
}

// BenchmarkSnapshot: Compute over a store of N synthetic events spread over
// 365 days (default windows 7d, 30d, 90d), every section included.
func BenchmarkSnapshot(b *testing.B) {
	evs := genEvents(benchEvents(b), 365, 1, benchNow)
	s := openStore(b)
	writeInBatches(b, s, evs, 5000)
	cfg := analytics.DefaultConfig(benchNow)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := analytics.Compute(ctx, s, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteBatch: one 5k-event batch, derived tables included, into a
// store that already holds N events.
func BenchmarkWriteBatch(b *testing.B) {
	evs := genEvents(benchEvents(b), 365, 1, benchNow)
	s := openStore(b)
	writeInBatches(b, s, evs, 5000)
	b.ResetTimer()
	seed := uint64(2)
	for b.Loop() {
		b.StopTimer()
		seed++
		more := genEvents(5000, 1, seed, benchNow.Add(time.Hour))
		for i := range more {
			more[i].ID = "more-" + strconv.FormatUint(seed, 10) + "-" + more[i].ID
		}
		b.StartTimer()
		write(b, s, more...)
	}
}

// BenchmarkTune: the alert-tuning simulations (pagerlens tune) over the
// default 30d window of a store of N synthetic events spread over 365 days.
func BenchmarkTune(b *testing.B) {
	evs := genEvents(benchEvents(b), 365, 1, benchNow)
	s := openStore(b)
	writeInBatches(b, s, evs, 5000)
	cfg := analytics.DefaultConfig(benchNow)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := analytics.TuneStore(ctx, s, cfg, analytics.DefaultTuneWindow); err != nil {
			b.Fatal(err)
		}
	}
}
