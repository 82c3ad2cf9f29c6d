package analytics_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
)

// cmdIncident builds the events of one incident of team payments, service
// api: a trigger at trig with severity sev, then more events at minute
// offsets from the trigger. Each extra is a type, an offset in minutes and
// the fields the type needs.
type cmdExtra struct {
	typ event.Type
	min float64
	d   event.Data
}

func cmdIncident(id, sev, trig string, extras ...cmdExtra) []event.Event {
	t0 := mustTime(trig)
	out := []event.Event{{ID: id + "-t", Source: "test", Type: event.IncidentTriggered, Time: t0,
		Data: event.Data{IncidentID: id, Team: "payments", Service: "api", Severity: sev}}}
	for i, x := range extras {
		d := x.d
		d.IncidentID = id
		out = append(out, event.Event{ID: fmt.Sprintf("%s-%d", id, i), Source: "test", Type: x.typ,
			Time: t0.Add(time.Duration(x.min * float64(time.Minute))), Data: d})
	}
	return out
}

func commander(min float64) cmdExtra {
	return cmdExtra{event.IncidentRoleAssigned, min, event.Data{Role: "commander", Responder: "cy"}}
}
func update(min float64, audience string) cmdExtra {
	return cmdExtra{event.IncidentStatusUpdate, min, event.Data{Audience: audience}}
}
func ack(min float64, who string) cmdExtra {
	return cmdExtra{event.IncidentAcknowledged, min, event.Data{Responder: who}}
}
func resolve(min float64) cmdExtra { return cmdExtra{event.IncidentResolved, min, event.Data{}} }
func retro(min float64) cmdExtra {
	return cmdExtra{event.IncidentRetrospectiveCompleted, min, event.Data{}}
}
func escalate(min float64) cmdExtra { return cmdExtra{event.IncidentEscalated, min, event.Data{}} }
func sevChange(min float64, sev string) cmdExtra {
	return cmdExtra{event.IncidentSeverityChanged, min, event.Data{Severity: sev}}
}
func item(typ event.Type, min float64, action string) cmdExtra {
	return cmdExtra{typ, min, event.Data{ActionID: action}}
}

func fp(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%.6f", *v)
}

// fmtCommand prints a row field by field, Stats and shares to 6 decimals,
// so that floating-point interpolation compares equal to hand-worked values.
func fmtCommand(r analytics.CommandStats) string {
	return fmt.Sprintf("%s/%s/%s incidents=%d major=%d commander=%d without_commander=%d ttc=%s updates=%d "+
		"median_gap=%s max_gap=%s over_target=%d top=%d downgraded=%d retros=%d retro_share=%s retro=%s "+
		"items=%d done=%d open=%d done_share=%s open_age=%s esc_unacked=%d esc_share=%s",
		r.Window, r.Team, r.Severity, r.Incidents, r.Major, r.WithCommander, r.WithoutCommander, fmtStat(r.TimeToCommander),
		r.StatusUpdates, fmtStat(r.UpdateMedianGap), fmtStat(r.UpdateMaxGap), r.UpdateGapOverTarget, r.TopSeverity,
		r.Downgraded, r.Retrospectives, fp(r.RetrospectiveShare), fmtStat(r.RetrospectiveDelay),
		r.ActionItemsCreated, r.ActionItemsCompleted, r.ActionItemsOpen, fp(r.ActionItemsDoneShare),
		fmtStat(r.OpenActionItemAge), r.EscalatedUnacknowledged, fp(r.EscalatedUnacknowledgedShare))
}

