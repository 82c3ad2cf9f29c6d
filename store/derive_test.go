package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

func watermarkIsLatest(t *testing.T, s *store.Store) {
	t.Helper()
	var ok bool
	err := s.DB().QueryRowContext(context.Background(),
		`SELECT (SELECT max(through) FROM derived_state) IS NOT DISTINCT FROM (SELECT max(ingested_at) FROM events)`).Scan(&ok)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("derived watermark is not the newest ingested_at")
	}
}

// TestAsyncDerived: with the derived tables updated off the write path,
// SyncDerived sees every committed batch, replays change nothing, and the
// result equals a rebuild.
func TestAsyncDerived(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAsyncDerived(ctx, true); err != nil {
		t.Fatal(err)
	}
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	b := ev("b", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})
	c := ev("c", event.IncidentTriggered, "2026-03-02T04:11:00Z", event.Data{IncidentID: "I2"})
	// Many small batches, so that the deriver falls behind and folds
	// several of them into one update; a and b come twice.
	batches := [][]store.Row{rows(a), rows(a, b), rows(b), rows(c)}
	for i := 0; i < 20; i++ {
		e := ev("x"+strings.Repeat("y", i), event.IncidentAcknowledged, "2026-03-02T05:00:00Z", event.Data{IncidentID: "I3"})
		batches = append(batches, rows(e))
	}
	for _, batch := range batches {
		if _, err := s.WriteBatch(ctx, store.Batch{Rows: batch}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SyncDerived(ctx); err != nil {
		t.Fatal(err)
	}
	// I1: a, b (their replays skipped); I2: c; I3: the 20 acks.
	if n1, n2, n3 := perIncidentCount(t, s, "I1"), perIncidentCount(t, s, "I2"), perIncidentCount(t, s, "I3"); n1 != 2 || n2 != 1 || n3 != 20 {
		t.Fatalf("per_incident = %d, %d, %d; want 2, 1, 20", n1, n2, n3)
	}
	watermarkIsLatest(t, s)
	if err := s.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if n1, n3 := perIncidentCount(t, s, "I1"), perIncidentCount(t, s, "I3"); n1 != 2 || n3 != 20 {
		t.Fatalf("after rebuild per_incident = %d, %d; want 2, 20", n1, n3)
	}
	// After a rebuild the deriver starts again at the new watermark.
	d := ev("d", event.IncidentResolved, "2026-03-02T06:00:00Z", event.Data{IncidentID: "I2"})
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(d)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDerived(ctx); err != nil {
		t.Fatal(err)
	}
	if n := perIncidentCount(t, s, "I2"); n != 2 {
		t.Fatalf("per_incident(I2) = %d, want 2", n)
	}
}

// TestCatchUpDerived: events committed but never derived (a crash between a
// batch's commit and its asynchronous derivation, here: written while no
// derived table was registered) are derived at the next open, once.
func TestCatchUpDerived(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if err := s.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(a)}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := store.Open(ctx, path, store.DefaultOptions()) // nothing registered
	if err != nil {
		t.Fatal(err)
	}
	b := ev("b", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})
	c := ev("c", event.IncidentTriggered, "2026-03-02T04:11:00Z", event.Data{IncidentID: "I2"})
	for _, batch := range [][]store.Row{rows(b), rows(c)} {
		if _, err := s2.WriteBatch(ctx, store.Batch{Rows: batch}); err != nil {
			t.Fatal(err)
		}
	}
	s2.Close()

	// Read-only: refuses to read derived tables that lag.
	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CatchUpDerived(ctx); err == nil || !strings.Contains(err.Error(), "2 events past the watermark") {
		t.Errorf("read-only CatchUpDerived = %v, want the 2 events past the watermark", err)
	}
	ro.Close()

	s3, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if err := s3.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	if n := perIncidentCount(t, s3, "I1"); n != 1 {
		t.Fatalf("before catch-up per_incident(I1) = %d, want 1 (b not derived)", n)
	}
	caught, err := s3.CatchUpDerived(ctx)
	if err != nil || !caught {
		t.Fatalf("CatchUpDerived = %v, %v; want true, nil", caught, err)
	}
	if n1, n2 := perIncidentCount(t, s3, "I1"), perIncidentCount(t, s3, "I2"); n1 != 2 || n2 != 1 {
		t.Fatalf("after catch-up per_incident = %d, %d; want 2, 1", n1, n2)
	}
	watermarkIsLatest(t, s3)
	if caught, err := s3.CatchUpDerived(ctx); err != nil || caught {
		t.Fatalf("second CatchUpDerived = %v, %v; want false, nil", caught, err)
	}
}

// TestAsyncDerivedFailure: a derivation that fails keeps the committed
// events, makes SyncDerived and the next WriteBatch fail with its error,
// and leaves the watermark where it was for the next open.
func TestAsyncDerivedFailure(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	err := s.RegisterDerived(ctx, store.DerivedTable{Name: "broken", Update: []string{`INSERT INTO no_such_table SELECT 1`}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAsyncDerived(ctx, true); err != nil {
		t.Fatal(err)
	}
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(a)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDerived(ctx); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("SyncDerived = %v, want the derivation's error", err)
	}
	b := ev("b", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(b)}); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("WriteBatch while the deriver fails = %v, want its error", err)
	}
	if c, err := s.Count(ctx); err != nil || c.Events != 1 {
		t.Fatalf("events = %d (%v), want 1: the committed batch stays, the refused one is not written", c.Events, err)
	}
	var behind bool
	if err := s.DB().QueryRowContext(ctx, `SELECT max(through) IS NULL FROM derived_state`).Scan(&behind); err != nil || !behind {
		t.Fatalf("watermark moved past a failed derivation (%v)", err)
	}
}

