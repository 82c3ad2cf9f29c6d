// Package testkit holds the test helpers that several packages' tests need
// alike (a fresh store, the fixed synthetic world, a running consumer, a
// free port, a throw-away PKI, an external tool, a Prometheus query client),
// so that each is written, and fixed, once.
//
// It imports store, analytics, ingest and synth: only external test
// packages (package foo_test) of those may use it, or the import would
// cycle.
package testkit

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

// OpenStore opens a fresh DuckDB file in tb.TempDir(), closed when the test
// ends.
func OpenStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "p.duckdb"), store.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// SynthStore is OpenStore with analytics attached, holding a small fixed
// synthetic world: 2 teams of 3 responders, 5 weeks ending at end. synth
// pins the stream by its seed, so golden files and expected tables built
// from it stay put.
func SynthStore(tb testing.TB, end time.Time) *store.Store {
	tb.Helper()
	ctx := context.Background()
	s := OpenStore(tb)
	if err := analytics.Attach(ctx, s); err != nil {
		tb.Fatal(err)
	}
	var rows []store.Row
	cfg := synth.Config{Seed: 7, Teams: 2, ServicesPerTeam: 2, RespondersPerTeam: 3, RulesPerService: 2, Days: 35, End: end}
	if err := synth.Generate(cfg, func(e event.Event) error {
		rows = append(rows, store.Row{Event: e, Topic: "synth", Offset: int64(len(rows))})
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows}); err != nil {
		tb.Fatal(err)
	}
	return s
}

// StoredIDs returns how many times each event id is in s: the exactly-once
// checks want every count to be 1.
func StoredIDs(tb testing.TB, s *store.Store) map[string]int {
	tb.Helper()
	rows, err := s.DB().Query(`SELECT id, count(*) FROM events GROUP BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			tb.Fatal(err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// WaitCounts polls s until it holds events events and dead dead letters,
// failing the test after 30 s.
func WaitCounts(tb testing.TB, s *store.Store, events, dead int64) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := s.Count(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if c.Events == events && c.DeadLetters == dead {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("store has %d events and %d dead letters, want %d and %d", c.Events, c.DeadLetters, events, dead)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RunConsumer runs an ingest.Consumer of cfg into s in the background. stop
// cancels it and fails the test if Run returned an error or did not return
// within 15 s.
func RunConsumer(tb testing.TB, cfg ingest.Config, s *store.Store) (stop func()) {
	tb.Helper()
	c, err := ingest.NewConsumer(cfg, s)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			tb.Fatal("consumer did not stop within 15 s")
		}
	}
}

// FreePort picks a loopback port, for a server that must be told its port
// before it starts or come back on the same port after a restart.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
