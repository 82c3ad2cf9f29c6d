package analytics

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// ocGenerate writes a deterministic on-call workload ending at now: pages
// pages over 90 days to 50 responders in 5 teams, in incidents of 1–3 pages
// (a minute apart, so they fold), each incident acknowledged and resolved by
// its responder, and week-long shifts for everyone. One responder in three
// has no responder_tz on the page and takes its zone from the returned
// roster, so both the ingest-time and the ICU path are measured.
func ocGenerate(tb testing.TB, s *store.Store, now time.Time, pages int) *Roster {
	tb.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	zones := []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"}
	roster := &Roster{}
	type person struct{ name, team, tz string }
	var people []person
	for i := 0; i < 50; i++ {
		p := person{fmt.Sprintf("r%02d", i), fmt.Sprintf("team%d", i%5), zones[i%len(zones)]}
		people = append(people, p)
		roster.Responders = append(roster.Responders, RosterResponder{Name: p.name, Team: p.team, Timezone: p.tz})
	}
	start := now.Add(-90 * 24 * time.Hour)
	var rows []store.Row
	id := 0
	add := func(typ event.Type, at time.Time, d event.Data) {
		id++
		rows = append(rows, store.Row{Event: event.Event{ID: fmt.Sprintf("b-%d", id), Source: "bench", Type: typ, Time: at, Data: d}})
		if len(rows) == 10000 {
			if _, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows}); err != nil {
				tb.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	for _, p := range people {
		for t := start; t.Before(now); t = t.Add(7 * 24 * time.Hour) {
			d := event.Data{Responder: p.name, Team: p.team, Schedule: p.team + "-primary"}
			add(event.ShiftStarted, t, d)
			add(event.ShiftEnded, t.Add(7*24*time.Hour), d)
		}
	}
	span := int64(now.Sub(start) / time.Second)
	for n, inc := 0, 0; n < pages; inc++ {
		p := people[rng.IntN(len(people))]
		at := start.Add(time.Duration(rng.Int64N(span)) * time.Second)
		tz := p.tz
		if rng.IntN(3) == 0 {
			tz = "" // from the roster
		}
		incID := fmt.Sprintf("INC-%d", inc)
		for k := 1 + rng.IntN(3); k > 0 && n < pages; k-- {
			add(event.PageNotified, at, event.Data{IncidentID: incID, Responder: p.name, ResponderTZ: tz, Team: p.team, Channel: "push"})
			at = at.Add(time.Minute)
			n++
		}
		add(event.IncidentAcknowledged, at, event.Data{IncidentID: incID, Responder: p.name, Team: p.team})
		add(event.IncidentResolved, at.Add(time.Duration(5+rng.IntN(120))*time.Minute), event.Data{IncidentID: incID, Team: p.team})
	}
	if len(rows) > 0 {
		if _, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows}); err != nil {
			tb.Fatal(err)
		}
	}
	return roster
}

// BenchmarkOnCall: the on-call section (responders and teams, windows 7d,
// 30d and 90d) over ~100k page events (~200k events in all).
func BenchmarkOnCall(b *testing.B) {
	s := ocStore(b)
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	roster := ocGenerate(b, s, now, 100_000)
	cfg := DefaultConfig(now)
	cfg.Roster = roster
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		snap := &Snapshot{}
		if err := computeOnCall(ctx, s.DB(), cfg, snap); err != nil {
			b.Fatal(err)
		}
		if len(snap.Responders) != 150 || len(snap.Teams) != 15 {
			b.Fatalf("%d responder rows, %d team rows; want 150, 15", len(snap.Responders), len(snap.Teams))
		}
	}
}

// BenchmarkInterruptionHeatmap: the fatigue report's heat map and trend for
// one team over 90 days of the same workload.
func BenchmarkInterruptionHeatmap(b *testing.B) {
	s := ocStore(b)
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	roster := ocGenerate(b, s, now, 100_000)
	cfg := DefaultConfig(now)
	cfg.Roster = roster
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := InterruptionHeatmap(ctx, s.DB(), cfg, cfg.Windows[2], "team1"); err != nil {
			b.Fatal(err)
		}
	}
}
