package handover_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/exporters/handover"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// now is the handover: Monday 2026-12-07 09:00 UTC; the 7d shift is
// (Mon 11-30 09:00, Mon 12-07 09:00]. No event names a time zone and there
// is no roster, so every page is bucketed in UTC: sleep 22–08, business
// 08–18 Mon–Fri.
var now = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// events is the hand-made week.
//
// payments:
//   - INC-1 checkout sev1, Tue 12-01 10:00, page alice push 10:00, ack alice
//     10:05, resolved 11:00: an incident of the shift; 1 interruption,
//     business hours.
//   - INC-2 checkout sev2, Thu 12-03 02:30, page alice phone 02:30, ack 02:40,
//     never resolved: an incident of the shift, 1 sleep interruption (night
//     of 12-02), open at now, age 4d 6h 30m = 369000 s.
//   - INC-3 checkout sev2, Sat 12-05 23:10, pages alice phone 23:10 and 23:11
//     (within the 2 min fold: one interruption), resolved 23:40: an incident,
//     1 sleep interruption (night of 12-05).
//   - INC-OLD checkout sev3, 11-20 08:00, never resolved: open at now (age
//     17d 1h = 1472400 s) but triggered before the shift, so not one of
//     its incidents.
//   - a page to bob by email Wed 12-02 03:00 for INC-1: email is not an
//     interrupting channel, so it counts nowhere.
//   - HighLatency (checkout) fires 3 times (keys hl-1..3, a day apart, each
//     resolved 1 min later by the system, nobody acks): alerts 3,
//     actionable 0, transient 3 (resolved within 5 min): the fatigue
//     report's "transient" rule.
//   - DiskFull (checkout) fires once attached to INC-1: actionable, score 0,
//     not an alert to tune.
//   - schedule primary: alice Mon 11-30 09:00 → Mon 12-07 09:00, bob Mon
//     12-07 09:00 → Mon 12-14 09:00 (the end is a future event, as a schedule
//     import stores it), carol from Mon 12-14 09:00.
//
// So payments: incidents 3 (INC-1, 2, 3), pages 3 (alice: Tue 10:00, Thu
// 02:30, Sat 23:10), sleep interruptions 2, nights interrupted 2, open
// handed over 2 (INC-OLD, INC-2, oldest first), alerts to tune 1
// (HighLatency), on call: bob now (alice's end sorts before bob's start
// at 09:00) until 12-14 09:00, carol next from 12-14 09:00.
//
// search: INC-S1 Fri 12-04 15:00, page dave sms 15:00, resolved 15:30:
// incidents 1, pages 1 (business), sleep 0, nights 0, nothing open, no
// alert to tune, no shift events.
func events() []event.Event {
	var evs []event.Event
	add := func(id string, typ event.Type, when string, d event.Data) {
		evs = append(evs, event.Event{ID: id, Source: "test", Type: typ, Time: at(when), Data: d})
	}
	pay := func(inc string) event.Data {
		return event.Data{IncidentID: inc, Team: "payments", Service: "checkout"}
	}
	d := pay("INC-1")
	d.Severity = "sev1"
	add("i1-t", event.IncidentTriggered, "2026-12-01 10:00", d)
	p := pay("INC-1")
	p.Responder, p.Channel = "alice", "push"
	add("i1-p", event.PageNotified, "2026-12-01 10:00", p)
	p.Responder = "alice"
	add("i1-a", event.IncidentAcknowledged, "2026-12-01 10:05", p)
	add("i1-r", event.IncidentResolved, "2026-12-01 11:00", pay("INC-1"))
	p = pay("INC-1")
	p.Responder, p.Channel = "bob", "email"
	add("i1-email", event.PageNotified, "2026-12-02 03:00", p)

	d = pay("INC-2")
	d.Severity = "sev2"
	add("i2-t", event.IncidentTriggered, "2026-12-03 02:30", d)
	p = pay("INC-2")
	p.Responder, p.Channel = "alice", "phone"
	add("i2-p", event.PageNotified, "2026-12-03 02:30", p)
	add("i2-a", event.IncidentAcknowledged, "2026-12-03 02:40", p)

	d = pay("INC-3")
	d.Severity = "sev2"
	add("i3-t", event.IncidentTriggered, "2026-12-05 23:10", d)
	p = pay("INC-3")
	p.Responder, p.Channel = "alice", "phone"
	add("i3-p1", event.PageNotified, "2026-12-05 23:10", p)
	add("i3-p2", event.PageNotified, "2026-12-05 23:11", p)
	add("i3-r", event.IncidentResolved, "2026-12-05 23:40", pay("INC-3"))

	d = pay("INC-OLD")
	d.Severity = "sev3"
	add("iold-t", event.IncidentTriggered, "2026-11-20 08:00", d)

	for i, day := range []string{"2026-12-01", "2026-12-02", "2026-12-03"} {
		a := event.Data{AlertKey: "hl-" + string(rune('1'+i)), AlertName: "HighLatency", Team: "payments", Service: "checkout"}
		add(a.AlertKey+"-t", event.AlertTriggered, day+" 12:00", a)
		r := a
		r.ResolvedBy = event.ResolvedBySystem
		add(a.AlertKey+"-r", event.AlertResolved, day+" 12:01", r)
	}
	df := event.Data{AlertKey: "df-1", AlertName: "DiskFull", Team: "payments", Service: "checkout", IncidentID: "INC-1"}
	add("df-t", event.AlertTriggered, "2026-12-01 09:59", df)

	sh := func(who string) event.Data {
		return event.Data{Responder: who, Schedule: "primary", Team: "payments"}
	}
	add("s-alice-s", event.ShiftStarted, "2026-11-30 09:00", sh("alice"))
	add("s-alice-e", event.ShiftEnded, "2026-12-07 09:00", sh("alice"))
	add("s-bob-s", event.ShiftStarted, "2026-12-07 09:00", sh("bob"))
	add("s-bob-e", event.ShiftEnded, "2026-12-14 09:00", sh("bob"))
	add("s-carol-s", event.ShiftStarted, "2026-12-14 09:00", sh("carol"))

	s1 := event.Data{IncidentID: "INC-S1", Team: "search", Service: "query"}
	add("s1-t", event.IncidentTriggered, "2026-12-04 15:00", s1)
	sp := s1
	sp.Responder, sp.Channel = "dave", "sms"
	add("s1-p", event.PageNotified, "2026-12-04 15:00", sp)
	add("s1-r", event.IncidentResolved, "2026-12-04 15:30", s1)
	return evs
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.duckdb"), store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := analytics.Attach(ctx, s); err != nil {
		t.Fatal(err)
	}
	evs := events()
	rows := make([]store.Row, len(evs))
	for i, e := range evs {
		rows[i] = store.Row{Event: e, Topic: "test", Offset: int64(i)}
	}
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows}); err != nil {
		t.Fatal(err)
	}
	return s
}

