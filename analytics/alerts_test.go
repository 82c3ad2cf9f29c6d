package analytics_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
)

// al is an alert event of key k (team ops, service db, alertname DiskFull).
func al(id string, typ event.Type, at, k string) event.Event {
	d := event.Data{AlertKey: k}
	switch typ {
	case event.AlertTriggered:
		d.AlertName, d.Team, d.Service = "DiskFull", "ops", "db"
	case event.AlertResolved:
		d.ResolvedBy = event.ResolvedBySystem
	case event.AlertAcknowledged:
		d.Responder = "bo"
	}
	return ev(id, typ, at, d)
}

func byHuman(e event.Event) event.Event { e.Data.ResolvedBy = event.ResolvedByHuman; return e }

// TestAlertQuality: one alert row per case, worked out by hand. now =
// 2026-03-09T00:00Z, window 30d; without a roster, local time is UTC.
// 2026-03-02 is a Monday.
func TestAlertQuality(t *testing.T) {
	const now = "2026-03-09T00:00:00Z"
	tests := []struct {
		name    string
		batches [][]event.Event
		roster  *analytics.Roster
		want    analytics.AlertStats // Window, Team, Service, AlertName are filled in
	}{
		{
			// Three lives of one key at 10:00, 10:20, 10:40 (each resolved by
			// the system after 2 min, no ack): 3 alerts, all transient and
			// auto-resolved; the third trigger has 3 in (09:40, 10:40]: the
			// key flaps. Monday 10:00 UTC: business hours.
			name: "flapping, transient",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("r1", event.AlertResolved, "2026-03-02T10:02:00Z", "k"),
				al("t2", event.AlertTriggered, "2026-03-02T10:20:00Z", "k"), al("r2", event.AlertResolved, "2026-03-02T10:22:00Z", "k"),
				al("t3", event.AlertTriggered, "2026-03-02T10:40:00Z", "k"), al("r3", event.AlertResolved, "2026-03-02T10:42:00Z", "k"),
			}},
			want: analytics.AlertStats{Alerts: 3, Transient: 3, AutoResolved: 3, FlappingKeys: 1},
		},
		{
			// Lives at 10:00, 11:00, 12:00: at most 2 triggers in any hour
			// (the RANGE is inclusive: 10:00 and 11:00), so no flapping.
			name: "three triggers over two hours do not flap",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("r1", event.AlertResolved, "2026-03-02T10:02:00Z", "k"),
				al("t2", event.AlertTriggered, "2026-03-02T11:00:00Z", "k"), al("r2", event.AlertResolved, "2026-03-02T11:02:00Z", "k"),
				al("t3", event.AlertTriggered, "2026-03-02T12:00:00Z", "k"), al("r3", event.AlertResolved, "2026-03-02T12:02:00Z", "k"),
			}},
			want: analytics.AlertStats{Alerts: 3, Transient: 3, AutoResolved: 3},
		},
		{
			// A resolve before any trigger (ignored), a trigger, a
			// re-notification while firing, a resolve after 10 min and a
			// repeated resolve: one alert, auto-resolved, not transient
			// (10 min > 5 min).
			name: "re-notification and repeated resolves",
			batches: [][]event.Event{
				{al("r0", event.AlertResolved, "2026-03-02T09:00:00Z", "k"), al("r2", event.AlertResolved, "2026-03-02T10:15:00Z", "k")},
				{al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("t2", event.AlertTriggered, "2026-03-02T10:05:00Z", "k"),
					al("r1", event.AlertResolved, "2026-03-02T10:10:00Z", "k")},
			},
			want: analytics.AlertStats{Alerts: 1, AutoResolved: 1},
		},
		{
			// Resolved after exactly 5 min: transient (within is inclusive).
			name: "transient threshold inclusive",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("r1", event.AlertResolved, "2026-03-02T10:05:00Z", "k")}},
			want: analytics.AlertStats{Alerts: 1, Transient: 1, AutoResolved: 1},
		},
		{
			// Acked after 1 min, resolved by the system after 2: acknowledged
			// and actionable, so neither transient nor auto-resolved.
			name: "acknowledged alert",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("a1", event.AlertAcknowledged, "2026-03-02T10:01:00Z", "k"),
				al("r1", event.AlertResolved, "2026-03-02T10:02:00Z", "k")}},
			want: analytics.AlertStats{Alerts: 1, Acknowledged: 1, Actionable: 1},
		},
		{
			// Resolved by a human after 2 min, no ack: not auto-resolved, not
			// transient (both need the system).
			name: "resolved by a human",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), byHuman(al("r1", event.AlertResolved, "2026-03-02T10:02:00Z", "k"))}},
			want: analytics.AlertStats{Alerts: 1},
		},
		{
			// Alert 10:00–10:45; incident with its key triggered 10:01, acked
			// 10:03 (during the life: the alert counts as acknowledged),
			// resolved 10:30. The alert outlived the incident by 15 min:
			// reset 900 s.
			name: "attached incident, reset time",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("r1", event.AlertResolved, "2026-03-02T10:45:00Z", "k"),
				ev("it", event.IncidentTriggered, "2026-03-02T10:01:00Z", event.Data{IncidentID: "I1", AlertKey: "k", Team: "ops"}),
				ev("ia", event.IncidentAcknowledged, "2026-03-02T10:03:00Z", event.Data{IncidentID: "I1"}),
				ev("ir", event.IncidentResolved, "2026-03-02T10:30:00Z", event.Data{IncidentID: "I1"}),
			}},
			want: analytics.AlertStats{Alerts: 1, Acknowledged: 1, Actionable: 1, Reset: one(900)},
		},
		{
			// Alert 10:00–10:04 (system); an incident with its key triggered
			// 10:02 and never acked: actionable (attached) but not
			// acknowledged, and still transient (system, 4 min, no ack).
			// A second incident with the key at 11:00, after the alert
			// resolved, is not attached.
			name: "attached incident without ack",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-02T10:00:00Z", "k"), al("r1", event.AlertResolved, "2026-03-02T10:04:00Z", "k"),
				ev("it", event.IncidentTriggered, "2026-03-02T10:02:00Z", event.Data{IncidentID: "I1", AlertKey: "k"}),
			}},
			want: analytics.AlertStats{Alerts: 1, Actionable: 1, Transient: 1, AutoResolved: 1},
		},
		{
			// Triggered 2026-03-08T23:58Z, resolved 00:01 on the 9th, after
			// now: firing at now, so neither transient nor auto-resolved.
			// 23:58 UTC is sleep hours.
			name: "resolve in the future",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-08T23:58:00Z", "k"), al("r1", event.AlertResolved, "2026-03-09T00:01:00Z", "k")}},
			want: analytics.AlertStats{Alerts: 1, SleepHours: 1},
		},
		{
			// Team ops in America/New_York (roster). 2026-03-07T03:00Z is
			// Friday 22:00 EST: sleep. 2026-03-07T18:00Z is Saturday 13:00
			// EST: off hours (weekend). 2026-03-08T12:00Z is Sunday 08:00 EDT,
			// after the DST change at 02:00 that morning (07:00 EST would
			// have been sleep): off hours. 2026-03-06T15:00Z is Friday
			// 10:00 EST: business. So 4 alerts: 1 sleep, 2 off hours.
			name: "local time buckets across DST",
			batches: [][]event.Event{{
				al("t1", event.AlertTriggered, "2026-03-07T03:00:00Z", "k1"),
				al("t2", event.AlertTriggered, "2026-03-07T18:00:00Z", "k2"),
				al("t3", event.AlertTriggered, "2026-03-08T12:00:00Z", "k3"),
				al("t4", event.AlertTriggered, "2026-03-06T15:00:00Z", "k4"),
			}},
			roster: &analytics.Roster{Teams: []analytics.RosterTeam{{Name: "ops", Timezone: "America/New_York"}}},
			want:   analytics.AlertStats{Alerts: 4, SleepHours: 1, OffHours: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			for _, b := range tt.batches {
				write(t, s, b...)
			}
			cfg := cfg30d(now)
			cfg.Roster = tt.roster
			snap := compute(t, s, cfg)
			want := tt.want
			want.Window, want.Team, want.Service, want.AlertName = "30d", "ops", "db", "DiskFull"
			if len(snap.Alerts) != 1 {
				t.Fatalf("alert rows = %+v, want 1", snap.Alerts)
			}
			got := snap.Alerts[0]
			if fmtStat(got.Reset) != fmtStat(want.Reset) {
				t.Errorf("reset = %s, want %s", fmtStat(got.Reset), fmtStat(want.Reset))
			}
			got.Reset = want.Reset
			if !reflect.DeepEqual(got, want) {
				t.Errorf("row = %+v\nwant  %+v", got, want)
			}
		})
	}
}

