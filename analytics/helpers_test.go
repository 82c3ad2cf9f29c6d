package analytics_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/store"
)

// openStore opens a fresh DuckDB file in t.TempDir() with analytics attached.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(tb.TempDir(), "p.duckdb"), store.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := analytics.Attach(ctx, s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// write stores evs as one batch.
func write(tb testing.TB, s *store.Store, evs ...event.Event) {
	tb.Helper()
	rows := make([]store.Row, len(evs))
	for i, e := range evs {
		rows[i] = store.Row{Event: e, Topic: "test", Offset: int64(i)}
	}
	if _, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows}); err != nil {
		tb.Fatal(err)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ev builds an event; id is derived from the type and time unless given.
func ev(id string, typ event.Type, at string, d event.Data) event.Event {
	return event.Event{ID: id, Source: "test", Type: typ, Time: mustTime(at), Data: d}
}

// fixtureEvents decodes a canonical JSONL fixture.
func fixtureEvents(tb testing.TB, rel string) []event.Event {
	tb.Helper()
	var out []event.Event
	for i, line := range bytes.Split(fixtures.Read(tb, rel), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, err := event.Decode(line, event.DefaultLimits())
		if err != nil {
			tb.Fatalf("%s line %d: %v", rel, i+1, err)
		}
		out = append(out, e)
	}
	return out
}

func compute(tb testing.TB, s *store.Store, cfg analytics.Config) *analytics.Snapshot {
	tb.Helper()
	snap, err := analytics.Compute(context.Background(), s, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return snap
}

// cfg30d is the default config at now with one 30-day window.
func cfg30d(now string) analytics.Config {
	c := analytics.DefaultConfig(mustTime(now))
	c.Windows = []analytics.Window{{Name: "30d", Duration: 30 * 24 * time.Hour}}
	return c
}

func f(v float64) *float64 { return &v }

// stat builds an expected Stat; no values → the empty Stat (count 0, nulls).
func stat(count int64, sum float64, mean, p50, p90, p95, p99 float64) analytics.Stat {
	return analytics.Stat{Count: count, Sum: sum, Mean: f(mean), P50: f(p50), P90: f(p90), P95: f(p95), P99: f(p99)}
}

// one is the Stat of a single sample: every quantile is the sample.
func one(v float64) analytics.Stat { return stat(1, v, v, v, v, v, v) }

// fmtStat prints a Stat, nulls as "null", to 6 decimals (so that
// 10439.999999999998 from floating-point interpolation compares equal to the
// hand-worked 10440).
func fmtStat(s analytics.Stat) string {
	p := func(v *float64) string {
		if v == nil {
			return "null"
		}
		return fmt.Sprintf("%.6f", *v)
	}
	return fmt.Sprintf("{n=%d sum=%.6f mean=%s p50=%s p90=%s p95=%s p99=%s}", s.Count, s.Sum, p(s.Mean), p(s.P50), p(s.P90), p(s.P95), p(s.P99))
}

// genEvents is a deterministic synthetic stream: incidents (trigger, pages,
// ack, severity change, escalation, reassignment, mitigation, resolve, some
// reopened and resolved again, some left open, some auto-resolved) and the
// alerts behind them (some flapping, some transient), spread over days days
// before end. It stands in for internal/synth in tests and benchmarks.
func genEvents(n int, days int, seed uint64, end time.Time) []event.Event {
	r := rand.New(rand.NewPCG(seed, 1))
	teams := []string{"payments", "search", "identity", "storage", "edge"}
	sevs := []string{"SEV1", "SEV2", "SEV3", "SEV4"}
	out := make([]event.Event, 0, n+32)
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	span := int64(days) * 24 * int64(time.Hour)
	for i := 0; len(out) < n; i++ {
		team := teams[r.IntN(len(teams))]
		svc := fmt.Sprintf("%s-svc-%d", team, r.IntN(4))
		key := fmt.Sprintf("%s-alert-%d", svc, r.IntN(6))
		name := fmt.Sprintf("Alert%d", r.IntN(8))
		sev := sevs[r.IntN(len(sevs))]
		t0 := start.Add(time.Duration(r.Int64N(span))).Truncate(time.Second)
		at := func(d time.Duration) time.Time { return t0.Add(d) }
		id := fmt.Sprintf("g%d", i)
		add := func(suffix string, typ event.Type, t time.Time, d event.Data) {
			out = append(out, event.Event{ID: id + "-" + suffix, Source: "synthetic", Type: typ, Time: t, Data: d})
		}
		alert := event.Data{AlertKey: key, AlertName: name, Service: svc, Team: team, Severity: sev}
		// Flapping alerts: a few short lives of the same key within the hour.
		if r.IntN(10) == 0 {
			for k := range 3 {
				add(fmt.Sprintf("flap%d-t", k), event.AlertTriggered, at(time.Duration(k)*10*time.Minute), alert)
				add(fmt.Sprintf("flap%d-r", k), event.AlertResolved, at(time.Duration(k)*10*time.Minute+2*time.Minute),
					event.Data{AlertKey: key, ResolvedBy: event.ResolvedBySystem})
			}
			continue
		}
		add("at", event.AlertTriggered, at(0), alert)
		if r.IntN(3) == 0 { // an alert with no incident
			if r.IntN(2) == 0 {
				add("aa", event.AlertAcknowledged, at(time.Minute), event.Data{AlertKey: key, Responder: "u" + team})
			}
			add("ar", event.AlertResolved, at(time.Duration(1+r.IntN(20))*time.Minute), event.Data{AlertKey: key, ResolvedBy: event.ResolvedBySystem})
			continue
		}
		inc := "INC-" + id
		d := event.Data{IncidentID: inc, AlertKey: key, Service: svc, Team: team, Severity: sev}
		tr := d
		if r.IntN(3) == 0 {
			s := at(-time.Duration(r.IntN(600)) * time.Second)
			tr.StartedAt = &s
		}
		tr.DetectedBy = []string{"alert", "alert", "alert", "human", "customer"}[r.IntN(5)]
		trig := time.Duration(r.IntN(120)) * time.Second
		add("it", event.IncidentTriggered, at(trig), tr)
		resp := fmt.Sprintf("%s-u%d", team, r.IntN(5))
		add("pn", event.PageNotified, at(trig+5*time.Second), event.Data{IncidentID: inc, Responder: resp, ResponderTZ: "Europe/Berlin", Team: team})
		ack := trig + time.Duration(30+r.IntN(1800))*time.Second
		res := ack + time.Duration(60+r.IntN(7200))*time.Second
		acked := r.IntN(5) != 0
		if acked {
			add("ia", event.IncidentAcknowledged, at(ack), event.Data{IncidentID: inc, Responder: resp, Team: team})
		}
		if r.IntN(4) == 0 {
			add("is", event.IncidentSeverityChanged, at(ack+time.Minute), event.Data{IncidentID: inc, Severity: sevs[r.IntN(len(sevs))], Team: team})
		}
		if r.IntN(6) == 0 {
			add("ie", event.IncidentEscalated, at(ack-10*time.Second), event.Data{IncidentID: inc, Team: team})
		}
		if r.IntN(8) == 0 {
			add("ir", event.IncidentReassigned, at(ack+2*time.Minute), event.Data{IncidentID: inc, Team: teams[r.IntN(len(teams))]})
		}
		if r.IntN(3) == 0 {
			add("im", event.IncidentMitigated, at(ack+(res-ack)/2), event.Data{IncidentID: inc, Team: team})
		}
		add("ar", event.AlertResolved, at(res-time.Minute+time.Duration(r.IntN(3))*time.Minute), event.Data{AlertKey: key, ResolvedBy: event.ResolvedBySystem})
		switch r.IntN(12) {
		case 0: // left open
		case 1: // reopened and resolved again
			add("ix", event.IncidentResolved, at(res), event.Data{IncidentID: inc, Team: team})
			add("io", event.IncidentReopened, at(res+10*time.Minute), event.Data{IncidentID: inc, Team: team})
			add("iy", event.IncidentResolved, at(res+40*time.Minute), event.Data{IncidentID: inc, Team: team})
		case 2: // reopened, still open
			add("ix", event.IncidentResolved, at(res), event.Data{IncidentID: inc, Team: team})
			add("io", event.IncidentReopened, at(res+10*time.Minute), event.Data{IncidentID: inc, Team: team})
		default:
			add("ix", event.IncidentResolved, at(res), event.Data{IncidentID: inc, Team: team})
		}
	}
	return out
}