// TestAsyncDerivedCheckpoints: with appends and derivations side by side
// DuckDB's own checkpoint hardly ever runs, so the deriver checkpoints once
// the WAL passes the threshold (here 64 KiB), and the WAL shrinks.
func TestAsyncDerivedCheckpoints(t *testing.T) {
	defer store.SetCheckpointWAL(64 << 10)()
	ctx := context.Background()
	s, path := openTemp(t)
	if err := s.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	checkpoints := 0
	s.SetTrace(func(step string, _ time.Duration) {
		if step == "derive: checkpoint" {
			mu.Lock()
			checkpoints++
			mu.Unlock()
		}
	})
	if err := s.SetAsyncDerived(ctx, true); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < 5; b++ {
		batch := make([]store.Row, 2000)
		for i := range batch {
			batch[i] = store.Row{Event: ev(fmt.Sprintf("e-%d-%d", b, i), event.IncidentAcknowledged, "2026-03-02T05:00:00Z",
				event.Data{IncidentID: fmt.Sprintf("I%d", i%50), Title: strings.Repeat("t", 100)})}
		}
		if _, err := s.WriteBatch(ctx, store.Batch{Rows: batch}); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncDerived(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	n := checkpoints
	mu.Unlock()
	if n == 0 {
		t.Fatal("the deriver never checkpointed a WAL past the threshold")
	}
	fi, err := os.Stat(path + ".wal")
	if err == nil && fi.Size() > 4<<20 {
		t.Errorf("WAL is %d bytes after %d checkpoints", fi.Size(), n)
	}
	if got := perIncidentCount(t, s, "I0"); got != 5*40 {
		t.Errorf("per_incident(I0) = %d, want 200", got)
	}
}

func TestCheckpointDue(t *testing.T) {
	tests := []struct {
		name      string
		wal       int64
		sinceLast time.Duration
		want      bool
	}{
		{"bulk: past 256 MB at once", 300 << 20, 0, true},
		{"steady: past 16 MiB, a minute after the last", 20 << 20, 61 * time.Second, true},
		{"steady: past 16 MiB, too soon", 20 << 20, 30 * time.Second, false},
		{"small WAL: never mind the time", 10 << 20, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.CheckpointDue(tt.wal, tt.sinceLast); got != tt.want {
				t.Errorf("CheckpointDue(%d, %s) = %v, want %v", tt.wal, tt.sinceLast, got, tt.want)
			}
		})
	}
}

// TestSteadyStreamMemoryBounded: under a trickle of small batches, as
// serve writes webhooks, the rows not yet checkpointed stay in DuckDB's
// memory until a checkpoint; at the 256 MB threshold alone they grew
// without a bound in sight (issue 23: ~100 MiB of RSS over 10 minutes). The
// same stream is written twice, without and with the steady-stream rule
// (scaled down: 64 KiB of WAL, no wait; 12 KB titles so that 400 batches
// show it), and DuckDB's own accounting
// (duckdb_memory()) must be less than half with it.
func TestSteadyStreamMemoryBounded(t *testing.T) {
	ctx := context.Background()
	memoryAfter := func(t *testing.T, steadyWAL int64) (memory int64, checkpoints int) {
		defer store.SetCheckpointSteady(steadyWAL, 0)()
		s, _ := openTemp(t)
		if err := s.RegisterDerived(ctx, perIncident); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		s.SetTrace(func(step string, _ time.Duration) {
			if step == "derive: checkpoint" {
				mu.Lock()
				checkpoints++
				mu.Unlock()
			}
		})
		if err := s.SetAsyncDerived(ctx, true); err != nil {
			t.Fatal(err)
		}
		for b := 0; b < 400; b++ {
			rows := make([]store.Row, 2)
			for i := range rows {
				rows[i] = store.Row{Event: ev(fmt.Sprintf("e-%d-%d", b, i), event.IncidentAcknowledged, "2026-03-02T05:00:00Z",
					event.Data{IncidentID: fmt.Sprintf("I%d-%d", b, i), Title: fmt.Sprintf("%d-%d %s", b, i, strings.Repeat("t", 12000))})}
			}
			if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SyncDerived(ctx); err != nil {
			t.Fatal(err)
		}
		memory, _, err := s.MemoryUsage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return memory, checkpoints
	}
	without, _ := memoryAfter(t, 1<<40)
	with, n := memoryAfter(t, 64<<10)
	t.Logf("duckdb_memory() after 400 small batches: %d KiB at the 256 MB threshold alone, %d KiB with the steady-stream rule (%d checkpoints)", without>>10, with>>10, n)
	if n == 0 {
		t.Fatal("the steady-stream rule never checkpointed")
	}
	if with*2 > without {
		t.Errorf("duckdb_memory() %d KiB with the steady-stream rule, %d KiB without: want less than half", with>>10, without>>10)
	}
}