// TestAlertFixture: the fixture's alerts. checkout-5xx (HighErrorRate),
// 02:10–02:42, is attached to INC-7 (its key, triggered 02:11) which was
// acked at 02:15: acknowledged and actionable; 02:10 UTC is sleep hours.
// disk-ledger-1 (DiskAlmostFull), Monday 14:00–14:03 UTC, resolved by the
// system, no ack, no incident: the one transient alert; business hours. The
// DiskAlmostFull row is metrics.md's machine-format example.
func TestAlertFixture(t *testing.T) {
	s := openStore(t)
	write(t, s, fixtureEvents(t, "canonical/incident-lifecycle.jsonl")...)
	snap := compute(t, s, cfg30d("2026-03-09T00:00:00Z"))
	if len(snap.Alerts) != 2 {
		t.Fatalf("alerts = %+v", snap.Alerts)
	}
	hi, disk := snap.Alerts[0], snap.Alerts[1]
	if hi.AlertName != "HighErrorRate" || hi.Alerts != 1 || hi.Acknowledged != 1 || hi.Actionable != 1 ||
		hi.Transient != 0 || hi.AutoResolved != 0 || hi.SleepHours != 1 || hi.Reset.Count != 0 {
		t.Errorf("checkout-5xx row = %+v", hi)
	}
	got, err := json.Marshal(disk)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, got, `{"window": "30d", "team": "payments", "service": "ledger", "alertname": "DiskAlmostFull",
     "alerts": 1, "acknowledged": 0, "actionable": 0, "transient": 1, "auto_resolved": 1,
     "off_hours": 0, "sleep_hours": 0, "flapping_keys": 0,
     "reset_seconds": {"count": 0, "sum": 0, "mean": null, "p50": null, "p90": null, "p95": null, "p99": null}}`)

	// Noisiest: only DiskAlmostFull has unactioned alerts (score 1 − 0 = 1).
	if want := []analytics.NoisyAlert{{Window: "30d", Team: "payments", Service: "ledger", AlertName: "DiskAlmostFull", Alerts: 1, Score: 1}}; !reflect.DeepEqual(snap.NoisiestAlerts, want) {
		t.Errorf("noisiest = %+v, want %+v", snap.NoisiestAlerts, want)
	}
	// Alerts per incident: checkout-api 1 alert ÷ 1 incident; ledger 1 ÷ 0
	// (null).
	var per []string
	for _, r := range snap.AlertsPerIncident {
		ratio := "null"
		if r.Ratio != nil {
			ratio = fmt.Sprint(*r.Ratio)
		}
		per = append(per, fmt.Sprintf("%s/%s/%s %d÷%d=%s", r.Window, r.Team, r.Service, r.Alerts, r.Incidents, ratio))
	}
	if want := []string{"30d/payments/checkout-api 1÷1=1", "30d/payments/ledger 1÷0=null"}; !reflect.DeepEqual(per, want) {
		t.Errorf("alerts per incident = %v, want %v", per, want)
	}
}

