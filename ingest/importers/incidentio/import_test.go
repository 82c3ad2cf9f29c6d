package incidentio_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/incidentio"
	"github.com/pagerlens/pagerlens/store"
)

const token = "inc_test_TESTKEY-not-a-real-key"

// now ends the import and the analytics windows: Tuesday 2026-03-10 00:00 UTC.
var now = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

var (
	ana = obj{"id": "01ANA", "name": "Ana Ruiz", "email": "ana@example.com", "role": "responder", "slack_user_id": "U01ANA"}
	ben = obj{"id": "01BEN", "name": "Ben Osei", "email": "ben@example.com", "role": "responder", "slack_user_id": "U01BEN"}
	cai = obj{"id": "01CAI", "name": "Cai Lin", "email": "cai@example.com", "role": "viewer", "slack_user_id": "U01CAI"}
)

const stamp = "2025-01-01T00:00:00Z" // the configuration objects' created_at/updated_at

// status is an IncidentStatusV2.
func status(name, category string) obj {
	return obj{"id": "ST" + strings.ToUpper(name[:3]), "name": name, "category": category, "description": name,
		"rank": 1, "created_at": stamp, "updated_at": stamp}
}

// severity is a SeverityV2.
func severity(name string, rank int) obj {
	return obj{"id": "SV" + strings.ToUpper(name[:3]), "name": name, "rank": rank, "description": name,
		"created_at": stamp, "updated_at": stamp}
}

// role is an IncidentRoleAssignmentV2 (role_type lead, reporter or custom).
func role(roleType, name string, who obj) obj {
	return obj{"assignee": who, "role": obj{"id": "RL" + roleType, "name": name, "role_type": roleType, "shortform": roleType,
		"description": name, "instructions": "", "required": false, "created_at": stamp, "updated_at": stamp}}
}

// incident is an IncidentV2 as GET /v2/incidents lists it.
func incident(id, ref, name string, sev obj, created, updated string, st obj, roles ...obj) obj {
	if roles == nil {
		roles = []obj{}
	}
	return obj{"id": id, "reference": ref, "name": name, "mode": "standard", "visibility": "public",
		"severity": sev, "incident_status": st, "incident_role_assignments": roles,
		"creator": obj{"user": cai}, "custom_field_entries": []obj{}, "duration_metrics": []obj{},
		"incident_timestamp_values": []obj{}, "incident_type": obj{"id": "ITDEF", "name": "Default", "is_default": true},
		"slack_team_id": "T02A1FSLE8J", "slack_channel_id": "C" + id, "slack_channel_name": "inc-" + ref,
		"permalink": "https://app.incident.io/incidents/" + ref, "summary": "", "has_debrief": false,
		"created_at": created, "updated_at": updated}
}

// update is an IncidentUpdateV2; sev may be nil.
func update(id, incID, created string, st, sev obj, msg string) obj {
	u := obj{"id": id, "incident_id": incID, "created_at": created, "new_incident_status": st, "message": msg,
		"updater": obj{"user": ana}}
	if sev != nil {
		u["new_severity"] = sev
	}
	return u
}

// esc is an EscalationV2; its events are escEvent's.
func esc(id, created, st string, incID, alertID string, events ...obj) obj {
	e := obj{"id": id, "created_at": created, "updated_at": created, "status": st, "title": "Page " + id, "description": "",
		"priority": obj{"name": "P1"}, "creator": obj{"alert": obj{"id": "AL" + id, "title": "alert"}},
		"escalation_path_id": "EPPAY", "events": events, "related_incidents": []obj{}, "related_alerts": []obj{}}
	if incID != "" {
		e["related_incidents"] = []obj{{"id": incID, "external_id": 1, "name": "x", "reference": "INC-x", "visibility": "public", "status_category": "active"}}
	}
	if alertID != "" {
		e["related_alerts"] = []obj{{"id": alertID, "title": "alert", "deduplication_key": "k", "alert_source_id": "AS1", "status": "firing",
			"created_at": created, "updated_at": created}}
	}
	return e
}

// escEvent is an EscalationEventV2.
func escEvent(id, kind, at, urgency string, users ...obj) obj {
	e := obj{"id": id, "event": kind, "occurred_at": at}
	if urgency != "" {
		e["urgency"] = urgency
	}
	if users != nil {
		e["users"] = users
	}
	return e
}

