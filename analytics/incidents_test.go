package analytics_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

// incident returns the events of one incident of team payments, service api,
// SEV3 (not major), triggered at trig, with the given offsets (seconds after trig; a
// negative offset means "no such event").
func incident(id, trig string, ack, resolve int) []event.Event {
	d := event.Data{IncidentID: id, Team: "payments", Service: "api", Severity: "SEV3"}
	t0 := mustTime(trig)
	out := []event.Event{{ID: id + "-t", Source: "test", Type: event.IncidentTriggered, Time: t0, Data: d}}
	if ack >= 0 {
		out = append(out, event.Event{ID: id + "-a", Source: "test", Type: event.IncidentAcknowledged,
			Time: t0.Add(time.Duration(ack) * time.Second), Data: event.Data{IncidentID: id, Responder: "ana"}})
	}
	if resolve >= 0 {
		out = append(out, event.Event{ID: id + "-r", Source: "test", Type: event.IncidentResolved,
			Time: t0.Add(time.Duration(resolve) * time.Second), Data: event.Data{IncidentID: id}})
	}
	return out
}

func cat(evs ...[]event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		out = append(out, e...)
	}
	return out
}

// TestMTTx: each case is a small event set whose figures are worked out by
// hand in its comment. now = 2026-03-09T00:00Z, one window 30d, so the
// window is (2026-02-07T00:00Z, 2026-03-09T00:00Z].
func TestMTTx(t *testing.T) {
	const now = "2026-03-09T00:00:00Z"
	three := cat(
		incident("I1", "2026-03-01T10:00:00Z", 60, 3600),
		incident("I2", "2026-03-02T10:00:00Z", 120, 7200),
		incident("I3", "2026-03-03T10:00:00Z", 600, 10800),
	)
	reversed := make([]event.Event, len(three))
	for i, e := range three {
		reversed[len(three)-1-i] = e
	}
	tests := []struct {
		name    string
		batches [][]event.Event
		want    analytics.IncidentStats // Window, Team, Service and Severity (default SEV3) are filled in
	}{
		{
			// acks 60, 120, 600 s: mean 780/3 = 260, p50 120; quantile_cont
			// at q over 3 sorted samples sits at position 2q: p90 at 1.8 =
			// 120 + 0.8×480 = 504, p95 at 1.9 = 552, p99 at 1.98 = 590.4.
			// Resolves 3600, 7200, 10800: mean 7200, p90 = 7200 + 0.8×3600 =
			// 10080, p95 = 10440, p99 = 10728. No mitigate events, so
			// mitigate = resolve. No started_at: detect has no samples.
			name:    "three incidents",
			batches: [][]event.Event{three},
			want: analytics.IncidentStats{Count: 3,
				Ack:      stat(3, 780, 260, 120, 504, 552, 590.4),
				Mitigate: stat(3, 21600, 7200, 7200, 10080, 10440, 10728),
				Resolve:  stat(3, 21600, 7200, 7200, 10080, 10440, 10728)},
		},
		{
			// The same events reversed, every event delivered twice, in three
			// batches (the resolves before their triggers): the same figures.
			name:    "duplicate and out-of-order events",
			batches: [][]event.Event{reversed[:4], cat(reversed[2:], reversed[:3]), reversed},
			want: analytics.IncidentStats{Count: 3,
				Ack:      stat(3, 780, 260, 120, 504, 552, 590.4),
				Mitigate: stat(3, 21600, 7200, 7200, 10080, 10440, 10728),
				Resolve:  stat(3, 21600, 7200, 7200, 10080, 10440, 10728)},
		},
		{
			// One sample: p50 (and every quantile) is the sample, 90 s, never
			// 0. The incident is open: no resolve, no mitigate samples.
			name:    "one sample, open",
			batches: [][]event.Event{incident("I1", "2026-03-01T10:00:00Z", 90, -1)},
			want:    analytics.IncidentStats{Count: 1, Open: 1, Ack: one(90)},
		},
		{
			// I1 resolved after 600 s, I2 still open: MTTR is over I1 only
			// (600), not (600 + 0)/2; both have acks (30 s and 50 s).
			name: "open incidents excluded from MTTR",
			batches: [][]event.Event{cat(
				incident("I1", "2026-03-01T10:00:00Z", 30, 600),
				incident("I2", "2026-03-02T10:00:00Z", 50, -1))},
			want: analytics.IncidentStats{Count: 2, Open: 1,
				Ack:      stat(2, 80, 40, 40, 48, 49, 49.8),
				Mitigate: one(600), Resolve: one(600)},
		},
		{
			// Resolved at +300 s, the ack comes only at +400 s: no ack time,
			// auto-resolved; MTTR 300.
			name:    "resolved before ack",
			batches: [][]event.Event{incident("I1", "2026-03-01T10:00:00Z", 400, 300)},
			want:    analytics.IncidentStats{Count: 1, AutoResolved: 1, Mitigate: one(300), Resolve: one(300)},
		},
		{
			// Ack +60, resolve +600, reopen +900, resolve again +1800: the
			// last resolve (no reopen after it) counts, MTTR 1800, not open.
			name: "reopened then resolved again",
			batches: [][]event.Event{cat(incident("I1", "2026-03-01T10:00:00Z", 60, 600), []event.Event{
				ev("I1-o", event.IncidentReopened, "2026-03-01T10:15:00Z", event.Data{IncidentID: "I1"}),
				ev("I1-r2", event.IncidentResolved, "2026-03-01T10:30:00Z", event.Data{IncidentID: "I1"}),
			})},
			want: analytics.IncidentStats{Count: 1, Ack: one(60), Mitigate: one(1800), Resolve: one(1800)},
		},
		{
			// The reopen arrives in a later batch than both resolves but
			// sorts between them: still resolved at +1800.
			name: "reopen arriving last",
			batches: [][]event.Event{
				cat(incident("I1", "2026-03-01T10:00:00Z", 60, 600), []event.Event{
					ev("I1-r2", event.IncidentResolved, "2026-03-01T10:30:00Z", event.Data{IncidentID: "I1"})}),
				{ev("I1-o", event.IncidentReopened, "2026-03-01T10:15:00Z", event.Data{IncidentID: "I1"})},
			},
			want: analytics.IncidentStats{Count: 1, Ack: one(60), Mitigate: one(1800), Resolve: one(1800)},
		},
		{
			// Reopened at +900 and never resolved again: open, no resolve
			// sample; mitigate has no sample either (no mitigate event, and
			// the resolve it would fall back to was undone).
			name: "reopened and still open",
			batches: [][]event.Event{cat(incident("I1", "2026-03-01T10:00:00Z", 60, 600), []event.Event{
				ev("I1-o", event.IncidentReopened, "2026-03-01T10:15:00Z", event.Data{IncidentID: "I1"})})},
			want: analytics.IncidentStats{Count: 1, Open: 1, Ack: one(60)},
		},
		{
			// now = 03-09 00:00. I1 triggered 03-08 22:00, acked 03-08 22:10
			// (600 s), resolved 03-09 01:00, after now: open at now, no
			// resolve sample. I2 triggered 03-09 00:30, after now: not
			// counted at all.
			name: "events in the future",
			batches: [][]event.Event{cat(
				incident("I1", "2026-03-08T22:00:00Z", 600, 3*3600),
				incident("I2", "2026-03-09T00:30:00Z", 60, 120))},
			want: analytics.IncidentStats{Count: 1, Open: 1, Ack: one(600)},
		},
		{
			// Escalated twice, reassigned once, detected by a customer, with
			// impact from 10:00 and the trigger at 10:05 (detect 300 s),
			// severity raised to SEV1 (major), resolved without ack at 10:35.
			name: "counts",
			batches: [][]event.Event{{
				ev("t", event.IncidentTriggered, "2026-03-01T10:05:00Z", event.Data{IncidentID: "I1", Team: "payments", Service: "api", Severity: "SEV3",
					DetectedBy: "customer", StartedAt: ptime("2026-03-01T10:00:00Z")}),
				ev("e1", event.IncidentEscalated, "2026-03-01T10:10:00Z", event.Data{IncidentID: "I1"}),
				ev("e2", event.IncidentEscalated, "2026-03-01T10:15:00Z", event.Data{IncidentID: "I1"}),
				ev("re", event.IncidentReassigned, "2026-03-01T10:16:00Z", event.Data{IncidentID: "I1"}),
				ev("sv", event.IncidentSeverityChanged, "2026-03-01T10:20:00Z", event.Data{IncidentID: "I1", Severity: "SEV2"}),
				ev("r", event.IncidentResolved, "2026-03-01T10:35:00Z", event.Data{IncidentID: "I1"}),
			}},
			want: analytics.IncidentStats{Severity: "SEV2", Count: 1, Escalated: 1, Reassigned: 1, AutoResolved: 1, Major: 1, MissedByAlerting: 1,
				Detect: one(300), Mitigate: one(1800), Resolve: one(1800)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			for _, b := range tt.batches {
				write(t, s, b...)
			}
			snap := compute(t, s, cfg30d(now))
			want := tt.want
			want.Window, want.Team, want.Service = "30d", "payments", "api"
			if want.Severity == "" {
				want.Severity = "SEV3"
			}
			if len(snap.Incidents) != 1 {
				t.Fatalf("incidents rows = %+v, want 1", snap.Incidents)
			}
			got := snap.Incidents[0]
			for _, st := range []struct {
				name      string
				got, want analytics.Stat
			}{{"detect", got.Detect, want.Detect}, {"ack", got.Ack, want.Ack}, {"mitigate", got.Mitigate, want.Mitigate}, {"resolve", got.Resolve, want.Resolve}} {
				if fmtStat(st.got) != fmtStat(st.want) {
					t.Errorf("%s = %s, want %s", st.name, fmtStat(st.got), fmtStat(st.want))
				}
			}
			got.Detect, got.Ack, got.Mitigate, got.Resolve = want.Detect, want.Ack, want.Mitigate, want.Resolve
			if !reflect.DeepEqual(got, want) {
				t.Errorf("row = %+v\nwant  %+v", got, want)
			}
		})
	}
}

