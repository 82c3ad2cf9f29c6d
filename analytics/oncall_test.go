package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/store"
)

// ---- helpers (prefixed oc: the package's other tests live beside these) ----

func ocStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "pagerlens.duckdb"), store.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	// The derived tables on-call load reads (responder_events, …), as
	// serve and ingest attach them; TestOnCallShiftSourcesAgree checks the
	// fallback that reads events.
	if err := Attach(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
	return s
}

func ocWrite(tb testing.TB, s *store.Store, evs ...event.Event) {
	tb.Helper()
	rows := make([]store.Row, len(evs))
	for i, e := range evs {
		rows[i] = store.Row{Event: e}
	}
	if _, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows}); err != nil {
		tb.Fatal(err)
	}
}

func ocTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

var ocSeq int

// ocEv builds an event with a fresh id.
func ocEv(tb testing.TB, typ event.Type, at string, d event.Data) event.Event {
	tb.Helper()
	ocSeq++
	return event.Event{ID: fmt.Sprintf("oc-%d", ocSeq), Source: "test", Type: typ, Time: ocTime(tb, at), Data: d}
}

// ocPage is a page.notified of responder (zone tz, may be "") for incident.
func ocPage(tb testing.TB, at, responder, tz, incident string) event.Event {
	tb.Helper()
	return ocEv(tb, event.PageNotified, at, event.Data{IncidentID: incident, Responder: responder, ResponderTZ: tz, Team: "payments", Channel: "push"})
}

func ocShift(tb testing.TB, typ event.Type, at, responder, schedule string) event.Event {
	tb.Helper()
	return ocEv(tb, typ, at, event.Data{Responder: responder, Team: "payments", Schedule: schedule})
}

func ocConfig(tb testing.TB, now string, windows ...string) Config {
	tb.Helper()
	cfg := DefaultConfig(ocTime(tb, now))
	cfg.Windows = nil
	for _, w := range windows {
		win, err := ParseWindow(w)
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Windows = append(cfg.Windows, win)
	}
	return cfg
}