func entry(who obj, start, end string) obj {
	return obj{"user": who, "start_at": start, "end_at": end, "entry_id": "EN" + start, "fingerprint": "FP" + start,
		"rotation_id": "ROT1", "layer_id": "LAY1"}
}

// history is the hand-worked account. Ana and Ben are on the schedule
// Payments Primary (timezone Europe/Berlin); the roster puts Ben in New
// York (options' Zones), so Ana's zone is the schedule's and Ben's the
// roster's. Cai is on no schedule and in no roster. 2026-03-02 and -09 are
// Mondays. The default incident.io mapping: Critical → SEV1, Major → SEV2,
// Minor → SEV3; no team or service; the lead role is the commander.
//
// On call (final entries):
//
//	Ana 03-02 08:00 → 03-04 08:00   48 h
//	Ben 03-04 08:00 → 03-06 08:00   48 h
//	Ana 03-06 08:00 → 03-13 08:00   runs past now: 03-06 08:00 → 03-10 00:00 = 88 h
//
// Incidents:
//
//	A  INC-101 Checkout errors, Critical (SEV1), created 03-02 22:00:00,
//	   lead Ben, reporter Cai (no command role). Updates: 22:10:00.5
//	   Investigating (live), 22:40:00.75 Closed (closed: resolved; whole
//	   seconds: 22:40:00). Escalation EA: Ben notified 22:00:05 (high),
//	   Ben acknowledges 22:12:00.
//	B  INC-102 Ledger lag, now Major (SEV2), created 03-05 03:00, no roles.
//	   Updates: 03:15 Fixing (live) with severity Major; 04:00 Closed with
//	   Major again (no change). Escalation EB: Ana notified 03:00:05, Ben
//	   03:05:05 (escalated), Ben acknowledges 03:20.
//	C  INC-103 Search slow, Minor (SEV3), created 03-09 14:00, lead Ana,
//	   still Fixing (live: read again on the next run). Updates 14:20
//	   Investigating, 14:50 Fixing (both live: status updates only).
//	   Escalation EC: Ana notified 14:00:03 (low), acknowledges 14:30.
//	ED an escalation of an alert, no incident: Ana notified 03-07 02:00:10
//	   (03:00:10 in Berlin), expired.
//	T  a test incident (03-03): the API leaves it out, as the decoder skips it.
//	Z  created 02-27: before the range.
func history(t testing.TB) *fakeIIO {
	f := &fakeIIO{t: t, token: token, updates: map[string][]obj{}, entries: map[string][]obj{}, script: map[string][]scripted{}}
	f.schedules = []obj{{"id": "SCPAY", "name": "Payments Primary", "timezone": "Europe/Berlin", "team_ids": []string{"TMPAY"},
		"permalink": "https://app.incident.io/on-call/schedules/SCPAY", "created_at": stamp, "updated_at": stamp,
		"annotations": obj{}, "current_shifts": []obj{}, "next_shifts": []obj{},
		"config": obj{"rotations": []obj{{"id": "ROT1", "name": "Primary", "users": []obj{ana, ben}, "effective_from": stamp,
			"handover_start_at": stamp, "handovers": []obj{{"interval": 2, "interval_type": "daily"}}, "layers": []obj{{"id": "LAY1", "name": "Primary"}},
			"working_interval": []obj{}}}}}}
	f.entries["SCPAY"] = []obj{
		entry(ana, "2026-03-02T08:00:00Z", "2026-03-04T08:00:00Z"),
		entry(ben, "2026-03-04T08:00:00Z", "2026-03-06T08:00:00Z"),
		entry(ana, "2026-03-06T08:00:00Z", "2026-03-13T08:00:00Z"),
	}
	crit, major, minor := severity("Critical", 3), severity("Major", 2), severity("Minor", 1)
	live, fixing, closed := status("Investigating", "live"), status("Fixing", "live"), status("Closed", "closed")
	f.incidents = []obj{
		incident("01INCA", "INC-101", "Checkout errors", crit, "2026-03-02T22:00:00Z", "2026-03-02T22:40:00.8Z", closed,
			role("lead", "Incident Lead", ben), role("reporter", "Reporter", cai)),
		incident("01INCB", "INC-102", "Ledger lag", major, "2026-03-05T03:00:00Z", "2026-03-05T04:00:00.1Z", closed),
		incident("01INCC", "INC-103", "Search slow", minor, "2026-03-09T14:00:00Z", "2026-03-09T14:50:00Z", fixing,
			role("lead", "Incident Lead", ana)),
		incident("01INCZ", "INC-099", "Old", minor, "2026-02-27T10:00:00Z", "2026-02-27T10:01:00Z", closed),
		func() obj {
			x := incident("01INCT", "INC-100", "Test", minor, "2026-03-03T10:00:00Z", "2026-03-03T10:00:00Z", live)
			x["mode"] = "test"
			return x
		}(),
	}
	f.updates["01INCA"] = []obj{
		update("UPA1", "01INCA", "2026-03-02T22:10:00.5Z", live, nil, "Looking into it"),
		update("UPA2", "01INCA", "2026-03-02T22:40:00.75Z", closed, nil, "Fixed"),
	}
	f.updates["01INCB"] = []obj{
		update("UPB2", "01INCB", "2026-03-05T04:00:00Z", closed, major, "Caught up"),
		update("UPB1", "01INCB", "2026-03-05T03:15:00Z", fixing, major, "Replica behind, bigger than thought"),
	}
	f.updates["01INCC"] = []obj{
		update("UPC1", "01INCC", "2026-03-09T14:20:00Z", live, nil, "Looking"),
		update("UPC2", "01INCC", "2026-03-09T14:50:00Z", fixing, nil, "Index rebuilding"),
	}
	f.escalations = []obj{
		esc("ESA", "2026-03-02T22:00:01Z", "acked", "01INCA", "",
			escEvent("EVA1", "triggered", "2026-03-02T22:00:01Z", ""),
			escEvent("EVA2", "notified_users", "2026-03-02T22:00:05Z", "high", ben),
			escEvent("EVA3", "acked", "2026-03-02T22:12:00Z", "", ben)),
		esc("ESB", "2026-03-05T03:00:02Z", "acked", "01INCB", "",
			escEvent("EVB1", "notified_users", "2026-03-05T03:00:05Z", "high", ana),
			escEvent("EVB2", "notified_channels", "2026-03-05T03:00:05Z", ""),
			escEvent("EVB3", "notified_users", "2026-03-05T03:05:05Z", "high", ben),
			escEvent("EVB4", "acked", "2026-03-05T03:20:00Z", "", ben)),
		esc("ESC", "2026-03-09T14:00:01Z", "acked", "01INCC", "",
			escEvent("EVC1", "notified_users", "2026-03-09T14:00:03Z", "low", ana),
			escEvent("EVC2", "acked", "2026-03-09T14:30:00Z", "", ana)),
		esc("ESD", "2026-03-07T02:00:00Z", "expired", "", "01ALRT1",
			escEvent("EVD1", "notified_users", "2026-03-07T02:00:10Z", "high", ana),
			escEvent("EVD2", "expired", "2026-03-07T02:30:00Z", "")),
	}
	return f
}