func ptime(s string) *time.Time { t := mustTime(s); return &t }

// TestIncidentLifecycleFixture: INC-7 of the shared fixture. Trigger 02:11
// with impact from 02:05 (MTTD 6 min = 360 s), ack 02:15 (MTTA 4 min = 240),
// mitigated 02:41 (MTTM 30 min = 1800), resolved 03:11 (MTTR 60 min =
// 3600); SEV2 raised to SEV1 at 02:20, so the row is SEV1 and major. The
// expected JSON is metrics.md's "Machine format" example, field for field.
func TestIncidentLifecycleFixture(t *testing.T) {
	s := openStore(t)
	write(t, s, fixtureEvents(t, "canonical/incident-lifecycle.jsonl")...)
	snap := compute(t, s, cfg30d("2026-03-09T00:00:00Z"))
	if len(snap.Incidents) != 1 {
		t.Fatalf("incidents = %+v", snap.Incidents)
	}
	got, err := json.Marshal(snap.Incidents[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"window": "30d", "team": "payments", "service": "checkout-api", "severity": "SEV1",
     "count": 1, "open": 0, "escalated": 0, "reassigned": 0, "auto_resolved": 0, "major": 1,
     "missed_by_alerting": 0,
     "detect_seconds":   {"count": 1, "sum": 360, "mean": 360, "p50": 360, "p90": 360, "p95": 360, "p99": 360},
     "ack_seconds":      {"count": 1, "sum": 240, "mean": 240, "p50": 240, "p90": 240, "p95": 240, "p99": 240},
     "mitigate_seconds": {"count": 1, "sum": 1800, "mean": 1800, "p50": 1800, "p90": 1800, "p95": 1800, "p99": 1800},
     "resolve_seconds":  {"count": 1, "sum": 3600, "mean": 3600, "p50": 3600, "p90": 3600, "p95": 3600, "p99": 3600}}`
	assertJSONEqual(t, got, want)

	// The timeline row itself.
	var sev, by, detected string
	var auto bool
	if err := s.DB().QueryRow(`SELECT severity, acknowledged_by, detected_by, auto_resolved FROM incidents WHERE incident_id = 'INC-7'`).
		Scan(&sev, &by, &detected, &auto); err != nil {
		t.Fatal(err)
	}
	if sev != "SEV1" || by != "ana" || detected != "alert" || auto {
		t.Errorf("INC-7 severity %s acknowledged_by %s detected_by %s auto_resolved %v; want SEV1 ana alert false", sev, by, detected, auto)
	}
}

func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON = %s\nwant %s", got, want)
	}
}

// TestOpenAndTotals: not windowed figures. now = 03-09 00:00.
// I1 open since 03-08 12:00 (age 12 h = 43200 s), I2 open since 03-01 00:00
// (8 d = 691200 s, the oldest), I3 acked after 45 s and resolved after 90 s,
// I4 (2025, outside every window) resolved after 2 h without ack.
// Totals: 4 incidents, 2 open. Ack histogram: one sample of 45 s → buckets
// from le=60 up count 1, le=30 counts 0; sum 45. Resolve histogram: 90 s
// and 7200 s → le=30,60: 0; le=120 … le=3600: 1; le=7200 and up: 2; sum 7290.
func TestOpenAndTotals(t *testing.T) {
	s := openStore(t)
	write(t, s, cat(
		incident("I1", "2026-03-08T12:00:00Z", -1, -1),
		incident("I2", "2026-03-01T00:00:00Z", -1, -1),
		incident("I3", "2026-03-02T00:00:00Z", 45, 90),
		incident("I4", "2025-06-01T00:00:00Z", -1, 7200),
	)...)
	snap := compute(t, s, cfg30d("2026-03-09T00:00:00Z"))
	if want := []analytics.OldestOpen{{Team: "payments", Open: 2, AgeSeconds: 691200}}; !reflect.DeepEqual(snap.OldestOpen, want) {
		t.Errorf("oldest open = %+v, want %+v", snap.OldestOpen, want)
	}
	if len(snap.IncidentTotals) != 1 {
		t.Fatalf("totals = %+v", snap.IncidentTotals)
	}
	tot := snap.IncidentTotals[0]
	if tot.Incidents != 4 || tot.Open != 2 {
		t.Errorf("totals incidents %d open %d, want 4 2", tot.Incidents, tot.Open)
	}
	//               30 60 120 300 600 1800 1h 2h 6h 12h 1d 3d 7d 30d
	wantAck := []int64{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	wantRes := []int64{0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2}
	for _, h := range []struct {
		name    string
		got     analytics.Histogram
		buckets []int64
		count   int64
		sum     float64
	}{{"ack", tot.AckDuration, wantAck, 1, 45}, {"resolve", tot.ResolveDuration, wantRes, 2, 7290}} {
		var got []int64
		for _, b := range h.got.Buckets {
			got = append(got, b.Count)
		}
		if !reflect.DeepEqual(got, h.buckets) || h.got.Count != h.count || h.got.Sum != h.sum {
			t.Errorf("%s histogram = %v count %d sum %g; want %v %d %g", h.name, got, h.got.Count, h.got.Sum, h.buckets, h.count, h.sum)
		}
	}
	if le := tot.AckDuration.Buckets[len(tot.AckDuration.Buckets)-1].LE; le != 30*24*3600 {
		t.Errorf("last bucket le = %g, want 30 d", le)
	}
}

// dumpTable renders a derived table in a stable order, for comparisons.
func dumpTable(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s: no rows", q)
	}
	return b.String()
}

// derivedDumps are the derived tables, each in a stable order.
var derivedDumps = []string{
	`SELECT * FROM incidents ORDER BY incident_id`,
	`SELECT * FROM alert_lives ORDER BY alert_key, triggered_at`,
	`SELECT * FROM command_events ORDER BY ALL`,
	`SELECT * FROM shift_events ORDER BY ALL`,
	`SELECT * FROM responder_events ORDER BY ALL`,
	`SELECT * FROM responder_zones ORDER BY ALL`,
}

// TestIncrementalMatchesRebuild delivers a synthetic stream shuffled, in
// batches of random size with a fifth of the events sent again, and checks
// that the derived tables kept per batch equal a rebuild from events.
func TestIncrementalMatchesRebuild(t *testing.T) {
	// Both ways of keeping the derived tables: inside each batch's
	// transaction, and beside the writes (store.SetAsyncDerived, as serve
	// and ingest run), where the deriver folds several batches into one
	// update when it falls behind.
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) { testIncrementalMatchesRebuild(t, async) })
	}
}

func testIncrementalMatchesRebuild(t *testing.T, async bool) {
	ctx := context.Background()
	evs := genEvents(6000, 20, 7, mustTime("2026-03-09T00:00:00Z"))
	// The synthetic stream adds what genEvents lacks: shifts, status
	// updates, roles, retrospectives and action items (command_events,
	// shift_events).
	evs = append(evs, synthEvents(t, 3000)...)
	r := rand.New(rand.NewPCG(11, 12))
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	s := openStore(t)
	if err := s.SetAsyncDerived(ctx, async); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(evs); {
		n := 1 + r.IntN(700)
		if i+n > len(evs) {
			n = len(evs) - i
		}
		batch := append([]event.Event(nil), evs[i:i+n]...)
		for k := 0; k < n/5; k++ { // duplicates, from anywhere before
			batch = append(batch, evs[r.IntN(i+n)])
		}
		write(t, s, batch...)
		i += n
	}
	if err := s.SyncDerived(ctx); err != nil {
		t.Fatal(err)
	}
	var incremental []string
	for _, q := range derivedDumps {
		incremental = append(incremental, dumpTable(t, s.DB(), q))
	}
	if err := s.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	for i, q := range derivedDumps {
		if got := dumpTable(t, s.DB(), q); got != incremental[i] {
			t.Errorf("%s: incremental and rebuild differ\n%s", q, firstDiff(incremental[i], got))
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\nincremental %s\nrebuild     %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d lines", len(al), len(bl))
}

// TestAttachFillsExistingStore: a store written before analytics was
// attached gets its derived tables filled on Attach.
func TestAttachFillsExistingStore(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/old.duckdb"
	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, incident("I1", "2026-03-01T10:00:00Z", 60, 600)...)
	s.Close()

	// Read-only, before any Attach wrote the tables: a clear error.
	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := analytics.Attach(ctx, ro); err == nil || !strings.Contains(err.Error(), "pagerlens rebuild") {
		t.Errorf("read-only Attach on an old store: err = %v, want a hint to run pagerlens rebuild", err)
	}
	ro.Close()

	s, err = store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := analytics.Attach(ctx, s); err != nil {
		t.Fatal(err)
	}
	snap := compute(t, s, cfg30d("2026-03-09T00:00:00Z"))
	if len(snap.Incidents) != 1 || snap.Incidents[0].Count != 1 {
		t.Errorf("incidents after Attach = %+v, want the stored incident", snap.Incidents)
	}
}

// synthEvents returns the first n events of a small synthetic stream.
func synthEvents(t *testing.T, n int) []event.Event {
	t.Helper()
	enough := errors.New("enough")
	var out []event.Event
	err := synth.Generate(synth.Config{Seed: 3, Teams: 3, Days: 30, End: mustTime("2026-03-09T00:00:00Z")}, func(e event.Event) error {
		out = append(out, e)
		if len(out) == n {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) {
		t.Fatalf("synth: %d events, want %d (%v)", len(out), n, err)
	}
	return out
}