// TestCommandPractice: each case is a small event set whose figures are
// worked out by hand in its comment. now = 2026-03-09T00:00Z, one window 30d
// (2026-02-07T00:00Z, 2026-03-09T00:00Z]; major = SEV1, SEV2; top = SEV1;
// update-gap target 30 min = 1800 s unless the case sets one.
func TestCommandPractice(t *testing.T) {
	const now = "2026-03-09T00:00:00Z"
	none := analytics.Stat{}
	tests := []struct {
		name   string
		events []event.Event
		target time.Duration
		want   []analytics.CommandStats
	}{
		{
			// SEV1 (major, top). Commander at +7 min: time to commander
			// 420 s. Updates at +10, +50, +60, resolve at +90: points 0, 10,
			// 50, 60, 90 → gaps 10, 40, 10, 30 min = 600, 2400, 600, 1800 s.
			// Median of the gaps: sorted 600, 600, 1800, 2400 → (600 +
			// 1800) / 2 = 1200; max 2400 > 1800 (target): over target. No
			// retrospective: 0 of 1 major (share 0). Acked at +2 before
			// any escalation: none unacknowledged.
			name: "commander at 7 min, updates at 10, 50, 60, resolve at 90",
			events: cmdIncident("I1", "SEV1", "2026-03-01T10:00:00Z",
				ack(2, "ana"), commander(7), update(10, "internal"), update(50, "stakeholders"), update(60, "public"), resolve(90)),
			want: []analytics.CommandStats{{Severity: "SEV1", Incidents: 1, Major: 1,
				WithCommander: 1, TimeToCommander: one(420),
				StatusUpdates: 3, UpdateMedianGap: one(1200), UpdateMaxGap: one(2400), UpdateGapOverTarget: 1,
				TopSeverity: 1, RetrospectiveShare: f(0), EscalatedUnacknowledgedShare: f(0)}},
		},
		{
			// The same incident with a 45-min target: max gap 2400 s
			// (40 min) is within it.
			name:   "configured target",
			target: 45 * time.Minute,
			events: cmdIncident("I1", "SEV1", "2026-03-01T10:00:00Z",
				ack(2, "ana"), commander(7), update(10, "internal"), update(50, "stakeholders"), update(60, "public"), resolve(90)),
			want: []analytics.CommandStats{{Severity: "SEV1", Incidents: 1, Major: 1,
				WithCommander: 1, TimeToCommander: one(420),
				StatusUpdates: 3, UpdateMedianGap: one(1200), UpdateMaxGap: one(2400),
				TopSeverity: 1, RetrospectiveShare: f(0), EscalatedUnacknowledgedShare: f(0)}},
		},
		{
			// SEV3 (not major): two updates at the same instant +20 (two
			// audiences) count as one point: points 0, 20, 30 → gaps 1200,
			// 600 s; median 900, max 1200. Both events count as updates (2).
			// Not major: no commander expected, no target.
			name: "simultaneous updates are one point",
			events: cmdIncident("I1", "SEV3", "2026-03-01T10:00:00Z",
				ack(1, "ana"), update(20, "internal"), update(20, "stakeholders"), resolve(30)),
			want: []analytics.CommandStats{{Severity: "SEV3", Incidents: 1,
				StatusUpdates: 2, UpdateMedianGap: one(900), UpdateMaxGap: one(1200),
				EscalatedUnacknowledgedShare: f(0)}},
		},
		{
			// SEV2 (major), no commander, no update: one gap trigger →
			// resolve 60 min = 3600 s (over target). Resolved 11:00 on 03-02,
			// retrospective 24 h later: 86400 s, share 1/1.
			// Action items: A1 created +25 h, completed +73 h; A2 created
			// 03-04 00:00, open: age to now 5 d = 432000; A3 only a completion
			// stored: an item, completed; A4 created 03-05 00:00, completed
			// 03-10 (after now): open, age 4 d = 345600. Created 4, completed
			// 2, open 2, share 0.5. Open ages 345600, 432000: sum 777600,
			// mean 388800, p50 388800, p90 = 345600 + 0.9 × 86400 = 423360,
			// p95 = 427680, p99 = 431136.
			name: "retrospective and action items",
			events: cmdIncident("I2", "SEV2", "2026-03-02T10:00:00Z",
				ack(5, "ana"), resolve(60), retro(60+24*60),
				item(event.ActionItemCreated, 25*60, "A1"), item(event.ActionItemCompleted, 73*60, "A1"),
				item(event.ActionItemCreated, 38*60, "A2"),
				item(event.ActionItemCompleted, 30*60, "A3"),
				item(event.ActionItemCreated, 62*60, "A4"), item(event.ActionItemCompleted, 182*60, "A4")),
			want: []analytics.CommandStats{{Severity: "SEV2", Incidents: 1, Major: 1, WithoutCommander: 1,
				UpdateMedianGap: one(3600), UpdateMaxGap: one(3600), UpdateGapOverTarget: 1,
				Retrospectives: 1, RetrospectiveShare: f(1), RetrospectiveDelay: one(86400),
				ActionItemsCreated: 4, ActionItemsCompleted: 2, ActionItemsOpen: 2, ActionItemsDoneShare: f(0.5),
				OpenActionItemAge:            stat(2, 777600, 388800, 388800, 423360, 427680, 431136),
				EscalatedUnacknowledgedShare: f(0)}},
		},
		{
			// Declared SEV1, escalated at +5 before the ack at +10 (counts),
			// lowered to SEV3 at +30 (a downgrade: rank 3 below 1), escalated
			// again at +40 (after the ack: not counted again), resolved at
			// +60. The row is the final severity SEV3: not major, not top.
			// I4, SEV3 raised to SEV2 at +10 (an upgrade, not a downgrade),
			// escalated and resolved without any ack: escalated while
			// unacknowledged; its row is SEV2 (major, no commander).
			name: "downgrade and escalations while unacknowledged",
			events: cat(
				cmdIncident("I3", "SEV1", "2026-03-03T10:00:00Z",
					escalate(5), ack(10, "ana"), sevChange(30, "SEV3"), escalate(40), resolve(60)),
				cmdIncident("I4", "SEV3", "2026-03-04T10:00:00Z",
					sevChange(10, "SEV2"), escalate(15), resolve(20))),
			want: []analytics.CommandStats{
				{Severity: "SEV2", Incidents: 1, Major: 1, WithoutCommander: 1,
					UpdateMedianGap: one(1200), UpdateMaxGap: one(1200), RetrospectiveShare: f(0),
					EscalatedUnacknowledged: 1, EscalatedUnacknowledgedShare: f(1)},
				{Severity: "SEV3", Incidents: 1, Downgraded: 1,
					UpdateMedianGap: one(3600), UpdateMaxGap: one(3600),
					EscalatedUnacknowledged: 1, EscalatedUnacknowledgedShare: f(1)},
			},
		},
		{
			// A major incident still open, with no commander up to now (one
			// is assigned at 00:10 on 03-09, after now): without commander;
			// open, so no cadence sample. Its update at +30 still counts.
			name: "open major incident, commander after now",
			events: cmdIncident("I5", "SEV1", "2026-03-08T23:00:00Z",
				update(30, "internal"), commander(70)),
			want: []analytics.CommandStats{{Severity: "SEV1", Incidents: 1, Major: 1, WithoutCommander: 1,
				StatusUpdates: 1, UpdateMedianGap: none, UpdateMaxGap: none, TopSeverity: 1,
				RetrospectiveShare: f(0), EscalatedUnacknowledgedShare: f(0)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			write(t, s, tt.events...)
			cfg := cfg30d(now)
			cfg.UpdateGapTarget = tt.target
			snap := compute(t, s, cfg)
			var got, want []string
			for _, r := range snap.Command {
				got = append(got, fmtCommand(r))
			}
			for _, r := range tt.want {
				r.Window, r.Team = "30d", "payments"
				want = append(want, fmtCommand(r))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("command rows:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
}

// TestServiceConcentration: services and their acknowledgers, now 03-09,
// window 30d.
//   - payments/api: 5 incidents, all acknowledged by ana: share 5/5 = 1.0,
//     5 ≥ 5 acknowledged: flagged.
//   - payments/db: ana 4, bo 1: share 0.8, not above 0.8: not flagged.
//   - payments/web: 4 incidents, all by cy: share 1.0 but fewer than 5.
//   - payments/queue: 6 incidents, 5 by ana and 1 never acknowledged: the
//     share is of acknowledged incidents, 5/5 = 1.0, flagged.
//   - payments/cache: ana 1, bo 1: a tie, the first by name (ana), 0.5.
//   - an incident with no team (service api) and one with no service (team
//     payments): one incident without owner in each of their rows.
func TestServiceConcentration(t *testing.T) {
	var evs []event.Event
	n := 0
	inc := func(team, service, who string) {
		n++
		id := fmt.Sprintf("S%d", n)
		t0 := mustTime("2026-03-01T00:00:00Z").Add(time.Duration(n) * time.Hour)
		evs = append(evs, event.Event{ID: id + "-t", Source: "test", Type: event.IncidentTriggered, Time: t0,
			Data: event.Data{IncidentID: id, Team: team, Service: service, Severity: "SEV3"}})
		if who != "" {
			evs = append(evs, event.Event{ID: id + "-a", Source: "test", Type: event.IncidentAcknowledged,
				Time: t0.Add(time.Minute), Data: event.Data{IncidentID: id, Responder: who}})
		}
	}
	for range 5 {
		inc("payments", "api", "ana")
	}
	for _, w := range []string{"ana", "bo", "ana", "ana", "ana"} {
		inc("payments", "db", w)
	}
	for range 4 {
		inc("payments", "web", "cy")
	}
	for _, w := range []string{"ana", "ana", "", "ana", "ana", "ana"} {
		inc("payments", "queue", w)
	}
	inc("payments", "cache", "bo")
	inc("payments", "cache", "ana")
	inc("", "api", "dee")
	inc("payments", "", "dee")

	s := openStore(t)
	write(t, s, evs...)
	snap := compute(t, s, cfg30d("2026-03-09T00:00:00Z"))
	type row struct {
		team, service          string
		incidents, acked, resp int64
		top                    string
		topAcks                int64
		share                  string
		flagged                bool
		noOwner                int64
	}
	want := []row{
		{"", "api", 1, 1, 1, "dee", 1, "1.000000", false, 1},
		{"payments", "", 1, 1, 1, "dee", 1, "1.000000", false, 1},
		{"payments", "api", 5, 5, 1, "ana", 5, "1.000000", true, 0},
		{"payments", "cache", 2, 2, 2, "ana", 1, "0.500000", false, 0},
		{"payments", "db", 5, 5, 2, "ana", 4, "0.800000", false, 0},
		{"payments", "queue", 6, 5, 1, "ana", 5, "1.000000", true, 0},
		{"payments", "web", 4, 4, 1, "cy", 4, "1.000000", false, 0},
	}
	var got []row
	for _, r := range snap.Services {
		if r.Window != "30d" {
			t.Errorf("window %q", r.Window)
		}
		got = append(got, row{r.Team, r.Service, r.Incidents, r.Acknowledged, r.Responders, r.TopResponder,
			r.TopResponderAcks, fp(r.TopResponderShare), r.Flagged, r.IncidentsWithoutOwner})
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("services:\n got %+v\nwant %+v", got, want)
	}
}

// TestScheduleCoverage: now 03-09 00:00, windows 7d (from 03-02 00:00) and
// 30d (from 02-07 00:00).
//   - primary: ana 03-01 00:00 → 03-04 00:00, bo from 03-04 06:00, still on
//     call: a 6-hour hole, 21600 s. 30d: known from the first shift on
//     03-01, covered 72 h + (03-04 06:00 → now = 114 h) = 186 h = 669600 s.
//     7d: covered from 03-02: 48 h + 114 h = 162 h = 583200 s; same hole.
//   - secondary: ana 03-03 00:00 → 03-05 12:00, bo 03-05 12:00 → 03-08
//     00:00 (a handover at one instant: no hole), cy 03-04 → 03-06
//     (overlapping): covered 03-03 → 03-08 = 120 h = 432000 s; nobody
//     since: one gap of 24 h = 86400 s, the same in both windows.
//   - retired: one shift in January: no on-call time in either window, no
//     row.
func TestScheduleCoverage(t *testing.T) {
	shift := func(typ event.Type, at, who, sched string) event.Event {
		return event.Event{ID: fmt.Sprintf("%s-%s-%s-%s", typ, at, who, sched), Source: "test", Type: typ,
			Time: mustTime(at), Data: event.Data{Responder: who, Team: "payments", Schedule: sched}}
	}
	S, E := event.ShiftStarted, event.ShiftEnded
	evs := []event.Event{
		shift(S, "2026-03-01T00:00:00Z", "ana", "primary"), shift(E, "2026-03-04T00:00:00Z", "ana", "primary"),
		shift(S, "2026-03-04T06:00:00Z", "bo", "primary"),
		shift(S, "2026-03-03T00:00:00Z", "ana", "secondary"), shift(E, "2026-03-05T12:00:00Z", "ana", "secondary"),
		shift(S, "2026-03-05T12:00:00Z", "bo", "secondary"), shift(E, "2026-03-08T00:00:00Z", "bo", "secondary"),
		shift(S, "2026-03-04T00:00:00Z", "cy", "secondary"), shift(E, "2026-03-06T00:00:00Z", "cy", "secondary"),
		shift(S, "2026-01-10T00:00:00Z", "dee", "retired"), shift(E, "2026-01-12T00:00:00Z", "dee", "retired"),
	}
	s := openStore(t)
	write(t, s, evs...)
	cfg := analytics.DefaultConfig(mustTime("2026-03-09T00:00:00Z"))
	cfg.Windows = []analytics.Window{{Name: "7d", Duration: 7 * 24 * time.Hour}, {Name: "30d", Duration: 30 * 24 * time.Hour}}
	snap := compute(t, s, cfg)
	want := []analytics.ScheduleCoverage{
		{Window: "7d", Team: "payments", Schedule: "primary", CoveredSeconds: 583200, UncoveredSeconds: 21600, Gaps: 1, LongestGapSeconds: 21600},
		{Window: "7d", Team: "payments", Schedule: "secondary", CoveredSeconds: 432000, UncoveredSeconds: 86400, Gaps: 1, LongestGapSeconds: 86400},
		{Window: "30d", Team: "payments", Schedule: "primary", CoveredSeconds: 669600, UncoveredSeconds: 21600, Gaps: 1, LongestGapSeconds: 21600},
		{Window: "30d", Team: "payments", Schedule: "secondary", CoveredSeconds: 432000, UncoveredSeconds: 86400, Gaps: 1, LongestGapSeconds: 86400},
	}
	if fmt.Sprint(snap.Schedules) != fmt.Sprint(want) {
		t.Errorf("schedules:\n got %+v\nwant %+v", snap.Schedules, want)
	}
}

// The machine format carries the three sections at the top level, with
// empty lists (not null) when there is nothing to report.
func TestCommandMachineFormat(t *testing.T) {
	s := openStore(t)
	snap := compute(t, s, cfg30d("2026-03-09T00:00:00Z"))
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"command":[]`, `"services":[]`, `"schedules":[]`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}