// options imports [03-01, now) in windows of two days, asking one item a
// page: every list of more than one item is paged.
func options(url string) incidentio.Options {
	return incidentio.Options{
		APIURL: url, Token: token, TokenFile: "/etc/pagerlens/incidentio.token",
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: now,
		Window: 48 * time.Hour, PageSize: 1,
		Zones: map[string]string{"01BEN": "America/New_York"},
		Retry: importers.RetryPolicy{BaseDelay: time.Millisecond},
		Now:   func() time.Time { return now },
	}
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := analytics.Attach(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func compute(t testing.TB, s *store.Store) *analytics.Snapshot {
	t.Helper()
	cfg := analytics.DefaultConfig(now)
	cfg.Windows = []analytics.Window{{Name: "30d", Duration: 30 * 24 * time.Hour}}
	snap, err := analytics.Compute(context.Background(), s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// incidentRow is an analytics incident row, reduced to what the tests check.
type incidentRow struct {
	sev                  string
	count, open          int64
	ackN, resolveN       int64
	ackMean, resolveMean float64
}

func incidentRows(snap *analytics.Snapshot) map[string]incidentRow {
	out := map[string]incidentRow{}
	for _, r := range snap.Incidents {
		g := incidentRow{sev: r.Severity, count: r.Count, open: r.Open, ackN: r.Ack.Count, resolveN: r.Resolve.Count}
		if r.Ack.Mean != nil {
			g.ackMean = *r.Ack.Mean
		}
		if r.Resolve.Mean != nil {
			g.resolveMean = *r.Resolve.Mean
		}
		out[r.Severity] = g
	}
	return out
}

type load struct {
	who, tz         string
	interruptions   int64
	acked           int64
	engaged, oncall float64
}

func loads(snap *analytics.Snapshot) []load {
	var out []load
	for _, r := range snap.Responders {
		out = append(out, load{who: r.Responder, tz: r.Timezone, interruptions: r.InterruptionsTotal,
			acked: r.IncidentsAcknowledged, engaged: r.EngagedSeconds, oncall: r.OnCallSeconds})
	}
	return out
}

// command is an analytics command row, reduced.
type command struct {
	incidents, withCommander, updates int64
	commanderMean                     float64
	medianGapMean, maxGapMean         float64
}

func commands(snap *analytics.Snapshot) map[string]command {
	out := map[string]command{}
	f := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	for _, r := range snap.Command {
		out[r.Severity] = command{incidents: r.Incidents, withCommander: r.WithCommander, updates: r.StatusUpdates,
			commanderMean: f(r.TimeToCommander.Mean), medianGapMean: f(r.UpdateMedianGap.Mean), maxGapMean: f(r.UpdateMaxGap.Mean)}
	}
	return out
}

func TestImportGolden(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	// The first /v2/schedules answer is incident.io's 429 with no
	// Retry-After header, only the body's rate_limit.retry_after two
	// seconds ahead (written to the second: a wait of 1 to 2 s); the first
	// incident listing a 503. Both are retried and the import goes on.
	retryAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	f.script["/v2/schedules"] = []scripted{{429, nil, `{"type":"too_many_requests","status":429,"request_id":"b839a403",` +
		`"rate_limit":{"name":"api_key_name","limit":1200,"remaining":0,"retry_after":"` + retryAt + `"},` +
		`"errors":[{"code":"too_many_requests","message":"Too many requests hit the API too quickly."}]}`}}
	f.script["/v2/incidents"] = []scripted{{503, nil, `<html>503 Service Unavailable</html>`}}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "i.duckdb"))
	var windows int
	o := options(srv.URL)
	o.Observer = importers.ObserverFunc(func(p importers.Progress) { windows = p.WindowsDone })
	start := time.Now()
	sum, err := incidentio.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, sum)
	}
	if time.Since(start) < time.Second {
		t.Errorf("the import did not wait for the 429's rate_limit.retry_after")
	}
	t.Log(sum)
	// 5 windows of 2 days (the last 03-09..03-10). Events: A 5 (trigger,
	// commander Ben, 2 status updates, resolve) + EA 2 (page, ack); B 5
	// (trigger, 2 status updates, severity SEV2 once, resolve) + EB 3 (2
	// pages, ack); C 4 (trigger, commander Ana, 2 status updates) + EC 2;
	// ED 1 page; shifts 5 (Ana's and Ben's first starts and ends, Ana's
	// second start). 27 in all.
	if sum.Windows != 5 || sum.WindowsDone != 5 || windows != 5 {
		t.Errorf("windows %d/%d (observer %d), want 5/5", sum.WindowsDone, sum.Windows, windows)
	}
	if sum.Events != 27 || sum.Stored != 27 || sum.ProblemCount != 0 || sum.DeadLettered != 0 {
		t.Errorf("%d events, %d stored, %d problems %v, %d dead letters; want 27, 27, 0, 0", sum.Events, sum.Stored, sum.ProblemCount, sum.Problems, sum.DeadLettered)
	}
	if sum.Pending != 1 || !sum.Cursor.Equal(now) {
		t.Errorf("cursor %s, %d pending; want %s and 1 (C)", sum.Cursor, sum.Pending, now)
	}
	if sum.Retries != 2 {
		t.Errorf("%d retries, want 2: the 429 and the 503", sum.Retries)
	}
	// Items: the date filters list B and C in two windows each (kept by
	// the one their created_at falls in), EB, ED and EC likewise; Ana's and
	// Ben's entries overlap two windows each, Ana's last three.
	wantItems := map[string]int{"schedules": 1, "incidents": 5, "incident_updates": 6, "escalations": 7, "schedule_entries": 7}
	if !reflect.DeepEqual(sum.Items, wantItems) {
		t.Errorf("items %v, want %v", sum.Items, wantItems)
	}
	if n := f.count("/v2/schedules?"); n != 2 { // the 429, then the page
		t.Errorf("%d /v2/schedules requests, want 2", n)
	}

	snap := compute(t, s)
	// MTTA and MTTR by severity, by hand (no team or service mapped):
	//   SEV1 (A): ack 22:00:00 → 22:12:00 = 720 s; resolve → 22:40:00 (the
	//        update at 22:40:00.75, whole seconds) = 2400 s.
	//   SEV2 (B): ack 03:00 → 03:20 = 1200 s; resolve → 04:00 = 3600 s.
	//   SEV3 (C): ack 14:00 → 14:30 = 1800 s; open.
	want := map[string]incidentRow{
		"SEV1": {sev: "SEV1", count: 1, ackN: 1, ackMean: 720, resolveN: 1, resolveMean: 2400},
		"SEV2": {sev: "SEV2", count: 1, ackN: 1, ackMean: 1200, resolveN: 1, resolveMean: 3600},
		"SEV3": {sev: "SEV3", count: 1, open: 1, ackN: 1, ackMean: 1800},
	}
	if got := incidentRows(snap); !reflect.DeepEqual(got, want) {
		t.Errorf("incidents:\n got %+v\nwant %+v", got, want)
	}

	// On-call load. Zones: Ana the schedule's (Europe/Berlin), Ben the
	// roster's (America/New_York).
	//   Ana: paged on B 03-05 03:00:05, on ED 03-07 02:00:10 and on C
	//        03-09 14:00:03: 3 interruptions; acked C (open: not engaged);
	//        on call 48 h + 88 h = 136 h = 489600 s.
	//   Ben: paged on A 22:00:05 and on B 03:05:05: 2; acked A and B;
	//        engaged A 22:12:00 → 22:40:00 = 1680 s and B 03:20 → 04:00 =
	//        2400 s: 4080 s; on call 48 h = 172800 s.
	//   Cai (reporter of A) has no page, shift or ack: no row.
	wantLoad := []load{
		{who: "01ANA", tz: "Europe/Berlin", interruptions: 3, acked: 1, oncall: 489600},
		{who: "01BEN", tz: "America/New_York", interruptions: 2, acked: 2, engaged: 4080, oncall: 172800},
	}
	if got := loads(snap); !reflect.DeepEqual(got, wantLoad) {
		t.Errorf("on-call load:\n got %+v\nwant %+v", got, wantLoad)
	}

	// Incident command. The API gives no time of a role assignment: the
	// commander is dated at the incident's creation, so time to commander
	// is 0 (docs/import.md).
	//   SEV1 (A): commander Ben, 0 s; 2 status updates; points 22:00:00,
	//        22:10:00 (22:10:00.5 in whole seconds), 22:40:00 (the last
	//        update and the resolve, one instant): gaps 600 and 1800 s,
	//        median 1200 s, max 1800 s.
	//   SEV2 (B): no commander; 2 updates; points 03:00, 03:15, 04:00:
	//        gaps 900 and 2700 s, median 1800 s, max 2700 s.
	//   SEV3 (C): commander Ana, 0 s; 2 updates; open: no cadence.
	wantCmd := map[string]command{
		"SEV1": {incidents: 1, withCommander: 1, updates: 2, commanderMean: 0, medianGapMean: 1200, maxGapMean: 1800},
		"SEV2": {incidents: 1, withCommander: 0, updates: 2, commanderMean: -1, medianGapMean: 1800, maxGapMean: 2700},
		"SEV3": {incidents: 1, withCommander: 1, updates: 2, commanderMean: 0, medianGapMean: -1, maxGapMean: -1},
	}
	if got := commands(snap); !reflect.DeepEqual(got, wantCmd) {
		t.Errorf("command:\n got %+v\nwant %+v", got, wantCmd)
	}

	// A second run reads C again (pending) and no window (the cursor is at
	// now): nothing new is stored.
	again, err := incidentio.Import(ctx, s, o)
	if err != nil || again.Stored != 0 || again.Windows != 0 || again.Items["incidents"] != 1 || again.Duplicates != 4 {
		t.Errorf("re-import: stored %d (%d duplicates), %d windows, %d incidents read, %v; want 0 (4: C's events), 0, 1 (C)",
			again.Stored, again.Duplicates, again.Windows, again.Items["incidents"], err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != sum.Stored {
		t.Errorf("%d events stored, the import said %d (%v)", n, sum.Stored, err)
	}
}

// TestImportResumes: C, open at the first run, is closed by the second,
// which also reads the hours after the first run's end.
func TestImportResumes(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "i.duckdb"))
	o := options(srv.URL)
	o.Until = time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)
	if _, err := incidentio.Import(ctx, s, o); err != nil {
		t.Fatal(err)
	}
	for _, inc := range f.incidents {
		if inc["id"] == "01INCC" {
			inc["incident_status"] = status("Closed", "closed")
		}
	}
	f.updates["01INCC"] = append(f.updates["01INCC"], update("UPC3", "01INCC", "2026-03-09T16:00:00.5Z", status("Closed", "closed"), nil, "Done"))
	sum, err := incidentio.Import(ctx, s, options(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	// Read again: C (trigger, commander, 2 updates: stored; the third
	// update and the resolve: new). The window 03-09 15:00..03-10 00:00:
	// no incident, no escalation, no shift edge.
	if sum.Windows != 1 || sum.Stored != 2 || sum.Pending != 0 || !sum.Cursor.Equal(now) {
		t.Errorf("second run: %d windows, %d stored, %d pending, cursor %s; want 1, 2, 0, %s\n%s", sum.Windows, sum.Stored, sum.Pending, sum.Cursor, now, sum)
	}
	var resolvedAt time.Time
	if err := s.DB().QueryRow(`SELECT resolved_at FROM incidents WHERE incident_id = '01INCC'`).Scan(&resolvedAt); err != nil ||
		!resolvedAt.Equal(time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("C resolved at %s (%v), want 16:00:00 (whole seconds)", resolvedAt, err)
	}
}

// TestImportUnauthorized: incident.io answers a wrong key 401
// {"type": "authentication_error", …}; the run ends with an error naming
// the token file (never the token), and nothing is stored.
func TestImportUnauthorized(t *testing.T) {
	f := history(t)
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "i.duckdb"))
	o := options(srv.URL)
	o.Token = "inc_WRONG"
	sum, err := incidentio.Import(context.Background(), s, o)
	if !errors.Is(err, importers.ErrUnauthorized) || !strings.Contains(err.Error(), o.TokenFile) ||
		strings.Contains(err.Error(), "WRONG") || !strings.Contains(err.Error(), "authentication_error") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want ErrUnauthorized naming %s, the 401 and incident.io's error type, not the token", err, o.TokenFile)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM import_state) + (SELECT count(*) FROM dead_letters)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows stored after a 401 (%v)", n, err)
	}
	if sum.Stored != 0 || f.count("/v2/") != 1 {
		t.Errorf("summary says %d stored, %d requests made; want 0 and 1", sum.Stored, f.count("/v2/"))
	}
}

