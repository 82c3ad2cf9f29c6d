package analytics_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
)

// life is one alert life of key: triggered at trig (RFC 3339), resolved by
// the system dur later, acknowledged by "op" a second after the trigger
// when acked (acknowledged, so actionable).
func life(team, service, name, key, trig string, dur time.Duration, acked bool) []event.Event {
	at := mustTime(trig)
	id := key + "@" + trig
	out := []event.Event{
		ev(id+"/t", event.AlertTriggered, trig, event.Data{AlertKey: key, AlertName: name, Team: team, Service: service}),
		ev(id+"/r", event.AlertResolved, at.Add(dur).Format(time.RFC3339), event.Data{AlertKey: key, ResolvedBy: event.ResolvedBySystem}),
	}
	if acked {
		out = append(out, ev(id+"/a", event.AlertAcknowledged, at.Add(time.Second).Format(time.RFC3339), event.Data{AlertKey: key, Responder: "op"}))
	}
	return out
}

// page is a page.notified of key to responder (no channel: unknown, which
// interrupts by default; no incident: it folds by alert key).
func page(key, responder, team, at string) event.Event {
	return ev(key+"/page/"+responder+"/"+at, event.PageNotified, at, event.Data{AlertKey: key, Responder: responder, Team: team})
}

func secs(v float64) *float64 { return &v }

// forRows builds the five default for: outcomes from (suppressed, missed)
// pairs and the rule's actionable count: delay = (actionable − missed) × s.
func forRows(actionable int64, sm ...[2]int64) []analytics.ForOutcome {
	out := make([]analytics.ForOutcome, len(sm))
	for i, s := range []float64{60, 120, 300, 600, 900} {
		out[i] = analytics.ForOutcome{Seconds: s, Suppressed: sm[i][0], ActionableMissed: sm[i][1], DelayAddedSeconds: float64(actionable-sm[i][1]) * s}
	}
	return out
}

func kffRows(merged ...int64) []analytics.KeepFiringOutcome {
	out := make([]analytics.KeepFiringOutcome, len(merged))
	for i, s := range []float64{60, 120, 300, 600, 900} {
		out[i] = analytics.KeepFiringOutcome{Seconds: s, Merged: merged[i]}
	}
	return out
}

var noKFF = kffRows(0, 0, 0, 0, 0)

