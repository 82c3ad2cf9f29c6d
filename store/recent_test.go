package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

func recentRows(prefix string, n int, base time.Time) []Row {
	out := make([]Row, n)
	for i := range out {
		out[i] = Row{Event: event.Event{ID: fmt.Sprintf("%s-%d", prefix, i), Source: "t", Type: event.PageNotified,
			Time: base.Add(time.Duration(i) * time.Second), Data: event.Data{IncidentID: "I", Responder: "r"}}, Topic: "t"}
	}
	return out
}

func mustWrite(t *testing.T, s *Store, rows []Row) Result {
	t.Helper()
	res, err := s.WriteBatch(context.Background(), Batch{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRecentIDsNeverDropOnAHashAlone: a hash hit (here forced, as a
// collision would) only makes a row a candidate; the store decides, so a
// new event whose hash is in the set is still stored.
func TestRecentIDsNeverDropOnAHashAlone(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "r.duckdb"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustWrite(t, s, recentRows("a", 10, base))
	fresh := recentRows("b", 10, base.Add(time.Hour))
	for _, r := range fresh {
		s.recent.cur[s.recent.hash(r.Event.ID)] = struct{}{} // collisions
	}
	if res := mustWrite(t, s, fresh); res.Stored != 10 || res.Duplicates != 0 {
		t.Fatalf("colliding new events: stored %d, duplicates %d; want 10, 0", res.Stored, res.Duplicates)
	}
	if res := mustWrite(t, s, fresh); res.Stored != 0 || res.Duplicates != 10 {
		t.Fatalf("replay: stored %d, duplicates %d; want 0, 10", res.Stored, res.Duplicates)
	}
}

// TestRecentIDsAcrossGenerationsAndReopen: with tiny generations (many
// rotations), late events, replays of old and recent batches and a reopen
// (the set starts over from the latest stored time), every id is stored
// exactly once.
func TestRecentIDsAcrossGenerationsAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.duckdb")
	ctx := context.Background()
	s, err := Open(ctx, path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.recent.maxGen = 7
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batches [][]Row
	for b := range 12 {
		rs := recentRows(fmt.Sprintf("g%d", b), 5, base.Add(time.Duration(b)*time.Minute))
		if b%4 == 3 { // a late batch, before everything stored so far
			rs = recentRows(fmt.Sprintf("late%d", b), 5, base.Add(-time.Hour))
		}
		batches = append(batches, rs)
		if res := mustWrite(t, s, rs); res.Stored != 5 {
			t.Fatalf("batch %d: stored %d, want 5", b, res.Stored)
		}
	}
	check := func(s *Store) {
		for b, rs := range batches {
			if res := mustWrite(t, s, rs); res.Stored != 0 || res.Duplicates != 5 {
				t.Fatalf("replay of batch %d: stored %d, duplicates %d", b, res.Stored, res.Duplicates)
			}
		}
		var n, distinct int
		if err := s.DB().QueryRow(`SELECT count(*), count(DISTINCT id) FROM events`).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != 60 || distinct != 60 {
			t.Fatalf("events: %d rows, %d ids; want 60, 60", n, distinct)
		}
	}
	check(s)
	s.Close()
	s, err = Open(ctx, path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s)
}

// TestRecentIDsSeeEventsStoredAnotherWay: events inserted without
// WriteBatch (as Merge does) are not in the set; the set notices the count
// change and starts over, so a later batch with those ids stores nothing.
func TestRecentIDsSeeEventsStoredAnotherWay(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "r.duckdb"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustWrite(t, s, recentRows("a", 3, base))
	later := recentRows("x", 3, base.Add(time.Hour))
	if _, err := s.DB().Exec(`INSERT INTO events (id, source, type, time, incident_id, responder, ingested_at)
		SELECT 'x-' || i, 't', 'page.notified', TIMESTAMP '2026-01-01 01:00:00' + to_seconds(i), 'I', 'r', now() FROM range(3) r(i)`); err != nil {
		t.Fatal(err)
	}
	if res := mustWrite(t, s, later); res.Stored != 0 || res.Duplicates != 3 {
		t.Fatalf("ids stored by SQL: stored %d, duplicates %d; want 0, 3", res.Stored, res.Duplicates)
	}
}

// TestNewEventsAreExactlyTheBatch: on both paths (rows appended straight
// into events and read back by ingested_at; staging with the duplicate
// check) the derived tables see exactly the batch's new events, also when
// a stored row carries an ingested_at from the future (a clock that stepped
// back, or a merged store).
func TestNewEventsAreExactlyTheBatch(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.RegisterDerived(ctx, DerivedTable{
		Name:   "seen",
		Create: []string{`CREATE TABLE IF NOT EXISTS seen (batch INTEGER, id VARCHAR)`},
		Update: []string{`INSERT INTO seen SELECT (SELECT count(DISTINCT batch) FROM seen), id FROM new_events`},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	check := func(batch int, want []Row) {
		t.Helper()
		var n, distinct, match int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE starts_with(id, $2))
			FROM seen WHERE batch = $1`, batch, want[0].Event.ID[:2]).Scan(&n, &distinct, &match); err != nil {
			t.Fatal(err)
		}
		if n != len(want) || distinct != len(want) || match != len(want) {
			t.Fatalf("batch %d: new_events had %d rows (%d distinct, %d of the batch), want %d", batch, n, distinct, match, len(want))
		}
	}
	a := recentRows("a", 100, base)
	mustWrite(t, s, a) // fast: the store is empty
	check(0, a)
	b := recentRows("b", 100, base.Add(time.Hour))
	mustWrite(t, s, b) // fast
	check(1, b)
	// A replay of b plus new rows: the slow path, new rows only.
	c := append(recentRows("c", 50, base.Add(2*time.Hour)), b...)
	if res := mustWrite(t, s, c); res.Stored != 50 || res.Duplicates != 100 {
		t.Fatalf("replay: stored %d, duplicates %d; want 50, 100", res.Stored, res.Duplicates)
	}
	check(2, c[:50])
	// A row stored another way with an ingested_at a day ahead: the next
	// batches must still get ingested_at values no stored row has.
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO events (id, source, type, time, ingested_at)
		VALUES ('x-1', 't', 'page.notified', TIMESTAMP '2026-01-01 03:00:00', now()::TIMESTAMP + INTERVAL 1 DAY)`); err != nil {
		t.Fatal(err)
	}
	d := recentRows("d", 100, base.Add(4*time.Hour))
	mustWrite(t, s, d) // fast
	check(3, d)
	e := recentRows("e", 100, base.Add(5*time.Hour))
	mustWrite(t, s, e) // fast
	check(4, e)
	var ingested, later int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(DISTINCT ingested_at),
			count(*) FILTER (WHERE ingested_at > (SELECT ingested_at FROM events WHERE id = 'x-1'))
		FROM events`).Scan(&ingested, &later); err != nil {
		t.Fatal(err)
	}
	if ingested != 6 || later != len(d)+len(e) {
		t.Fatalf("%d distinct ingested_at values, %d rows after the future one; want 6 (5 batches and the row stored another way), %d",
			ingested, later, len(d)+len(e))
	}
}