// TestImportBadShapes: items of the wrong shape (an incident, an update, an
// escalation event's time, a schedule entry) are each reported with their
// id and dead-lettered, once however often they are met; a page of the
// wrong shape leaves its window incomplete (the cursor stays before it, the
// next run reads it again); the rest is stored, and nothing crashes.
func TestImportBadShapes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		change  func(f *fakeIIO)
		wantErr bool
		// problems by "kind id" → reason
		problems map[string]string
		// events stored: 27 less what the bad items cost
		stored int
	}{
		{"items", func(f *fakeIIO) {
			f.incidents = append(f.incidents,
				obj{"id": "01BAD1", "created_at": "2026-03-04T01:00:00Z", "name": []int{1}},
				obj{"id": "01BAD2", "created_at": "yesterday", "name": "x"})
			f.updates["01INCA"] = append(f.updates["01INCA"], obj{"id": "UPBAD", "incident_id": "01INCA", "created_at": "2026-03-02T22:20:00Z"})
			f.escalations = append(f.escalations, esc("ESBAD", "2026-03-04T05:00:00Z", "expired", "01INCA", "",
				escEvent("EVBAD", "notified_users", "soon", "high", ana)))
			f.entries["SCPAY"] = append(f.entries["SCPAY"], obj{"user": ana, "start_at": "2026-03-07T00:00:00Z", "end_at": 17})
		}, false, map[string]string{
			"incident 01BAD1":       "wrong_type",
			"incident 01BAD2":       "bad_time",
			"incident_update UPBAD": "wrong_type",
			"escalation ESBAD":      "bad_time",
			"schedule_entry SCPAY":  "wrong_type",
		}, 27},
		// A required array answered null (a Go server's nil slice) is read
		// as empty, not as a bad page: the first window's entries are
		// none, so Ana's first shift has no start (26 events).
		{"null entries are none", func(f *fakeIIO) {
			f.script["/v2/schedule_entries"] = []scripted{{200, nil, `{"schedule_entries": {"final": null, "scheduled": null, "overrides": null}}`}}
		}, false, map[string]string{}, 27 - 1},
		{"a page of the wrong shape", func(f *fakeIIO) {
			f.script["/v2/escalations"] = []scripted{{200, nil, `{"escalations": {"not": "a list"}, "pagination_meta": {"page_size": 1}}`}}
		}, true, map[string]string{"escalations /v2/escalations": "wrong_type"}, 27 - 2}, // EA's page and ack
		{"not JSON", func(f *fakeIIO) {
			f.script["/v2/incident_updates"] = []scripted{{200, nil, `<html>oops</html>`}}
		}, true, map[string]string{"incident_updates /v2/incident_updates": "invalid_json"}, 27 - 3}, // A's updates: 2 status updates, the resolve
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := history(t)
			tt.change(f)
			srv := f.start()
			s := openStore(t, filepath.Join(t.TempDir(), "i.duckdb"))
			sum, err := incidentio.Import(ctx, s, options(srv.URL))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			got := map[string]string{}
			for _, p := range sum.Problems {
				got[p.Kind+" "+p.ID] = p.Reason
			}
			if !reflect.DeepEqual(got, tt.problems) {
				t.Errorf("problems %v, want %v", got, tt.problems)
			}
			var dls int
			if err := s.DB().QueryRow(`SELECT count(*) FROM dead_letters WHERE format = 'incidentio-api'`).Scan(&dls); err != nil || dls != len(tt.problems) || sum.DeadLettered != dls {
				t.Errorf("%d dead letters (summary %d, %v), want %d", dls, sum.DeadLettered, err, len(tt.problems))
			}
			if sum.Stored != tt.stored {
				t.Errorf("stored %d, want %d\n%s", sum.Stored, tt.stored, sum)
			}
			if tt.wantErr {
				// The first window failed: the cursor stays at since, and a
				// run with the API mended reads everything again, storing
				// only what was missing.
				if !sum.Cursor.Equal(options("").Since) {
					t.Errorf("cursor moved to %s past an incomplete window", sum.Cursor)
				}
				again, err := incidentio.Import(ctx, s, options(srv.URL))
				if err != nil || again.Stored != 27-tt.stored || again.WindowsDone != 5 {
					t.Errorf("second run: %d stored, %d windows done, %v; want %d, 5", again.Stored, again.WindowsDone, err, 27-tt.stored)
				}
				// A second time, the dead letter is not written again.
				if again.DeadLettered != 0 {
					t.Errorf("second run dead-lettered %d", again.DeadLettered)
				}
			}
		})
	}
}