// TestTuning: every simulation on hand-made lives, each figure worked out
// in the comments. now = 2026-03-09T00:00Z, window 30d, the default tune
// config (candidates 1m 2m 5m 10m 15m, delay cap 5m, inhibition 80% within
// 2m, deferral from 3 alerts). 2026-03-02 is a Monday; DST starts in New
// York on 2026-03-08, so before it New York is UTC−5.
func TestTuning(t *testing.T) {
	const now = "2026-03-09T00:00:00Z"
	var evs []event.Event
	add := func(e []event.Event) { evs = append(evs, e...) }

	// core/db DiskFull, key d (lives an hour apart: nothing merges):
	// lives of 30s, 90s, 180s, 200s (acked), 20m (acked), 240s.
	// alerts 6, actionable 2.
	//   for 1m: suppressed < 60s: {30s} = 1, missed 0, delay 2 × 60 = 120
	//   for 2m: {30s, 90s} = 2, missed 0, delay 2 × 120 = 240
	//   for 5m: {30, 90, 180, 200, 240} = 5, missed 1 (200s), delay 1 × 300 = 300
	//   for 10m: 5, missed 1, delay 600; 15m: 5 (20m = 1200s is not < 900s), 1, 900
	// Recommended 2m: the next candidate, 5m, would miss the 200s actionable alert.
	add(life("core", "db", "DiskFull", "d", "2026-03-02T10:00:00Z", 30*time.Second, false))
	add(life("core", "db", "DiskFull", "d", "2026-03-02T11:00:00Z", 90*time.Second, false))
	add(life("core", "db", "DiskFull", "d", "2026-03-02T12:00:00Z", 180*time.Second, false))
	add(life("core", "db", "DiskFull", "d", "2026-03-02T13:00:00Z", 200*time.Second, true))
	add(life("core", "db", "DiskFull", "d", "2026-03-02T14:00:00Z", 20*time.Minute, true))
	add(life("core", "db", "DiskFull", "d", "2026-03-02T15:00:00Z", 240*time.Second, false))

	// Each core name fires on its own day (DiskFull Monday, FlappyDNS
	// Tuesday, CPUHigh Wednesday, Flapper Thursday), so no core name starts
	// within 2m after another: no inhibition in team core.
	// core/dns FlappyDNS, none actionable: lives of 30s, 4m, 7m, 12m (keys
	// distinct, so nothing merges).
	//   for 1m: 1; 2m: 1; 5m: 2 (30s, 240s); 10m: 3 (+420s); 15m: 4 (+720s); no miss, no delay.
	// Recommended 5m: 10m and 15m suppress more, but would delay every
	// actionable alert by more than the 5m cap.
	add(life("core", "dns", "FlappyDNS", "n1", "2026-03-03T10:00:00Z", 30*time.Second, false))
	add(life("core", "dns", "FlappyDNS", "n2", "2026-03-03T11:00:00Z", 4*time.Minute, false))
	add(life("core", "dns", "FlappyDNS", "n3", "2026-03-03T12:00:00Z", 7*time.Minute, false))
	add(life("core", "dns", "FlappyDNS", "n4", "2026-03-03T13:00:00Z", 12*time.Minute, false))

	// core/api CPUHigh: lives of 20m and 30m: no candidate suppresses
	// anything, so nothing is recommended.
	add(life("core", "api", "CPUHigh", "c1", "2026-03-04T10:00:00Z", 20*time.Minute, false))
	add(life("core", "api", "CPUHigh", "c2", "2026-03-04T11:00:00Z", 30*time.Minute, false))

	// core/web Flapper, key f, hysteresis. Lives 10:00–10:01, 10:01:30–10:02,
	// 10:05–10:06, 10:20–10:21, 11:00–11:01: re-trigger gaps 30s, 3m, 14m,
	// 39m after the previous resolve.
	//   keep_firing_for 1m: {30s} = 1; 2m: 1; 5m: {30s, 3m} = 2; 10m: 2; 15m: {30s, 3m, 14m} = 3
	// Recommended keep_firing_for 15m: the shortest with the most merges (3).
	//   for: lives 60, 30, 60, 60, 60 s: 1m suppresses {30s} = 1 (a 60s life
	//   lasts the whole minute and fires); 2m and longer all 5; none
	//   actionable → recommended 5m (the cap).
	add(life("core", "web", "Flapper", "f", "2026-03-05T10:00:00Z", time.Minute, false))
	add(life("core", "web", "Flapper", "f", "2026-03-05T10:01:30Z", 30*time.Second, false))
	add(life("core", "web", "Flapper", "f", "2026-03-05T10:05:00Z", time.Minute, false))
	add(life("core", "web", "Flapper", "f", "2026-03-05T10:20:00Z", time.Minute, false))
	add(life("core", "web", "Flapper", "f", "2026-03-05T11:00:00Z", time.Minute, false))

	// Team net, Tuesday 2026-03-03, every life 20 min (no candidate
	// suppresses it), each its own key.
	// NodeDown starts 01:00, 03:00, 05:00, 07:00, 09:00.
	// PodCrash starts 01:00 (+0 after NodeDown 01:00: the frame is
	// inclusive), 03:02 (+2m exactly), 05:01 (acked), 07:01:30, 20:00 (no
	// NodeDown before it): 4 of 5 = 0.8 ≥ 0.8 → inhibited by NodeDown,
	// suppressed 4, actionable suppressed 1.
	// LinkFlap starts 01:01, 03:01, 07:02 (+2m), 22:00: after NodeDown 3 of
	// 4 = 0.75 < 0.8 → not listed; after PodCrash: 01:01 (PodCrash 01:00)
	// and 07:02 (07:01:30) = 2 of 4. NodeDown after PodCrash: only 01:00 =
	// 1 of 5; PodCrash after LinkFlap: 03:02 = 1 of 5.
	// Deferral: NodeDown and LinkFlap (5 and 4 alerts, none actionable)
	// qualify and spare nothing (no pages); PodCrash's actionable alert at
	// 05:01 UTC is outside business hours → null.
	for i, at := range []string{"01:00:00", "03:00:00", "05:00:00", "07:00:00", "09:00:00"} {
		add(life("net", "host", "NodeDown", "nd"+string(rune('1'+i)), "2026-03-03T"+at+"Z", 20*time.Minute, false))
	}
	for i, at := range []string{"01:00:00", "03:02:00", "05:01:00", "07:01:30", "20:00:00"} {
		add(life("net", "k8s", "PodCrash", "pc"+string(rune('1'+i)), "2026-03-03T"+at+"Z", 20*time.Minute, at == "05:01:00"))
	}
	for i, at := range []string{"01:01:00", "03:01:00", "07:02:00", "22:00:00"} {
		add(life("net", "wan", "LinkFlap", "lf"+string(rune('1'+i)), "2026-03-03T"+at+"Z", 20*time.Minute, false))
	}

	// Team pay, BatchLate, 30-minute lives, keys b1–b3; the roster puts pay
	// and ann in New York (UTC−5 then), bob has no roster entry (his pages
	// carry team pay, so he takes the team's zone).
	//   b1 19:00Z Tue 03-03 = 14:00 New York: business; acked (actionable).
	//   b2 03:00Z Wed 03-04 = 22:00 Tue New York: sleep; page ann 03:01Z (22:01: sleep).
	//   b3 23:30Z Wed 03-04 = 18:30 New York: off hours; pages ann 23:31Z,
	//      bob 23:32Z (18:31, 18:32: off hours).
	// With the roster: 3 alerts, the only actionable one in business hours →
	// deferral spares sleep 1 (ann), off hours 2 (ann 1, bob 1).
	// Without it (UTC): b1 at 19:00 UTC is off hours and actionable → null.
	add(life("pay", "batch", "BatchLate", "b1", "2026-03-03T19:00:00Z", 30*time.Minute, true))
	add(life("pay", "batch", "BatchLate", "b2", "2026-03-04T03:00:00Z", 30*time.Minute, false))
	add(life("pay", "batch", "BatchLate", "b3", "2026-03-04T23:30:00Z", 30*time.Minute, false))
	evs = append(evs, page("b2", "ann", "pay", "2026-03-04T03:01:00Z"),
		page("b3", "ann", "pay", "2026-03-04T23:31:00Z"), page("b3", "bob", "pay", "2026-03-04T23:32:00Z"))

	s := openStore(t)
	write(t, s, evs...)

	none := [2]int64{0, 0}
	zeroDefer := &analytics.Deferral{Responders: []analytics.DeferralResponder{}}
	noInh := []analytics.Inhibition{}
	net := func(name, service string, forR []analytics.ForOutcome, inh []analytics.Inhibition, d *analytics.Deferral, alerts, actionable int64) analytics.TuneRule {
		return analytics.TuneRule{Team: "net", Service: service, AlertName: name, Alerts: alerts, Actionable: actionable,
			For: forR, KeepFiringFor: noKFF, InhibitedBy: inh, DeferToBusinessHours: d}
	}
	// Every net life lasts 20m: suppressed by no candidate.
	netFor := func(actionable int64) []analytics.ForOutcome {
		return forRows(actionable, none, none, none, none, none)
	}
	// core lives are Monday–Thursday 10:00–15:00 UTC, business hours: every core
	// name with 3 or more alerts and no actionable alert outside business
	// hours qualifies for deferral with nothing to spare (no pages).
	want := []analytics.TuneRule{
		{Team: "core", Service: "api", AlertName: "CPUHigh", Alerts: 2,
			For: forRows(0, none, none, none, none, none), KeepFiringFor: noKFF, InhibitedBy: noInh},
		{Team: "core", Service: "db", AlertName: "DiskFull", Alerts: 6, Actionable: 2,
			For: forRows(2, [2]int64{1, 0}, [2]int64{2, 0}, [2]int64{5, 1}, [2]int64{5, 1}, [2]int64{5, 1}), RecommendedForSeconds: secs(120),
			KeepFiringFor: noKFF, InhibitedBy: noInh, DeferToBusinessHours: zeroDefer},
		{Team: "core", Service: "dns", AlertName: "FlappyDNS", Alerts: 4,
			For: forRows(0, [2]int64{1, 0}, [2]int64{1, 0}, [2]int64{2, 0}, [2]int64{3, 0}, [2]int64{4, 0}), RecommendedForSeconds: secs(300),
			KeepFiringFor: noKFF, InhibitedBy: noInh, DeferToBusinessHours: zeroDefer},
		{Team: "core", Service: "web", AlertName: "Flapper", Alerts: 5,
			For: forRows(0, [2]int64{1, 0}, [2]int64{5, 0}, [2]int64{5, 0}, [2]int64{5, 0}, [2]int64{5, 0}), RecommendedForSeconds: secs(300),
			KeepFiringFor: kffRows(1, 1, 2, 2, 3), RecommendedKeepFiringForSeconds: secs(900),
			InhibitedBy: noInh, DeferToBusinessHours: zeroDefer},
		// NodeDown at 01, 03, 05, 07 UTC is outside business hours (08–18), 09:00 inside: 4 deferred.
		net("NodeDown", "host", netFor(0), noInh, &analytics.Deferral{AlertsDeferred: 4, Responders: []analytics.DeferralResponder{}}, 5, 0),
		net("PodCrash", "k8s", netFor(1), []analytics.Inhibition{{AlertName: "NodeDown", Share: 0.8, Suppressed: 4, ActionableSuppressed: 1}}, nil, 5, 1),
		// LinkFlap at 01:01, 03:01, 07:02, 22:00: all 4 outside business hours.
		net("LinkFlap", "wan", netFor(0), noInh, &analytics.Deferral{AlertsDeferred: 4, Responders: []analytics.DeferralResponder{}}, 4, 0),
		{Team: "pay", Service: "batch", AlertName: "BatchLate", Alerts: 3, Actionable: 1,
			For: forRows(1, none, none, none, none, none), KeepFiringFor: noKFF, InhibitedBy: noInh,
			// b2 (sleep) and b3 (off hours) are deferred.
			DeferToBusinessHours: &analytics.Deferral{AlertsDeferred: 2, SleepInterruptionsSpared: 1, OffHoursInterruptionsSpared: 2,
				Responders: []analytics.DeferralResponder{
					{Responder: "ann", SleepInterruptionsSpared: 1, OffHoursInterruptionsSpared: 1},
					{Responder: "bob", OffHoursInterruptionsSpared: 1},
				}}},
	}

	roster := &analytics.Roster{
		Teams:      []analytics.RosterTeam{{Name: "pay", Timezone: "America/New_York"}},
		Responders: []analytics.RosterResponder{{Name: "ann", Team: "pay", Timezone: "America/New_York"}},
	}
	cfg := cfg30d(now)
	cfg.Roster = roster
	got, err := analytics.TuneStore(context.Background(), s, cfg, cfg.Windows[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Window != "30d" || !got.AsOf.Equal(mustTime(now)) || got.MaxAddedDelaySeconds != 300 {
		t.Errorf("header: %s %s %g", got.Window, got.AsOf, got.MaxAddedDelaySeconds)
	}
	checkRules(t, got.Rules, want)

	// Without the roster, BatchLate's actionable alert at 19:00 UTC is
	// outside business hours: no deferral.
	cfg.Roster = nil
	got, err = analytics.TuneStore(context.Background(), s, cfg, cfg.Windows[0])
	if err != nil {
		t.Fatal(err)
	}
	want[len(want)-1].DeferToBusinessHours = nil
	checkRules(t, got.Rules, want)

	// The snapshot carries the same figures for its 30d window.
	snap := compute(t, s, cfg)
	if snap.Tuning == nil || !reflect.DeepEqual(snap.Tuning.Rules, got.Rules) {
		t.Errorf("snapshot tuning differs from TuneStore's")
	}
}

func checkRules(t *testing.T, got, want []analytics.TuneRule) {
	t.Helper()
	byKey := map[string]analytics.TuneRule{}
	for _, r := range got {
		byKey[r.Team+"/"+r.Service+"/"+r.AlertName] = r
	}
	if len(got) != len(want) {
		t.Errorf("%d rules, want %d", len(got), len(want))
	}
	for _, w := range want {
		k := w.Team + "/" + w.Service + "/" + w.AlertName
		g, ok := byKey[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			t.Errorf("%s:\n got %s\nwant %s", k, gj, wj)
		}
	}
}

// TestTuningJSONShape: the machine format's field names are the issue's.
func TestTuningJSONShape(t *testing.T) {
	tu := analytics.Tuning{Window: "30d", AsOf: mustTime("2026-03-09T00:00:00Z"), MaxAddedDelaySeconds: 300,
		Rules: []analytics.TuneRule{{Team: "core", Service: "db", AlertName: "DiskFull", Alerts: 6, Actionable: 2,
			For:                   []analytics.ForOutcome{{Seconds: 60, Suppressed: 2, DelayAddedSeconds: 120}},
			RecommendedForSeconds: secs(300),
			KeepFiringFor:         []analytics.KeepFiringOutcome{{Seconds: 60, Merged: 1}},
			InhibitedBy:           []analytics.Inhibition{{AlertName: "NodeDown", Share: 0.83, Suppressed: 5}},
			DeferToBusinessHours:  &analytics.Deferral{SleepInterruptionsSpared: 4, OffHoursInterruptionsSpared: 2, Responders: []analytics.DeferralResponder{}},
		}}}
	b, err := json.Marshal(tu)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"window":"30d","as_of":"2026-03-09T00:00:00Z","max_added_delay_seconds":300,` +
		`"rules":[{"team":"core","service":"db","alert_name":"DiskFull","alerts":6,"actionable":2,` +
		`"for":[{"seconds":60,"suppressed":2,"actionable_missed":0,"delay_added_seconds":120}],"recommended_for_seconds":300,` +
		`"keep_firing_for":[{"seconds":60,"merged":1}],"recommended_keep_firing_for_seconds":null,` +
		`"inhibited_by":[{"alert_name":"NodeDown","share":0.83,"suppressed":5,"actionable_suppressed":0}],` +
		`"defer_to_business_hours":{"alerts_deferred":0,"sleep_interruptions_spared":4,"off_hours_interruptions_spared":2,"responders":[]}}]}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

// TestTuneFix: "what would fix it" words each recommendation with its figures.
func TestTuneFix(t *testing.T) {
	r := analytics.TuneRule{AlertName: "DiskFull", Alerts: 6, Actionable: 2,
		For:                   forRows(2, [2]int64{1, 0}, [2]int64{2, 0}, [2]int64{4, 0}, [2]int64{5, 1}, [2]int64{5, 1}),
		RecommendedForSeconds: secs(300),
		KeepFiringFor:         kffRows(1, 1, 1, 1, 1), RecommendedKeepFiringForSeconds: secs(60),
		InhibitedBy:          []analytics.Inhibition{{AlertName: "NodeDown", Share: 5.0 / 6, Suppressed: 5}},
		DeferToBusinessHours: &analytics.Deferral{SleepInterruptionsSpared: 4, OffHoursInterruptionsSpared: 1},
	}
	want := "for: 5m would have suppressed 4 of 6, delaying 2 actionable alerts by 5m each; " +
		"keep_firing_for: 1m would have merged 1 re-trigger into the one before (1 of 6 notifications saved); " +
		"inhibition by NodeDown would have suppressed 5 of 6 (83% start within the inhibition window after it), 0 actionable; " +
		"routing it to business hours would have spared 4 sleep interruptions and 1 off-hours interruption"
	if got := r.Fix(); got != want {
		t.Errorf("Fix:\n got %s\nwant %s", got, want)
	}
	if got := (analytics.TuneRule{Alerts: 3, DeferToBusinessHours: &analytics.Deferral{}}).Fix(); got != "" {
		t.Errorf("nothing recommended, nothing spared: Fix %q, want empty", got)
	}
}