// TestNoisiest: scores are alerts − actionable; ties go to the larger
// count, then the name; the list is cut at NoisiestAlerts.
func TestNoisiest(t *testing.T) {
	s := openStore(t)
	var evs []event.Event
	// A: 4 alerts, 1 acked → score 3. B: 3 alerts, none acked → 3 (fewer
	// alerts than A: second). C: 1 alert, unacked → 1, cut at N = 2.
	// D: 2 alerts, both acked → score 0, never listed.
	for name, n := range map[string][2]int{"A": {4, 1}, "B": {3, 0}, "C": {1, 0}, "D": {2, 2}} {
		for i := range n[0] {
			k := fmt.Sprintf("%s-%d", name, i)
			at := fmt.Sprintf("2026-03-0%dT10:00:00Z", i+1)
			e := al(k+"t", event.AlertTriggered, at, k)
			e.Data.AlertName = name
			evs = append(evs, e)
			if i < n[1] {
				evs = append(evs, al(k+"a", event.AlertAcknowledged, fmt.Sprintf("2026-03-0%dT10:01:00Z", i+1), k))
			}
		}
	}
	write(t, s, evs...)
	cfg := cfg30d("2026-03-09T00:00:00Z")
	cfg.NoisiestAlerts = 2
	snap := compute(t, s, cfg)
	var got []string
	for _, n := range snap.NoisiestAlerts {
		got = append(got, fmt.Sprintf("%s:%g", n.AlertName, n.Score))
	}
	if want := []string{"A:3", "B:3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("noisiest = %v, want %v", got, want)
	}
}