// TestImportOlderPart: a run with a --since before the stored origin reads
// only the older part (Z, created 02-27, closed without updates: its
// trigger), and the origin moves back; the part already complete is not
// read again.
func TestImportOlderPart(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "i.duckdb"))
	o := options(srv.URL)
	if _, err := incidentio.Import(ctx, s, o); err != nil {
		t.Fatal(err)
	}
	o.Since = time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	sum, err := incidentio.Import(ctx, s, o)
	if err != nil || sum.Windows != 1 || sum.Stored != 1 || sum.Items["incidents"] != 1+1 {
		// Items: Z in the older window, C read again (pending).
		t.Errorf("older part: %d windows, %d stored, %v incidents read, %v; want 1 window (02-27..03-01), 1 stored (Z's trigger), 2 read", sum.Windows, sum.Stored, sum.Items["incidents"], err)
	}
	st, ok, err := s.ImportState(ctx, incidentio.Source)
	if err != nil || !ok || !st.Origin.Equal(o.Since) || !st.Cursor.Equal(now) || !reflect.DeepEqual(st.Pending, []string{"incident:01INCC"}) {
		t.Errorf("state %+v (%v %v), want origin %s, cursor %s, pending C", st, ok, err, o.Since, now)
	}
}

// TestMain doubles as the child process of the crash test: with
// PAGERLENS_TEST_IIO_CHILD set it imports into that store from that server.
func TestMain(m *testing.M) {
	if db := os.Getenv("PAGERLENS_TEST_IIO_CHILD"); db != "" {
		s, err := store.Open(context.Background(), db, store.DefaultOptions())
		if err != nil {
			os.Exit(3)
		}
		if _, err := incidentio.Import(context.Background(), s, options(os.Getenv("PAGERLENS_TEST_IIO_URL"))); err != nil {
			os.Exit(4)
		}
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestImportKilled: a child process importing is killed (SIGKILL) while it
// reads the fourth window; a rerun then completes, and the store holds
// exactly what a clean run stores.
func TestImportKilled(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	reached := make(chan struct{})
	release := make(chan struct{})
	var once bool
	f.hook = func(r *http.Request) {
		if r.URL.Path == "/v2/incidents" && r.URL.Query().Get("created_at[gte]") == "2026-03-07" && !once {
			once = true
			close(reached)
			<-release
		}
	}
	srv := f.start()
	defer close(release)
	db := filepath.Join(t.TempDir(), "killed.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PAGERLENS_TEST_IIO_CHILD="+db, "PAGERLENS_TEST_IIO_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reached the fourth window")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s := openStore(t, db)
	st, ok, err := s.ImportState(ctx, incidentio.Source)
	if err != nil || !ok || !st.Cursor.Equal(time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the kill: state %+v ok=%v err=%v, want cursor 03-07 (three windows committed)", st, ok, err)
	}
	sum, err := incidentio.Import(ctx, s, options(srv.URL))
	if err != nil || sum.Windows != 2 {
		t.Fatalf("rerun: %v, %d windows; want 2 (03-07..03-10)", err, sum.Windows)
	}
	clean := openStore(t, filepath.Join(t.TempDir(), "clean.duckdb"))
	if _, err := incidentio.Import(ctx, clean, options(history(t).start().URL)); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, s), dump(t, clean); !reflect.DeepEqual(a, b) {
		t.Errorf("killed and rerun differs from a clean run:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// TestShiftEdges: schedule_entries lists the entries overlapping the window
// asked, whole; each window takes the starts in [start, end) and the ends in
// (start, end]. An entry running at --since starts at --since; one ending
// on a window's edge ends there, once; one running past --until has no end
// until a later run reads it, which adds no second start. Zones: the
// roster's (Ben), else the schedule's (Ana, Cai).
func TestShiftEdges(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	f.incidents, f.escalations = nil, nil
	f.entries["SCPAY"] = []obj{
		entry(cai, "2026-02-28T20:00:00Z", "2026-03-01T12:00:00Z"),                          // across --since
		entry(ana, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"),                          // ends on the edge of windows 1 and 2
		entry(ben, "2026-03-03T00:00:00Z", "2026-03-05T00:00:00Z"),                          // exactly window 2
		entry(ana, "2026-03-09T18:00:00Z", "2026-03-11T06:00:00Z"),                          // across --until (now)
		{"user": nil, "start_at": "2026-03-05T00:00:00Z", "end_at": "2026-03-06T00:00:00Z"}, // nobody on call: skipped
	}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "i.duckdb"))
	if _, err := incidentio.Import(ctx, s, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	shifts := func() []string {
		rows, err := s.DB().Query(`SELECT concat_ws(' ', type, strftime(time, '%m-%d %H:%M'), responder, responder_tz, schedule) FROM events
			WHERE type LIKE 'shift.%' ORDER BY time, type DESC`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			out = append(out, l)
		}
		return out
	}
	want := []string{
		"shift.started 03-01 00:00 01CAI Europe/Berlin Payments Primary",
		"shift.ended 03-01 12:00 01CAI Europe/Berlin Payments Primary",
		"shift.started 03-02 00:00 01ANA Europe/Berlin Payments Primary",
		"shift.started 03-03 00:00 01BEN America/New_York Payments Primary",
		"shift.ended 03-03 00:00 01ANA Europe/Berlin Payments Primary",
		"shift.ended 03-05 00:00 01BEN America/New_York Payments Primary",
		"shift.started 03-09 18:00 01ANA Europe/Berlin Payments Primary",
	}
	if got := shifts(); !reflect.DeepEqual(got, want) {
		t.Errorf("shifts:\n got %q\nwant %q", got, want)
	}
	later := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	o := options(srv.URL)
	o.Until, o.Now = later, func() time.Time { return later }
	if _, err := incidentio.Import(ctx, s, o); err != nil {
		t.Fatal(err)
	}
	want = append(want, "shift.ended 03-11 06:00 01ANA Europe/Berlin Payments Primary")
	if got := shifts(); !reflect.DeepEqual(got, want) {
		t.Errorf("shifts after a later run:\n got %q\nwant %q", got, want)
	}
}