func build(t *testing.T, s *store.Store, team string) *handover.Digest {
	t.Helper()
	w, _ := analytics.ParseWindow("7d")
	d, err := handover.Build(context.Background(), s, handover.Options{Config: analytics.DefaultConfig(now), Window: w, Team: team})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDigestFigures(t *testing.T) {
	d := build(t, openStore(t), "")
	if len(d.Teams) != 2 || d.Teams[0].Team != "payments" || d.Teams[1].Team != "search" {
		t.Fatalf("teams %+v", d.Teams)
	}
	if !d.From.Equal(at("2026-11-30 09:00")) {
		t.Errorf("from %s", d.From)
	}
	p, s := d.Teams[0], d.Teams[1]
	type figs struct{ incidents, pages, sleep, nights, open, tune, oncall int64 }
	got := func(t handover.Team) figs {
		return figs{t.Incidents, t.Pages, t.SleepInterruptions, t.NightsInterrupted,
			int64(len(t.OpenIncidents)), int64(len(t.AlertsToTune)), int64(len(t.OnCall))}
	}
	if g, w := got(p), (figs{3, 3, 2, 2, 2, 1, 2}); g != w {
		t.Errorf("payments %+v, want %+v", g, w)
	}
	if g, w := got(s), (figs{1, 1, 0, 0, 0, 0, 0}); g != w {
		t.Errorf("search %+v, want %+v", g, w)
	}
	if o := p.OpenIncidents; o[0].IncidentID != "INC-OLD" || o[0].AgeSeconds != 1472400 ||
		o[1].IncidentID != "INC-2" || o[1].AgeSeconds != 369000 || o[1].AcknowledgedBy != "alice" {
		t.Errorf("open incidents %+v", o)
	}
	if a := p.AlertsToTune[0]; a.AlertName != "HighLatency" || a.Alerts != 3 || a.Actionable != 0 || a.Rule != "transient" {
		t.Errorf("alert to tune %+v", a)
	}
	oc := p.OnCall
	if oc[0].Responder != "bob" || !oc[0].Current || !oc[0].Start.Equal(now) || oc[0].End == nil || !oc[0].End.Equal(at("2026-12-14 09:00")) {
		t.Errorf("on call now %+v", oc[0])
	}
	if oc[1].Responder != "carol" || oc[1].Current || !oc[1].Start.Equal(at("2026-12-14 09:00")) || oc[1].End != nil {
		t.Errorf("on call next %+v", oc[1])
	}
}

// An hour before the handover alice is still on call and bob is next.
func TestOnCallBeforeTheHandover(t *testing.T) {
	s := openStore(t)
	w, _ := analytics.ParseWindow("7d")
	d, err := handover.Build(context.Background(), s, handover.Options{Config: analytics.DefaultConfig(now.Add(-time.Hour)), Window: w, Team: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	oc := d.Teams[0].OnCall
	if len(oc) != 2 || oc[0].Responder != "alice" || !oc[0].Current || oc[1].Responder != "bob" || oc[1].Current {
		t.Errorf("on call %+v", oc)
	}
	if len(d.Teams) != 1 {
		t.Errorf("team filter: %d teams", len(d.Teams))
	}
}

func TestGolden(t *testing.T) {
	d := build(t, openStore(t), "")
	for _, f := range []report.Format{report.Markdown, report.JSON, report.HTML} {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := d.Write(&b, f); err != nil {
				t.Fatal(err)
			}
			if f == report.JSON {
				var back handover.Digest
				if err := json.Unmarshal(b.Bytes(), &back); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join("testdata", "handover."+f.Ext())
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the golden file (go test ./exporters/handover -update, then review):\n%s", path, b.String())
			}
		})
	}
}