func ocLoads(tb testing.TB, s *store.Store, cfg Config) map[string]ResponderLoad {
	tb.Helper()
	rs, err := ResponderLoads(context.Background(), s.DB(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]ResponderLoad{}
	for _, r := range rs {
		m[r.Window+"/"+r.Team+"/"+r.Responder] = r
	}
	return m
}

// ocIntr is one row of the interruptions CTE, as the tests read it.
type ocIntr struct {
	At        string // UTC, RFC 3339
	Responder string
	TZSource  string
	Hour, Dow int
	Bucket    string
	Night     string // local date of the night's evening, "" outside sleep hours
}

// ocInterruptions runs the interruptions CTE itself, so that the bucketing
// and night rules are tested per interruption, not only through sums.
func ocInterruptions(tb testing.TB, db *sql.DB, cfg Config, lo time.Time) []ocIntr {
	tb.Helper()
	a := &queryArgs{}
	q := "WITH " + rosterCTEs(cfg, a) + interruptionCTEs(cfg, a, lo, "responder_events") +
		" SELECT time, responder, tz_source, h, dow, bucket, night FROM interruptions ORDER BY time, responder"
	rows, err := db.QueryContext(context.Background(), q, a.vals...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []ocIntr
	for rows.Next() {
		var r ocIntr
		var at time.Time
		var night sql.NullTime
		if err := rows.Scan(&at, &r.Responder, &r.TZSource, &r.Hour, &r.Dow, &r.Bucket, &night); err != nil {
			tb.Fatal(err)
		}
		r.At = at.UTC().Format(time.RFC3339)
		if night.Valid {
			r.Night = night.Time.Format("2006-01-02")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func ocNear(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// ---- the fixture: metrics.md's "Machine format" example ----

// TestOnCallFixture stores canonical/incident-lifecycle.jsonl and checks ana's
// row for 30d at 2026-03-09T00:00Z, worked out by hand:
//   - pages 02:11:05Z and 02:12:05Z for INC-7, 60 s apart ≤ 2 min: one
//     interruption, at 02:11:05Z = 03:11 CET (Berlin is UTC+1 in March before
//     the 29th), Monday 2026-03-02 → sleep (22..08), night of Sunday 03-01.
//   - ack 02:15Z, resolve 03:11Z: engaged 56 min = 3360 s; 1 incident acked.
//   - shift 03-01T08:00Z → 03-08T08:00Z, inside (02-07, 03-09]: 604800 s.
//   - fatigue = 4 × 1 sleep ÷ (604800 / 604800 weeks) = 4.
//   - per 12 h on call = 1 ÷ (604800 / 43200 = 14) = 1/14.
//   - share = 604800 ÷ 2592000 = 0.2333… ≤ 0.25: not flagged.
//   - team payments: one responder: interruptions 1, gini 0, max/median 1.
func TestOnCallFixture(t *testing.T) {
	s := ocStore(t)
	var evs []event.Event
	for _, line := range bytes.Split(fixtures.Read(t, "canonical/incident-lifecycle.jsonl"), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, err := event.Decode(line, event.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	ocWrite(t, s, evs...)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "30d")

	snap := &Snapshot{}
	if err := computeOnCall(context.Background(), s.DB(), cfg, snap); err != nil {
		t.Fatal(err)
	}
	per12h := 1.0 / 14
	wantR := []ResponderLoad{{
		Window: "30d", Team: "payments", Responder: "ana", Timezone: "Europe/Berlin", TimezoneSource: "event",
		Interruptions: Interruptions{Sleep: 1}, InterruptionsTotal: 1, NightsInterrupted: 1,
		IncidentsAcknowledged: 1, EngagedSeconds: 3360, OnCallSeconds: 604800,
		InterruptionsPer12h: &per12h, OnCallShare: 604800.0 / 2592000, FatigueScore: 4,
	}}
	if !reflect.DeepEqual(snap.Responders, wantR) {
		t.Errorf("responders:\n got %+v\nwant %+v", snap.Responders, wantR)
	}
	one := 1.0
	wantT := []TeamLoad{{
		Window: "30d", Team: "payments", Interruptions: 1, InterruptionsByPeriod: Interruptions{Sleep: 1},
		Responders: 1, NightsInterrupted: 1, IncidentsAcknowledged: 1, EngagedSeconds: 3360,
		OnCallSeconds: 604800, FatigueScore: 4, Gini: 0, MaxOverMedian: &one,
	}}
	if !reflect.DeepEqual(snap.Teams, wantT) {
		t.Errorf("teams:\n got %+v\nwant %+v", snap.Teams, wantT)
	}

	// The machine format's field names (metrics.md) must be there verbatim.
	b, err := json.Marshal(snap.Responders[0])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"window": "30d", "team": "payments", "responder": "ana", "timezone": "Europe/Berlin",
		"interruptions":      map[string]any{"business": 0.0, "off_hours": 0.0, "sleep": 1.0},
		"nights_interrupted": 1.0, "incidents_acknowledged": 1.0, "engaged_seconds": 3360.0,
		"oncall_seconds": 604800.0, "shifts_over_limit": 0.0, "fatigue_score": 4.0,
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("responders[0].%s = %v, want %v", k, got[k], v)
		}
	}
	b, _ = json.Marshal(snap.Teams[0])
	got = nil
	_ = json.Unmarshal(b, &got)
	for k, v := range map[string]any{"window": "30d", "team": "payments", "interruptions": 1.0, "gini": 0.0, "max_over_median": 1.0} {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("teams[0].%s = %v, want %v", k, got[k], v)
		}
	}
}

// ---- buckets, nights, DST ----

// TestInterruptBuckets places single pages (each its own incident, so none
// fold) and checks bucket and night per interruption. Default hours:
// business 08–18 Mon–Fri, sleep 22–08 every day.
// Berlin: CET = UTC+1 until Sun 2026-03-29 01:00Z, then CEST = UTC+2.
// New York: EST = UTC−5 until Sun 2026-03-08 07:00Z, then EDT = UTC−4;
// EDT ends Sun 2026-11-01 06:00Z. "ny" has no responder_tz on its pages and
// gets America/New_York from the roster, so its rows exercise the ICU path;
// "ana" carries responder_tz and exercises the ingest-time columns.
func TestInterruptBuckets(t *testing.T) {
	cases := []struct {
		at, who    string
		hour, dow  int
		bucket     string
		night      string
		whyHandled string
	}{
		// Wed 2026-03-04 22:00 CET: sleep starts at 22:00 inclusive.
		{"2026-03-04T21:00:00Z", "ana", 22, 3, "sleep", "2026-03-04", "22:00 is sleep"},
		// Wed 21:59 CET: still the evening.
		{"2026-03-04T20:59:00Z", "ana", 21, 3, "off_hours", "", "21:59 is off hours"},
		// Thu 07:59 CET: sleep ends at 08:00 exclusive; night of Wed 03-04.
		{"2026-03-05T06:59:00Z", "ana", 7, 4, "sleep", "2026-03-04", "07:59 is sleep, previous night"},
		// Thu 08:00 CET: business starts inclusive.
		{"2026-03-05T07:00:00Z", "ana", 8, 4, "business", "", "08:00 is business"},
		// Thu 17:59 CET: business.
		{"2026-03-05T16:59:00Z", "ana", 17, 4, "business", "", "17:59 is business"},
		// Thu 18:00 CET: business ends exclusive → evening.
		{"2026-03-05T17:00:00Z", "ana", 18, 4, "off_hours", "", "18:00 is off hours"},
		// Sat 2026-03-07 00:30 CET = Fri 23:30Z: sleep, the night of Friday 03-06.
		{"2026-03-06T23:30:00Z", "ana", 0, 6, "sleep", "2026-03-06", "after midnight: night of the evening before"},
		// Sat 15:00 CET: a weekend afternoon is off hours.
		{"2026-03-07T14:00:00Z", "ana", 15, 6, "off_hours", "", "weekend afternoon"},
		// Sun 2026-03-08 07:59 CET: sleep, night of Sat 03-07.
		{"2026-03-08T06:59:00Z", "ana", 7, 7, "sleep", "2026-03-07", "weekend early morning"},
		// Berlin DST night Sat 28 → Sun 29 March: 01:30 CET, then 03:30 CEST
		// (02:00–03:00 does not exist), 07:59 CEST, 08:30 CEST.
		{"2026-03-29T00:30:00Z", "ana", 1, 7, "sleep", "2026-03-28", "Berlin DST: before the change"},
		{"2026-03-29T01:30:00Z", "ana", 3, 7, "sleep", "2026-03-28", "Berlin DST: after the change, same night"},
		{"2026-03-29T05:59:00Z", "ana", 7, 7, "sleep", "2026-03-28", "Berlin DST: 07:59 CEST"},
		// A fixed +1 offset would say 07:30, sleep: CEST says 08:30 Sunday.
		{"2026-03-29T06:30:00Z", "ana", 8, 7, "off_hours", "", "Berlin DST: 08:30 CEST Sunday"},
		// New York DST night Sat 7 → Sun 8 March, zone from the roster.
		{"2026-03-08T06:30:00Z", "ny", 1, 7, "sleep", "2026-03-07", "NY DST: 01:30 EST"},
		{"2026-03-08T07:30:00Z", "ny", 3, 7, "sleep", "2026-03-07", "NY DST: 03:30 EDT, same night"},
		// A fixed −5 would say 07:30, sleep: EDT says 08:30 Sunday.
		{"2026-03-08T12:30:00Z", "ny", 8, 7, "off_hours", "", "NY DST: 08:30 EDT Sunday"},
		// Mon 08:30 EDT (a fixed −5 would say 07:30 sleep).
		{"2026-03-09T12:30:00Z", "ny", 8, 1, "business", "", "NY DST: Monday 08:30 EDT"},
		// NY fall back Sun 2026-11-01: 01:30 EDT then 01:30 EST again; both
		// sleep on the night of Sat 10-31.
		{"2026-11-01T05:30:00Z", "ny", 1, 7, "sleep", "2026-10-31", "NY fall back: first 01:30"},
		{"2026-11-01T06:30:00Z", "ny", 1, 7, "sleep", "2026-10-31", "NY fall back: second 01:30"},
	}
	s := ocStore(t)
	var evs []event.Event
	for i, c := range cases {
		tz := "Europe/Berlin"
		if c.who == "ny" {
			tz = ""
		}
		evs = append(evs, ocPage(t, c.at, c.who, tz, fmt.Sprintf("INC-%d", i)))
	}
	ocWrite(t, s, evs...)
	cfg := ocConfig(t, "2026-12-01T00:00:00Z", "365d")
	cfg.Roster = &Roster{Responders: []RosterResponder{{Name: "ny", Team: "payments", Timezone: "America/New_York"}}}
	got := ocInterruptions(t, s.DB(), cfg, ocTime(t, "2026-01-01T00:00:00Z"))
	byKey := map[string]ocIntr{}
	for _, g := range got {
		byKey[g.At+g.Responder] = g
	}
	for _, c := range cases {
		t.Run(c.whyHandled, func(t *testing.T) {
			g, ok := byKey[c.at+c.who]
			if !ok {
				t.Fatalf("no interruption at %s for %s", c.at, c.who)
			}
			if g.Hour != c.hour || g.Dow != c.dow || g.Bucket != c.bucket || g.Night != c.night {
				t.Errorf("%s %s: got hour %d dow %d %s night %q; want hour %d dow %d %s night %q",
					c.who, c.at, g.Hour, g.Dow, g.Bucket, g.Night, c.hour, c.dow, c.bucket, c.night)
			}
			wantSrc := map[string]string{"ana": "event", "ny": "roster"}[c.who]
			if g.TZSource != wantSrc {
				t.Errorf("timezone source %s, want %s", g.TZSource, wantSrc)
			}
		})
	}
}

// TestInterruptDSTNights sums the DST nights through ResponderLoads.
// Window 7d ending 2026-03-30T00:00Z = (03-23, 03-30]; ana's pages:
// 01:30 CET, 03:30 CEST, 07:59 CEST (sleep, all the night of 03-28) and
// 08:30 CEST Sunday (off hours) → sleep 3, off_hours 1, nights 1.
// Fatigue with no shifts: per window-week: (2×1 + 4×3) ÷ 1 week = 14.
func TestInterruptDSTNights(t *testing.T) {
	s := ocStore(t)
	ocWrite(t, s,
		ocPage(t, "2026-03-29T00:30:00Z", "ana", "Europe/Berlin", "A"),
		ocPage(t, "2026-03-29T01:30:00Z", "ana", "Europe/Berlin", "B"),
		ocPage(t, "2026-03-29T05:59:00Z", "ana", "Europe/Berlin", "C"),
		ocPage(t, "2026-03-29T06:30:00Z", "ana", "Europe/Berlin", "D"),
	)
	r := ocLoads(t, s, ocConfig(t, "2026-03-30T00:00:00Z", "7d"))["7d/payments/ana"]
	if r.Interruptions != (Interruptions{OffHours: 1, Sleep: 3}) || r.NightsInterrupted != 1 || !ocNear(r.FatigueScore, 14) {
		t.Errorf("got %+v nights %d fatigue %v; want off 1 sleep 3, nights 1, fatigue 14", r.Interruptions, r.NightsInterrupted, r.FatigueScore)
	}
}

// TestInterruptZonePaths: the same instants bucketed from ingest-time
// columns (responder_tz on the page) and from ICU in SQL (zone from the
// roster) must agree, hour by hour across Berlin's spring-forward day and
// New York's fall-back day.
func TestInterruptZonePaths(t *testing.T) {
	for _, z := range []struct{ tz, from string }{
		{"Europe/Berlin", "2026-03-28T12:00:00Z"},
		{"America/New_York", "2026-10-31T12:00:00Z"},
	} {
		t.Run(z.tz, func(t *testing.T) {
			s := ocStore(t)
			start := ocTime(t, z.from)
			var evs []event.Event
			for i := 0; i < 48; i++ {
				at := start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
				inc := fmt.Sprintf("I-%d", i)
				evs = append(evs, ocPage(t, at, "col", z.tz, inc), ocPage(t, at, "icu", "", inc))
			}
			ocWrite(t, s, evs...)
			cfg := ocConfig(t, "2026-12-01T00:00:00Z", "365d")
			cfg.Roster = &Roster{Responders: []RosterResponder{{Name: "icu", Timezone: z.tz}}}
			got := ocInterruptions(t, s.DB(), cfg, start.Add(-time.Hour))
			if len(got) != 96 {
				t.Fatalf("%d interruptions, want 96", len(got))
			}
			for i := 0; i < len(got); i += 2 {
				col, icu := got[i], got[i+1] // ordered by time, then "col" < "icu"
				col.Responder, icu.Responder, col.TZSource, icu.TZSource = "", "", "", ""
				if col != icu {
					t.Errorf("ingest columns %+v != ICU %+v", col, icu)
				}
			}
		})
	}
}

// TestInterruptHoursOverride: a team's roster hours replace cfg.Hours.
// Team "owls": business 12–20 Sun–Thu, sleep 04–12 (does not wrap), UTC.
//   - Fri 2026-03-06 10:00Z: sleep (04 ≤ 10 < 12); night: 10 < sleep_end
//     12 → named by the previous date, 03-05.
//   - Fri 19:00Z: not a working day → off_hours.
//   - Sun 2026-03-08 13:00Z: working day, 12 ≤ 13 < 20 → business.
//   - Sun 03:00Z: before sleep (04) and business → off_hours.
func TestInterruptHoursOverride(t *testing.T) {
	s := ocStore(t)
	var evs []event.Event
	for i, at := range []string{"2026-03-06T10:00:00Z", "2026-03-06T19:00:00Z", "2026-03-08T13:00:00Z", "2026-03-08T03:00:00Z"} {
		e := ocPage(t, at, "owl", "UTC", fmt.Sprintf("O-%d", i))
		e.Data.Team = "owls"
		evs = append(evs, e)
	}
	ocWrite(t, s, evs...)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
	cfg.Roster = &Roster{Teams: []RosterTeam{{Name: "owls", Hours: &Hours{
		BusinessStart: 12, BusinessEnd: 20, SleepStart: 4, SleepEnd: 12,
		WorkingDays: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday},
	}}}}
	got := ocInterruptions(t, s.DB(), cfg, ocTime(t, "2026-03-02T00:00:00Z"))
	want := map[string][2]string{
		"2026-03-06T10:00:00Z": {"sleep", "2026-03-05"},
		"2026-03-06T19:00:00Z": {"off_hours", ""},
		"2026-03-08T13:00:00Z": {"business", ""},
		"2026-03-08T03:00:00Z": {"off_hours", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d interruptions, want %d", len(got), len(want))
	}
	for _, g := range got {
		if w := want[g.At]; g.Bucket != w[0] || g.Night != w[1] {
			t.Errorf("%s: %s night %q, want %s night %q", g.At, g.Bucket, g.Night, w[0], w[1])
		}
	}
}

// ---- folding ----

// TestInterruptFold: pages of one responder at offsets (seconds) from
// 2026-03-04T12:00:00Z (Wed 13:00 Berlin, business), for incidents or alert
// keys; fold 2 min, inclusive, chained from the previous page.
func TestInterruptFold(t *testing.T) {
	type pg struct {
		off       int
		who, key  string
		alertOnly bool
	}
	cases := []struct {
		name  string
		pages []pg
		want  map[string]int64 // responder → interruptions in the window
	}{
		{"two pages 60 s apart fold", []pg{{0, "ana", "A", false}, {60, "ana", "A", false}}, map[string]int64{"ana": 1}},
		{"120 s folds (inclusive)", []pg{{0, "ana", "A", false}, {120, "ana", "A", false}}, map[string]int64{"ana": 1}},
		{"121 s does not fold", []pg{{0, "ana", "A", false}, {121, "ana", "A", false}}, map[string]int64{"ana": 2}},
		// 0, 90, 180, 270: each within 2 min of the previous → one. (Folding
		// from the first page would give two: 180 is 3 min after 0.)
		{"chained from previous page", []pg{{0, "ana", "A", false}, {90, "ana", "A", false}, {180, "ana", "A", false}, {270, "ana", "A", false}}, map[string]int64{"ana": 1}},
		{"other incident does not fold", []pg{{0, "ana", "A", false}, {30, "ana", "B", false}}, map[string]int64{"ana": 2}},
		{"same alert key folds", []pg{{0, "ana", "k1", true}, {60, "ana", "k1", true}}, map[string]int64{"ana": 1}},
		{"other responder counts apart", []pg{{0, "ana", "A", false}, {0, "bob", "A", false}}, map[string]int64{"ana": 1, "bob": 1}},
		{"same instant twice folds", []pg{{0, "ana", "A", false}, {0, "ana", "A", false}}, map[string]int64{"ana": 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ocStore(t)
			base := ocTime(t, "2026-03-04T12:00:00Z")
			var evs []event.Event
			for _, p := range c.pages {
				e := ocPage(t, base.Add(time.Duration(p.off)*time.Second).Format(time.RFC3339), p.who, "Europe/Berlin", p.key)
				if p.alertOnly {
					e.Data.IncidentID, e.Data.AlertKey = "", p.key
				}
				evs = append(evs, e)
			}
			ocWrite(t, s, evs...)
			loads := ocLoads(t, s, ocConfig(t, "2026-03-09T00:00:00Z", "7d"))
			for who, n := range c.want {
				r := loads["7d/payments/"+who]
				if r.Interruptions.Business != n || r.InterruptionsTotal != n {
					t.Errorf("%s: %+v, want %d business", who, r.Interruptions, n)
				}
			}
		})
	}
}

// TestInterruptWindowEdges: window 7d ending 2026-03-09T00:00Z is
// (03-02T00:00Z, 03-09T00:00Z].
//   - a page 60 s before the start and one 30 s after, same incident: the
//     second continues an interruption that began before the window → 0;
//   - a page at the start exactly is outside (the window is open there);
//   - a page at Now exactly is inside → 1;
//   - a page after Now is ignored.
func TestInterruptWindowEdges(t *testing.T) {
	s := ocStore(t)
	ocWrite(t, s,
		ocPage(t, "2026-03-01T23:59:00Z", "ana", "UTC", "A"),
		ocPage(t, "2026-03-02T00:00:30Z", "ana", "UTC", "A"),
		ocPage(t, "2026-03-02T00:00:00Z", "ana", "UTC", "B"),
		ocPage(t, "2026-03-09T00:00:00Z", "ana", "UTC", "C"),
		ocPage(t, "2026-03-09T00:00:01Z", "ana", "UTC", "D"),
	)
	r := ocLoads(t, s, ocConfig(t, "2026-03-09T00:00:00Z", "7d"))["7d/payments/ana"]
	// 2026-03-09 00:00 UTC, Monday: sleep, night of Sunday 03-08.
	if r.Interruptions != (Interruptions{Sleep: 1}) || r.NightsInterrupted != 1 {
		t.Errorf("got %+v nights %d, want sleep 1, nights 1", r.Interruptions, r.NightsInterrupted)
	}
}

// ---- time zones ----

// TestOnCallTimezoneSource: one sleep-hours-or-not page per responder, each
// at 2026-03-04T23:30Z (Wed), resolved through the chain.
//   - "nobody" has no zone anywhere: UTC 23:30 → sleep; "UTC"/default_utc.
//   - "ros" is in the roster with Asia/Tokyo: 08:30 Thu → business; roster.
//   - "tm" has no zone, but its team "apac" has Asia/Kolkata in the roster:
//     05:00 Thu (+05:30) → sleep; team.
//   - "ev" has responder_tz America/Los_Angeles on the page (roster says
//     Asia/Tokyo): 15:30 Wed → business; event.
func TestOnCallTimezoneSource(t *testing.T) {
	s := ocStore(t)
	at := "2026-03-04T23:30:00Z"
	tm := ocPage(t, at, "tm", "", "T")
	tm.Data.Team = ""
	ocWrite(t, s,
		ocPage(t, at, "nobody", "", "N"),
		ocPage(t, at, "ros", "", "R"),
		tm,
		ocPage(t, at, "ev", "America/Los_Angeles", "E"),
	)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
	cfg.Roster = &Roster{
		Responders: []RosterResponder{
			{Name: "ros", Timezone: "Asia/Tokyo"},
			{Name: "tm", Team: "apac"},
			{Name: "ev", Timezone: "Asia/Tokyo"},
		},
		Teams: []RosterTeam{{Name: "apac", Timezone: "Asia/Kolkata"}},
	}
	loads := ocLoads(t, s, cfg)
	cases := []struct {
		key, tz, src string
		want         Interruptions
	}{
		{"7d/payments/nobody", "UTC", "default_utc", Interruptions{Sleep: 1}},
		{"7d/payments/ros", "Asia/Tokyo", "roster", Interruptions{Business: 1}},
		{"7d/apac/tm", "Asia/Kolkata", "team", Interruptions{Sleep: 1}},
		{"7d/payments/ev", "America/Los_Angeles", "event", Interruptions{Business: 1}},
	}
	for _, c := range cases {
		r, ok := loads[c.key]
		if !ok {
			t.Errorf("%s: no row (rows: %v)", c.key, loads)
			continue
		}
		if r.Timezone != c.tz || r.TimezoneSource != c.src || r.Interruptions != c.want {
			t.Errorf("%s: %s/%s %+v; want %s/%s %+v", c.key, r.Timezone, r.TimezoneSource, r.Interruptions, c.tz, c.src, c.want)
		}
	}
}

// ---- shifts ----

// TestShiftOnCall: window 7d ending 2026-03-09T00:00Z = (03-02T00:00Z, Now].
// Each case is one responder's shift events; want is on-call seconds.
func TestShiftOnCall(t *testing.T) {
	type sh struct {
		typ      event.Type
		at, sch  string
		noPerson bool
	}
	S, E := event.ShiftStarted, event.ShiftEnded
	cases := []struct {
		name    string
		shifts  []sh
		want    float64
		flagged bool
	}{
		// Started 03-08T12:00Z, no end: runs to Now → 12 h = 43200 s.
		{"open shift counts up to now", []sh{{S, "2026-03-08T12:00:00Z", "p", false}}, 43200, false},
		// 02-28 → 03-03, clipped at 03-02T00:00Z → 1 day = 86400 s.
		{"clipped by window start", []sh{{S, "2026-02-28T00:00:00Z", "p", false}, {E, "2026-03-03T00:00:00Z", "p", false}}, 86400, false},
		// Primary 03-04 00:00–03-05 00:00, secondary 03-04 12:00–03-05 12:00:
		// union 03-04 00:00–03-05 12:00 = 36 h = 129600 s, not 48 h.
		{"overlapping schedules merge", []sh{
			{S, "2026-03-04T00:00:00Z", "p", false}, {E, "2026-03-05T00:00:00Z", "p", false},
			{S, "2026-03-04T12:00:00Z", "s", false}, {E, "2026-03-05T12:00:00Z", "s", false},
		}, 129600, false},
		// A lost end: start 06:00, start 10:00, end 12:00 (one schedule): the
		// first runs to the second start → 06:00–12:00 = 6 h = 21600 s.
		{"start without end ends at next start", []sh{
			{S, "2026-03-03T06:00:00Z", "p", false}, {S, "2026-03-03T10:00:00Z", "p", false}, {E, "2026-03-03T12:00:00Z", "p", false},
		}, 21600, false},
		// Back-to-back handover at 03-04 08:00 (end and start at one instant):
		// 03-03 08:00–03-05 08:00 = 48 h = 172800 s; share 172800/604800 =
		// 0.2857 > 0.25 → flagged.
		{"handover at one instant", []sh{
			{S, "2026-03-03T08:00:00Z", "p", false}, {E, "2026-03-04T08:00:00Z", "p", false},
			{S, "2026-03-04T08:00:00Z", "p", false}, {E, "2026-03-05T08:00:00Z", "p", false},
		}, 172800, true},
		// An end after Now is not seen yet: the shift is open → 03-08 00:00 to
		// Now = 86400 s.
		{"end after now ignored", []sh{{S, "2026-03-08T00:00:00Z", "p", false}, {E, "2026-03-10T00:00:00Z", "p", false}}, 86400, false},
		// A shift that ended before the window: no row at all (0).
		{"before the window", []sh{{S, "2026-02-20T00:00:00Z", "p", false}, {E, "2026-02-21T00:00:00Z", "p", false}}, 0, false},
		// An end with no start (start unknown): ignored → 0.
		{"orphan end ignored", []sh{{E, "2026-03-03T00:00:00Z", "p", false}}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ocStore(t)
			var evs []event.Event
			for _, x := range c.shifts {
				evs = append(evs, ocShift(t, x.typ, x.at, "ana", x.sch))
			}
			ocWrite(t, s, evs...)
			r := ocLoads(t, s, ocConfig(t, "2026-03-09T00:00:00Z", "7d"))["7d/payments/ana"]
			if r.OnCallSeconds != c.want || !ocNear(r.OnCallShare, c.want/604800) || r.OnCallShareFlagged != c.flagged {
				t.Errorf("oncall %v share %v flagged %v; want %v share %v flagged %v",
					r.OnCallSeconds, r.OnCallShare, r.OnCallShareFlagged, c.want, c.want/604800, c.flagged)
			}
		})
	}
}

// TestShiftOverLimit: shift 2026-03-02T00:00Z → 03-03T00:00Z (24 h: blocks
// [00:00, 12:00) and [12:00, 24:00)); responder "u" has no zone (UTC).
//   - block 0: incidents A 01:00, B 02:00, C 03:00 → 3 > 2 → over.
//   - block 1: D 13:00, E 14:00, D again 15:00 (a new interruption, 2 h
//     after the last page, but the same incident) → 2 distinct → not over.
//   - a page outside any shift (03-04 01:00, F) is in no block.
//
// shifts_over_limit 1; interruptions 7; per 12 h on call 7 ÷ (86400/43200) = 3.5.
func TestShiftOverLimit(t *testing.T) {
	s := ocStore(t)
	ocWrite(t, s,
		ocShift(t, event.ShiftStarted, "2026-03-02T00:00:00Z", "u", "p"),
		ocShift(t, event.ShiftEnded, "2026-03-03T00:00:00Z", "u", "p"),
		ocPage(t, "2026-03-02T01:00:00Z", "u", "", "A"),
		ocPage(t, "2026-03-02T02:00:00Z", "u", "", "B"),
		ocPage(t, "2026-03-02T03:00:00Z", "u", "", "C"),
		ocPage(t, "2026-03-02T13:00:00Z", "u", "", "D"),
		ocPage(t, "2026-03-02T14:00:00Z", "u", "", "E"),
		ocPage(t, "2026-03-02T15:00:00Z", "u", "", "D"),
		ocPage(t, "2026-03-04T01:00:00Z", "u", "", "F"),
	)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "30d")
	r := ocLoads(t, s, cfg)["30d/payments/u"]
	if r.ShiftsOverLimit != 1 || r.InterruptionsTotal != 7 || r.InterruptionsPer12h == nil || !ocNear(*r.InterruptionsPer12h, 3.5) {
		t.Errorf("over %d total %d per12h %v; want 1, 7, 3.5", r.ShiftsOverLimit, r.InterruptionsTotal, r.InterruptionsPer12h)
	}
	cfg.ShiftIncidentLimit = 3 // 3 is not more than 3
	if r := ocLoads(t, s, cfg)["30d/payments/u"]; r.ShiftsOverLimit != 0 {
		t.Errorf("limit 3: over %d, want 0", r.ShiftsOverLimit)
	}
}

// ---- acknowledgements and engaged time ----

// TestOnCallEngaged: window 7d ending 2026-03-09T00:00Z.
//   - I1: ana acks 03-03 10:00, again 10:05; resolved 11:00 → 1 incident,
//     3600 s from her first ack.
//   - I2: ana acks 03-04 10:00; resolved 10:30, reopened 10:40 → open: 1
//     incident acked, 0 engaged.
//   - I3: ana acks 03-05 10:00; resolved 10:10 and again 10:20 after a reopen
//     at 10:15 → last resolve: 1200 s.
//   - I4: ana acks 03-06 10:00, still open → counted, 0 s.
//   - I5: ana acks 03-07 10:00; resolved after Now → open: 0 s.
//   - I1 was also acked by bob at 10:30 → bob: 1 incident, 1800 s.
//   - I6: ana acked 02-20 (before the window), resolved 03-03 → not hers in
//     this window.
//   - I7: ana acks 03-03 10:30, resolved 11:30, and I8: acked 10:15,
//     resolved 10:45, overlap I1 (10:00–11:00): one responder's overlapping
//     engagements merge, 10:00–11:30 = 5400 s for the three (summed they
//     would be 3600 + 3600 + 1800 = 9000 s).
//
// ana: 7 incidents, 5400 + 1200 = 6600 s (summed: 10200 s).
func TestOnCallEngaged(t *testing.T) {
	s := ocStore(t)
	ack := func(at, who, inc string) event.Event {
		return ocEv(t, event.IncidentAcknowledged, at, event.Data{IncidentID: inc, Responder: who, Team: "payments"})
	}
	res := func(typ event.Type, at, inc string) event.Event {
		return ocEv(t, typ, at, event.Data{IncidentID: inc, Team: "payments"})
	}
	R, O := event.IncidentResolved, event.IncidentReopened
	ocWrite(t, s,
		ack("2026-03-03T10:00:00Z", "ana", "I1"), ack("2026-03-03T10:05:00Z", "ana", "I1"), res(R, "2026-03-03T11:00:00Z", "I1"),
		ack("2026-03-03T10:30:00Z", "bob", "I1"),
		ack("2026-03-04T10:00:00Z", "ana", "I2"), res(R, "2026-03-04T10:30:00Z", "I2"), res(O, "2026-03-04T10:40:00Z", "I2"),
		ack("2026-03-05T10:00:00Z", "ana", "I3"), res(R, "2026-03-05T10:10:00Z", "I3"), res(O, "2026-03-05T10:15:00Z", "I3"), res(R, "2026-03-05T10:20:00Z", "I3"),
		ack("2026-03-06T10:00:00Z", "ana", "I4"),
		ack("2026-03-07T10:00:00Z", "ana", "I5"), res(R, "2026-03-10T10:00:00Z", "I5"),
		ack("2026-02-20T10:00:00Z", "ana", "I6"), res(R, "2026-03-03T10:00:00Z", "I6"),
		ack("2026-03-03T10:30:00Z", "ana", "I7"), res(R, "2026-03-03T11:30:00Z", "I7"),
		ack("2026-03-03T10:15:00Z", "ana", "I8"), res(R, "2026-03-03T10:45:00Z", "I8"),
	)
	loads := ocLoads(t, s, ocConfig(t, "2026-03-09T00:00:00Z", "7d"))
	for who, want := range map[string][2]float64{"ana": {7, 6600}, "bob": {1, 1800}} {
		r := loads["7d/payments/"+who]
		if float64(r.IncidentsAcknowledged) != want[0] || r.EngagedSeconds != want[1] {
			t.Errorf("%s: acked %d engaged %v; want %v, %v", who, r.IncidentsAcknowledged, r.EngagedSeconds, want[0], want[1])
		}
		// No shifts, no pages: fatigue 0, per-12h null.
		if r.FatigueScore != 0 || r.InterruptionsPer12h != nil {
			t.Errorf("%s: fatigue %v per12h %v; want 0, nil", who, r.FatigueScore, r.InterruptionsPer12h)
		}
	}
}

// ---- fatigue ----

// TestOnCallFatigue: weights 1/2/4 (defaults). Pages (Berlin, CET):
// Wed 2026-03-04 10:00 local = 09:00Z (business), 19:00 = 18:00Z (off),
// 23:00 = 22:00Z (sleep) → weighted 1 + 2 + 4 = 7. The score rates pages
// inside a shift per week on call and the others per week of the window,
// never per less than a week (FatigueScore).
func TestOnCallFatigue(t *testing.T) {
	cases := []struct {
		name    string
		now     string // "" = 2026-03-09T00:00:00Z
		window  string
		shift   [2]string // start, end; "" = none
		outside Interruptions
		want    float64
	}{
		// Whole weeks on call, every page inside: today's figure, per week
		// on call. Shift 02-22 → 03-08 = 14 days = 2 weeks: 7 ÷ 2 = 3.5
		// (the old formula gave 7 ÷ (1209600 / 604800) = 3.5 too).
		{"two whole weeks on call", "", "30d", [2]string{"2026-02-22T00:00:00Z", "2026-03-08T00:00:00Z"}, Interruptions{}, 3.5},
		// Shift 03-04 00:00Z + 3.5 days = 0.5 week, all three pages in it:
		// 7 ÷ max(0.5, 1) = 7 (the old formula: 7 ÷ 0.5 = 14).
		{"half a week on call counts as one", "", "7d", [2]string{"2026-03-04T00:00:00Z", "2026-03-07T12:00:00Z"}, Interruptions{}, 7},
		// Shift 03-04 12:00Z → 20:00Z (8 h) holds only the 18:00Z page:
		// inside 2 ÷ max(8/168, 1) = 2; outside (business 1, sleep 1)
		// 1 + 4 = 5 ÷ 2 weeks of the 14d window = 2.5 → 4.5 (the old
		// formula: 7 ÷ (8/168) = 147).
		{"pages outside a short shift", "", "14d", [2]string{"2026-03-04T12:00:00Z", "2026-03-04T20:00:00Z"}, Interruptions{Business: 1, Sleep: 1}, 4.5},
		// A whole week on call, 02-25 12:00Z → 03-04 12:00Z, holds the
		// 09:00Z page: 1 ÷ 1 = 1; the 18:00Z and 22:00Z pages are after
		// it: 2 + 4 = 6 ÷ 2 weeks (14d) = 3 → 4 (the old formula: 7 ÷ 1).
		{"a whole week on call, pages after it", "", "14d", [2]string{"2026-02-25T12:00:00Z", "2026-03-04T12:00:00Z"}, Interruptions{OffHours: 1, Sleep: 1}, 4},
		// No on-call time known: every page is outside, per week of the
		// window: 7 ÷ 1 = 7 …
		{"no shifts, 7d window", "", "7d", [2]string{}, Interruptions{1, 1, 1}, 7},
		// … and 7 ÷ 2 weeks = 3.5 over 14 days …
		{"no shifts, 14d window", "", "14d", [2]string{}, Interruptions{1, 1, 1}, 3.5},
		// … but a window shorter than a week is not stretched to one: 1d
		// ending 03-05 00:00Z holds the three pages: 7 ÷ max(1/7, 1) = 7
		// (the old formula: 7 ÷ (1/7) = 49).
		{"no shifts, 1d window", "2026-03-05T00:00:00Z", "1d", [2]string{}, Interruptions{1, 1, 1}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ocStore(t)
			evs := []event.Event{
				ocPage(t, "2026-03-04T09:00:00Z", "ana", "Europe/Berlin", "A"),
				ocPage(t, "2026-03-04T18:00:00Z", "ana", "Europe/Berlin", "B"),
				ocPage(t, "2026-03-04T22:00:00Z", "ana", "Europe/Berlin", "C"),
			}
			if c.shift[0] != "" {
				evs = append(evs, ocShift(t, event.ShiftStarted, c.shift[0], "ana", "p"), ocShift(t, event.ShiftEnded, c.shift[1], "ana", "p"))
			}
			ocWrite(t, s, evs...)
			now := c.now
			if now == "" {
				now = "2026-03-09T00:00:00Z"
			}
			cfg := ocConfig(t, now, c.window)
			r := ocLoads(t, s, cfg)[c.window+"/payments/ana"]
			if r.Interruptions != (Interruptions{1, 1, 1}) || r.InterruptionsOutsideShifts != c.outside || !ocNear(r.FatigueScore, c.want) {
				t.Errorf("%+v outside %+v fatigue %v; want 1/1/1, %+v, %v", r.Interruptions, r.InterruptionsOutsideShifts, r.FatigueScore, c.outside, c.want)
			}
			// The Go formula (teams, folded series) gives the SQL's figure.
			if g := FatigueScore(cfg.FatigueWeights, r.Interruptions, r.InterruptionsOutsideShifts, r.OnCallSeconds, cfg.Windows[0].Duration, 1); !ocNear(g, r.FatigueScore) {
				t.Errorf("FatigueScore in Go %v, in SQL %v", g, r.FatigueScore)
			}
		})
	}
}

// TestFatigueRanksBurden: issue 24's orderings, on a team "checkout" in the
// 30d window ending Mon 2026-03-09T00:00Z (from Sat 02-07 00:00Z). All
// pages are UTC and each is its own incident; default hours (business
// 08–18 Mon–Fri, sleep 22–08) and weights 1/2/4.
//
//   - dana, lightly loaded, 12 h on call: shift Mon 02-16 08:00Z → 20:00Z
//     (43200 s). Inside it: Mon 09:00 and 11:00 (business), 19:00 (off).
//     Outside any shift: Tue 02-17 10:00 (business), Wed 02-18 23:00
//     (sleep), Sat 02-21 12:00 (off), Sun 02-22 03:00 (sleep, night of the
//     21st). 7 interruptions: business 3, off 2, sleep 2; 2 nights.
//     Inside: 1 + 1 + 2 = 4 ÷ max(43200/604800, 1) = 4. Outside:
//     1 + 2 + 4 + 4 = 11 ÷ (30/7 weeks) = 77/30. Score 4 + 77/30 = 197/30 = 6.567:
//     low (under 14). Her busy shift shows where it belongs: its first
//     12-hour block had 3 incidents > 2 → 1 block over the limit. The old
//     formula: 15 ÷ (43200/604800) = 210.
//   - amir, paged every day and night of a week on call: shift Mon 02-23
//     09:00Z → Mon 03-02 09:00Z (604800 s). Each day 02-23 … 03-01 a page
//     at 20:00 (off) and 23:00 (sleep; 7 nights), and on the five weekdays
//     one at 10:00 (business). 19 interruptions: business 5, off 7, sleep 7,
//     all inside. 5 + 14 + 28 = 47 ÷ 1 = 47: high (28 and more). A whole
//     week on call keeps the old figure: 47 ÷ 1.
//   - emeka, a busy weekend on 5% on call: shift Sat 02-28 00:00Z → Sun
//     03-01 12:00Z (129600 s = 36 h; 129600/2592000 = 5% of the window).
//     Sat 10:00, 15:00 (off), 23:00 (sleep), Sun 02:00, 04:00 (sleep), 09:00
//     (off): off 3, sleep 3, 1 night; 6 + 12 = 18 ÷ max(3/14, 1) = 18:
//     elevated (14 to 28). The old formula: 18 ÷ (3/14) = 84.
//
// Old ranking: dana 210 > emeka 84 > amir 47; now amir 47 > emeka 18 >
// dana 6.567. Team checkout, by FatigueScore on the sums: all business 8,
// off 12, sleep 12; outside business 1, off 1, sleep 2; on call 777600 s =
// 9/7 weeks. Inside: 7 + 22 + 40 = 69 ÷ 9/7 = 161/3; outside 11 ÷ 30/7 =
// 77/30 → 1610/30 + 77/30 = 1687/30 = 56.233.
func TestFatigueRanksBurden(t *testing.T) {
	s := ocStore(t)
	page := func(at, who, inc string) event.Event {
		e := ocPage(t, at, who, "UTC", inc)
		e.Data.Team = "checkout"
		return e
	}
	shift := func(typ event.Type, at, who string) event.Event {
		e := ocShift(t, typ, at, who, "primary")
		e.Data.Team = "checkout"
		return e
	}
	evs := []event.Event{
		shift(event.ShiftStarted, "2026-02-16T08:00:00Z", "dana"), shift(event.ShiftEnded, "2026-02-16T20:00:00Z", "dana"),
		page("2026-02-16T09:00:00Z", "dana", "D1"), page("2026-02-16T11:00:00Z", "dana", "D2"), page("2026-02-16T19:00:00Z", "dana", "D3"),
		page("2026-02-17T10:00:00Z", "dana", "D4"), page("2026-02-18T23:00:00Z", "dana", "D5"),
		page("2026-02-21T12:00:00Z", "dana", "D6"), page("2026-02-22T03:00:00Z", "dana", "D7"),

		shift(event.ShiftStarted, "2026-02-23T09:00:00Z", "amir"), shift(event.ShiftEnded, "2026-03-02T09:00:00Z", "amir"),

		shift(event.ShiftStarted, "2026-02-28T00:00:00Z", "emeka"), shift(event.ShiftEnded, "2026-03-01T12:00:00Z", "emeka"),
		page("2026-02-28T10:00:00Z", "emeka", "E1"), page("2026-02-28T15:00:00Z", "emeka", "E2"), page("2026-02-28T23:00:00Z", "emeka", "E3"),
		page("2026-03-01T02:00:00Z", "emeka", "E4"), page("2026-03-01T04:00:00Z", "emeka", "E5"), page("2026-03-01T09:00:00Z", "emeka", "E6"),
	}
	for d := 0; d < 7; d++ {
		day := time.Date(2026, 2, 23+d, 0, 0, 0, 0, time.UTC)
		at := func(h int) string { return day.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
		evs = append(evs, page(at(20), "amir", fmt.Sprintf("A%d-off", d)), page(at(23), "amir", fmt.Sprintf("A%d-sleep", d)))
		if d < 5 {
			evs = append(evs, page(at(10), "amir", fmt.Sprintf("A%d-bus", d)))
		}
	}
	ocWrite(t, s, evs...)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "30d")
	snap := &Snapshot{}
	if err := computeOnCall(context.Background(), s.DB(), cfg, snap); err != nil {
		t.Fatal(err)
	}
	got := map[string]ResponderLoad{}
	for _, r := range snap.Responders {
		got[r.Responder] = r
	}
	limit := FatigueLimit(cfg)
	if limit != 28 {
		t.Fatalf("FatigueLimit = %v, want 2 × 14 × 1 = 28", limit)
	}
	for _, w := range []struct {
		who            string
		all, outside   Interruptions
		nights, blocks int64
		score          float64
		level          string
	}{
		{"dana", Interruptions{3, 2, 2}, Interruptions{1, 1, 2}, 2, 1, 197.0 / 30, FatigueLow},
		{"amir", Interruptions{5, 7, 7}, Interruptions{}, 7, 0, 47, FatigueHigh},
		{"emeka", Interruptions{0, 3, 3}, Interruptions{}, 1, 1, 18, FatigueElevated},
	} {
		r := got[w.who]
		if r.Interruptions != w.all || r.InterruptionsOutsideShifts != w.outside || r.NightsInterrupted != w.nights ||
			r.ShiftsOverLimit != w.blocks || !ocNear(r.FatigueScore, w.score) || FatigueLevel(r.FatigueScore, limit) != w.level {
			t.Errorf("%s: %+v outside %+v nights %d blocks %d score %v (%s); want %+v, %+v, %d, %d, %v (%s)",
				w.who, r.Interruptions, r.InterruptionsOutsideShifts, r.NightsInterrupted, r.ShiftsOverLimit, r.FatigueScore,
				FatigueLevel(r.FatigueScore, limit), w.all, w.outside, w.nights, w.blocks, w.score, w.level)
		}
	}
	// The two orderings.
	if a, d := got["amir"].FatigueScore, got["dana"].FatigueScore; a <= d {
		t.Errorf("amir %v not above dana %v", a, d)
	}
	if a, e := got["amir"].FatigueScore, got["emeka"].FatigueScore; a <= e {
		t.Errorf("amir %v not above emeka %v", a, e)
	}
	if len(snap.Teams) != 1 || !ocNear(snap.Teams[0].FatigueScore, 1687.0/30) ||
		snap.Teams[0].InterruptionsOutsideShifts != (Interruptions{1, 1, 2}) {
		t.Errorf("team %+v; want fatigue 1687/30 = 56.233, outside 1/1/2", snap.Teams)
	}
}

// TestFatigueLevel: the scale around FatigueLimit (28 with the defaults).
func TestFatigueLevel(t *testing.T) {
	for _, c := range []struct {
		score, limit float64
		want         string
	}{
		{0, 28, FatigueLow}, {13.99, 28, FatigueLow}, {14, 28, FatigueElevated}, {27.9, 28, FatigueElevated},
		{28, 28, FatigueHigh}, {200, 28, FatigueHigh}, {5, 0, ""},
	} {
		if got := FatigueLevel(c.score, c.limit); got != c.want {
			t.Errorf("FatigueLevel(%v, %v) = %q, want %q", c.score, c.limit, got, c.want)
		}
	}
	cfg := DefaultConfig(time.Now())
	cfg.ShiftIncidentLimit, cfg.FatigueWeights.Business = 3, 0.5
	if got := FatigueLimit(cfg); got != 21 { // 3 × 14 × 0.5
		t.Errorf("FatigueLimit with limit 3, business weight 0.5 = %v, want 21", got)
	}
}

// ---- teams ----

// TestGini: by hand, G = Σi Σj |xi − xj| / (2 n² mean), no n/(n−1).
func TestGini(t *testing.T) {
	cases := []struct {
		xs   []float64
		gini float64
		mom  float64 // max ÷ median; -1 = nil
	}{
		{[]float64{1, 1, 1, 1}, 0, 1},                 // all equal
		{[]float64{0, 0, 0, 4}, 0.75, -1},             // 3 pairs × |4−0| × 2 = 24; 24 ÷ (2·16·1) = 0.75; median 0
		{[]float64{4, 0, 0, 0}, 0.75, -1},             // order does not matter
		{[]float64{1, 3}, 0.25, 1.5},                  // 2·2 = 4; 4 ÷ (2·4·2) = 0.25; 3 ÷ 2
		{[]float64{1, 2, 3, 4, 5}, 4.0 / 15, 5.0 / 3}, // Σ|d| = 2(4·1+3·2+2·3+1·4) = 40; 40 ÷ (2·25·3) = 4/15
		{[]float64{1, 2, 3, 10}, 0.4375, 4},           // Σ|d| = 2(1+2+9+1+8+7) = 56; 56 ÷ (2·16·4) = 0.4375; 10 ÷ median 2.5
		{[]float64{7}, 0, 1},                          // one responder
		{[]float64{0, 0}, 0, -1},                      // nobody paged
		{nil, 0, -1},                                  // no responders
	}
	for _, c := range cases {
		if g := Gini(c.xs); !ocNear(g, c.gini) {
			t.Errorf("Gini(%v) = %v, want %v", c.xs, g, c.gini)
		}
		m := MaxOverMedian(c.xs)
		if (c.mom < 0) != (m == nil) || (m != nil && !ocNear(*m, c.mom)) {
			t.Errorf("MaxOverMedian(%v) = %v, want %v", c.xs, m, c.mom)
		}
	}
}

// TestOnCallTeam: four responders of payments in the 7d window: ana has 4
// interruptions (distinct incidents, Wed 10:00–10:30 UTC, business); bob,
// cleo and dan were on call (a shift each) but never paged → loads
// (0, 0, 0, 4): gini 0.75, median 0 → max_over_median null; team sums:
// 4 interruptions, 4 responders, on call 3 × 86400 s.
func TestOnCallTeam(t *testing.T) {
	s := ocStore(t)
	var evs []event.Event
	for i, at := range []string{"2026-03-04T10:00:00Z", "2026-03-04T10:10:00Z", "2026-03-04T10:20:00Z", "2026-03-04T10:30:00Z"} {
		evs = append(evs, ocPage(t, at, "ana", "UTC", fmt.Sprintf("T-%d", i)))
	}
	for _, who := range []string{"bob", "cleo", "dan"} {
		evs = append(evs, ocShift(t, event.ShiftStarted, "2026-03-05T00:00:00Z", who, "p"), ocShift(t, event.ShiftEnded, "2026-03-06T00:00:00Z", who, "p"))
	}
	ocWrite(t, s, evs...)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
	snap := &Snapshot{}
	if err := computeOnCall(context.Background(), s.DB(), cfg, snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Teams) != 1 {
		t.Fatalf("teams %+v, want 1", snap.Teams)
	}
	tl := snap.Teams[0]
	if tl.Interruptions != 4 || tl.Responders != 4 || tl.OnCallSeconds != 3*86400 || !ocNear(tl.Gini, 0.75) || tl.MaxOverMedian != nil {
		t.Errorf("team %+v; want 4 interruptions, 4 responders, 259200 s, gini 0.75, max/median nil", tl)
	}
	// Team fatigue: ana has no shift, so her 4 business interruptions are
	// outside every shift and rated per week of the 7d window: 4 ÷ 1 = 4
	// (not per the others' 3 days on call: 4 ÷ (259200 / 604800) = 9.33).
	if !ocNear(tl.FatigueScore, 4) {
		t.Errorf("team fatigue %v, want 4", tl.FatigueScore)
	}
}

// ---- heat map ----

// TestInterruptHeatmap, window 30d ending 2026-03-14T00:00Z, team payments.
// ana (Berlin, CET): incident A paged Mon 2026-03-02 03:10 and 03:11 local
// (one interruption), incident B at 03:40 local, incident D Mon 2026-03-09
// 03:20 local, incident C Tue 2026-03-10 14:00 local; bob is on team search
// and filtered out.
//   - cells (ISO weekday, local hour): (1, 3) = 3 (A, B, D across two
//     weeks), (2, 14) = 1 (C);
//   - weeks (local Monday): 03-02 sleep 2; 03-09 business 1, sleep 1.
func TestInterruptHeatmap(t *testing.T) {
	s := ocStore(t)
	bob := ocPage(t, "2026-03-03T12:00:00Z", "bob", "UTC", "X")
	bob.Data.Team = "search"
	ocWrite(t, s,
		ocPage(t, "2026-03-02T02:10:00Z", "ana", "Europe/Berlin", "A"), // Mon 03:10 sleep
		ocPage(t, "2026-03-02T02:11:00Z", "ana", "Europe/Berlin", "A"), // folds into A
		ocPage(t, "2026-03-02T02:40:00Z", "ana", "Europe/Berlin", "B"), // Mon 03:40 sleep
		ocPage(t, "2026-03-09T02:20:00Z", "ana", "Europe/Berlin", "D"), // Mon 03:20 sleep, next ISO week
		ocPage(t, "2026-03-10T13:00:00Z", "ana", "Europe/Berlin", "C"), // Tue 14:00 business
		bob,
	)
	hm, err := InterruptionHeatmap(context.Background(), s.DB(), ocConfig(t, "2026-03-14T00:00:00Z"), Window{"30d", 30 * 24 * time.Hour}, "payments")
	if err != nil {
		t.Fatal(err)
	}
	wantCells := []HeatmapCell{
		{"payments", "ana", 1, 3, 3},
		{"payments", "ana", 2, 14, 1},
	}
	if !reflect.DeepEqual(hm.Cells, wantCells) {
		t.Errorf("cells %+v, want %+v", hm.Cells, wantCells)
	}
	mon := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	wantWeeks := []WeeklyLoad{
		{"payments", "ana", mon("2026-03-02"), Interruptions{Sleep: 2}},
		{"payments", "ana", mon("2026-03-09"), Interruptions{Business: 1, Sleep: 1}},
	}
	if len(hm.Weeks) != len(wantWeeks) {
		t.Fatalf("weeks %+v, want %+v", hm.Weeks, wantWeeks)
	}
	for i := range wantWeeks {
		g := hm.Weeks[i]
		if !g.Week.Equal(wantWeeks[i].Week) || g.Interruptions != wantWeeks[i].Interruptions || g.Responder != "ana" {
			t.Errorf("week %d: %+v, want %+v", i, g, wantWeeks[i])
		}
	}
}

// TestTeamFatigueOutsidePerPerson: a team's score is a rate per
// person-week in both parts. payments, window 14d ending 03-09 (2 weeks),
// no shifts recorded, weights business 1, off-hours 2, sleep 4; Berlin is
// UTC+1:
//   - ana: 09:00Z business 1, 18:00Z off-hours 2, 22:00Z sleep 4 = 7,
//     all outside every shift: 7 ÷ 2 weeks = 3.5.
//   - bo: 09:30Z business 1, outside: 1 ÷ 2 weeks = 0.5.
//
// The team: nothing inside a shift (0 ÷ max(0, 1 week) = 0); outside 7 + 1 =
// 8 over 2 weeks for each of the 2 people paged outside: 8 ÷ (2 × 2) = 2,
// the mean of 3.5 and 0.5. (Before, 8 ÷ 2 = 4: more than the busiest
// member, as if one person had taken both people's pages.)
func TestTeamFatigueOutsidePerPerson(t *testing.T) {
	s := ocStore(t)
	ocWrite(t, s,
		ocPage(t, "2026-03-04T09:00:00Z", "ana", "Europe/Berlin", "A"),
		ocPage(t, "2026-03-04T18:00:00Z", "ana", "Europe/Berlin", "B"),
		ocPage(t, "2026-03-04T22:00:00Z", "ana", "Europe/Berlin", "C"),
		ocPage(t, "2026-03-05T09:30:00Z", "bo", "Europe/Berlin", "D"),
	)
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "14d")
	rs, err := ResponderLoads(context.Background(), s.DB(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var people []float64
	for _, r := range rs {
		people = append(people, r.FatigueScore)
	}
	teams := TeamLoads(cfg, rs)
	if len(teams) != 1 || len(people) != 2 {
		t.Fatalf("teams %+v, responders %v; want one team of two", teams, people)
	}
	tm := teams[0]
	if tm.RespondersPagedOutsideShifts != 2 || !ocNear(tm.FatigueScore, 2) {
		t.Errorf("team: %d paged outside, fatigue %v; want 2, 2 (responders %v)", tm.RespondersPagedOutsideShifts, tm.FatigueScore, people)
	}
}
