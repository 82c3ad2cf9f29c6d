package oncall_test

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
	"github.com/pagerlens/pagerlens/ingest/importers/oncall"
	"github.com/pagerlens/pagerlens/store"
)

const token = "oncall-TESTKEY-not-a-real-key"

// now ends the import and the analytics windows: Tuesday 2026-03-10 00:00 UTC.
var now = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// engineBase is the OnCall engine's BASE_URL as a self-hosted engine behind
// a proxy may have it: not the address the test server answers on.
const engineBase = "http://oncall-engine.internal:8080"

func user(id, name, email string, tz any) obj {
	return obj{"id": id, "grafana_id": 7, "email": email, "slack": nil, "username": name, "role": "user",
		"is_phone_number_verified": true, "timezone": tz, "teams": []string{"TPAY"}}
}

func label(k, v string) obj {
	return obj{"key": obj{"id": k, "name": k}, "value": obj{"id": v, "name": v}}
}

// group is an AlertGroupSerializer item (alerts_count and last_alert are
// added by the server from the group's alerts, as OnCall's enrich does).
func group(id, integration, title, created string, labels []obj) obj {
	return obj{"id": id, "integration_id": integration, "team_id": "TPAY", "route_id": "RKH9", "alerts_count": 0,
		"state": "firing", "created_at": created, "resolved_at": nil, "resolved_by": nil, "acknowledged_at": nil,
		"acknowledged_by": nil, "labels": labels, "title": title,
		"permalinks": obj{"slack": nil, "telegram": nil, "web": "https://oncall.example.com/a/" + id}, "silenced_at": nil, "last_alert": nil}
}

func alert(id, groupID, created string, payload obj) obj {
	return obj{"id": id, "alert_group_id": groupID, "created_at": created, "payload": payload}
}

func set(o obj, kv ...any) obj {
	for i := 0; i < len(kv); i += 2 {
		o[kv[i].(string)] = kv[i+1]
	}
	return o
}

func at(s string) time.Time { return mustTime(s) }

// history is the hand-worked account. Ana (U4NA) is in Berlin (CET, UTC+1
// all through), Ben (UB3N) in New York (EST, UTC−5, until US summer time on
// Sunday 2026-03-08; EDT, UTC−4, after), Cai (UC41) has set no time zone.
// 2026-03-02 and 2026-03-09 are Mondays. One team, Payments (TPAY); the
// integrations prod-am (alertmanager) and Direct paging (direct_paging),
// both of Payments.
//
// On call (schedule Payments Primary, team Payments), final shifts:
//
//	Ana 03-02 08:00 → 03-04 08:00   48 h
//	Ben 03-04 08:00 → 03-06 08:00   48 h
//	Ana 03-06 08:00 → 03-13 08:00   runs past now: 03-06 08:00 → 03-10 00:00 = 88 h
//
// Alert groups (the default mapping: team = the integration's team, then
// label team; service = label service, then job; severity = label
// severity; the group's labels first, then the first alert's payload):
//
//	A  HighErrorRate, prod-am, group label severity=critical → SEV1; three
//	   alerts, the first with service checkout-api, the last (the list's
//	   last_alert) with checkout-canary: service checkout-api. Created
//	   03-02 22:00:00.250000; Ben acks 22:12:00.250000, resolves
//	   22:40:00.250000 (OnCall keeps microseconds).
//	B  DiskFull, prod-am, no group labels; one alert with labels
//	   severity=warning, service=ledger-db → SEV3, ledger-db. Created 03-05
//	   03:00; Ben acks 03:20; resolved by the source (resolved_by null) 04:00.
//	C  Checkout latency, prod-am, group label severity=warning → SEV3; its
//	   alert's commonLabels service=checkout-api. Created 03-09 14:00; Ana
//	   acks 14:30; still acknowledged (read again on the next run).
//	D  DB help, Direct paging (detected by a human), group label
//	   severity=high → SEV2, no service. Created 03-09 12:30; Cai resolves
//	   12:45, never acked.
//	E  Edge, prod-am, group label severity=info → SEV5, no service. Created
//	   03-05 00:00:00 exactly, the edge of two windows (listed by both);
//	   resolved by the source 00:05, never acked.
//	Z  Old, created 02-27: before the range, never read.
func history(t testing.TB) *fakeOnCall {
	f := &fakeOnCall{t: t, token: token, baseURL: engineBase, alerts: map[string][]obj{}, shifts: map[string][]obj{},
		script: map[string][]scripted{}}
	f.users = []obj{
		user("U4NA", "ana", "ana@example.com", "Europe/Berlin"),
		user("UB3N", "ben", "ben@example.com", "America/New_York"),
		user("UC41", "cai", "cai@example.com", nil),
	}
	f.teams = []obj{{"id": "TPAY", "grafana_id": 3, "name": "Payments", "email": "", "avatar_url": "/avatar/1"}}
	f.integrations = []obj{
		{"id": "CAM1", "name": "prod-am", "description_short": nil, "link": "https://oncall.example.com/integrations/v1/alertmanager/x/",
			"inbound_email": nil, "type": "alertmanager", "default_route": obj{"id": "RKH9"}, "team_id": "TPAY", "labels": []obj{}},
		{"id": "CDP1", "name": "Direct paging", "description_short": nil, "link": nil,
			"inbound_email": nil, "type": "direct_paging", "default_route": obj{"id": "RDP1"}, "team_id": "TPAY", "labels": []obj{}},
	}
	f.schedules = []obj{{"id": "SPAY", "team_id": "TPAY", "name": "Payments Primary", "type": "web", "time_zone": "UTC",
		"on_call_now": []string{}, "shifts": []string{"OSH1"}, "slack": obj{"channel_id": nil, "user_group_id": nil}}}
	sh := func(id, name, email, start, end string) obj {
		return obj{"user_pk": id, "user_email": email, "user_username": name, "start": at(start), "end": at(end)}
	}
	f.shifts["SPAY"] = []obj{
		sh("U4NA", "ana", "ana@example.com", "2026-03-02T08:00:00Z", "2026-03-04T08:00:00Z"),
		sh("UB3N", "ben", "ben@example.com", "2026-03-04T08:00:00Z", "2026-03-06T08:00:00Z"),
		sh("U4NA", "ana", "ana@example.com", "2026-03-06T08:00:00Z", "2026-03-13T08:00:00Z"),
	}
	f.groups = []obj{
		set(group("IA1", "CAM1", "HighErrorRate", "2026-03-02T22:00:00.250000Z", []obj{label("severity", "critical")}),
			"state", "resolved", "acknowledged_at", "2026-03-02T22:12:00.250000Z", "acknowledged_by", "UB3N",
			"resolved_at", "2026-03-02T22:40:00.250000Z", "resolved_by", "UB3N"),
		set(group("IB2", "CAM1", "DiskFull", "2026-03-05T03:00:00Z", []obj{}),
			"state", "resolved", "acknowledged_at", "2026-03-05T03:20:00Z", "acknowledged_by", "UB3N",
			"resolved_at", "2026-03-05T04:00:00Z"),
		set(group("IC3", "CAM1", "Checkout latency", "2026-03-09T14:00:00Z", []obj{label("severity", "warning")}),
			"state", "acknowledged", "acknowledged_at", "2026-03-09T14:30:00Z", "acknowledged_by", "U4NA"),
		set(group("ID4", "CDP1", "DB help", "2026-03-09T12:30:00Z", []obj{label("severity", "high")}),
			"state", "resolved", "resolved_at", "2026-03-09T12:45:00Z", "resolved_by", "UC41"),
		set(group("IE5", "CAM1", "Edge", "2026-03-05T00:00:00Z", []obj{label("severity", "info")}),
			"state", "resolved", "resolved_at", "2026-03-05T00:05:00Z"),
		set(group("IZ0", "CAM1", "Old", "2026-02-27T10:00:00Z", []obj{}), "state", "resolved", "resolved_at", "2026-02-27T10:01:00Z"),
	}
	f.alerts["IA1"] = []obj{
		alert("AA1", "IA1", "2026-03-02T22:00:00.250000Z", obj{"status": "firing", "commonLabels": obj{"alertname": "HighErrorRate", "service": "checkout-api"}}),
		alert("AA2", "IA1", "2026-03-02T22:05:00Z", obj{"status": "firing", "commonLabels": obj{"alertname": "HighErrorRate", "service": "checkout-api"}}),
		alert("AA3", "IA1", "2026-03-02T22:09:00Z", obj{"status": "firing", "commonLabels": obj{"alertname": "HighErrorRate", "service": "checkout-canary"}}),
	}
	f.alerts["IB2"] = []obj{alert("AB1", "IB2", "2026-03-05T03:00:00Z", obj{"labels": obj{"alertname": "DiskFull", "severity": "warning", "service": "ledger-db"}})}
	f.alerts["IC3"] = []obj{alert("AC1", "IC3", "2026-03-09T14:00:00Z", obj{"status": "firing", "commonLabels": obj{"service": "checkout-api"}})}
	f.alerts["ID4"] = []obj{alert("AD1", "ID4", "2026-03-09T12:30:00Z", obj{"message": "Need a DBA on the ledger"})}
	f.alerts["IE5"] = []obj{alert("AE1", "IE5", "2026-03-05T00:00:00Z", obj{"commonLabels": obj{}})}
	f.alerts["IZ0"] = []obj{alert("AZ1", "IZ0", "2026-02-27T10:00:00Z", obj{})}
	return f
}

// options imports [03-01, now) in windows of two days, asking one item a
// page: every list of more than one item is paged.
func options(url string) oncall.Options {
	return oncall.Options{
		APIURL: url, Token: token, TokenFile: "/etc/pagerlens/oncall.token",
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: now,
		Window: 48 * time.Hour, PageSize: 1,
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

// incidentRow is an analytics incident row, reduced to what the test checks.
type incidentRow struct {
	team, service, sev        string
	count, open, auto, missed int64
	ackN, resolveN            int64
	ackMean, resolveMean      float64
}

func incidentRows(t testing.TB, snap *analytics.Snapshot) map[string]incidentRow {
	out := map[string]incidentRow{}
	for _, r := range snap.Incidents {
		g := incidentRow{team: r.Team, service: r.Service, sev: r.Severity, count: r.Count, open: r.Open, auto: r.AutoResolved,
			missed: r.MissedByAlerting, ackN: r.Ack.Count, resolveN: r.Resolve.Count}
		if r.Ack.Mean != nil {
			g.ackMean = *r.Ack.Mean
		}
		if r.Resolve.Mean != nil {
			g.resolveMean = *r.Resolve.Mean
		}
		out[r.Service+"/"+r.Severity] = g
	}
	return out
}

type load struct {
	who, team, tz   string
	interruptions   int64
	acked           int64
	engaged, oncall float64
}

func loads(snap *analytics.Snapshot) []load {
	var out []load
	for _, r := range snap.Responders {
		out = append(out, load{who: r.Responder, team: r.Team, tz: r.Timezone, interruptions: r.InterruptionsTotal,
			acked: r.IncidentsAcknowledged, engaged: r.EngagedSeconds, oncall: r.OnCallSeconds})
	}
	return out
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

func TestImportGolden(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	// The first /users answer is OnCall's throttle (Django REST framework:
	// Retry-After the wait rounded down, here 0; OnCall's RateLimit-Reset
	// rounded up, 1), the first alert group listing a 503: both are retried
	// and the import goes on.
	f.script["/api/v1/users"] = []scripted{{429, map[string]string{"Retry-After": "0", "RateLimit-Reset": "1"},
		`{"detail": "Request was throttled. Expected available in 1 second."}`}}
	f.script["/api/v1/alert_groups"] = []scripted{{503, nil, `<html>503 Service Unavailable</html>`}}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	var windows int
	o := options(srv.URL)
	o.Observer = importers.ObserverFunc(func(p importers.Progress) { windows = p.WindowsDone })
	start := time.Now()
	sum, err := oncall.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, sum)
	}
	if time.Since(start) < time.Second {
		t.Errorf("the import did not wait the second RateLimit-Reset asked for")
	}
	t.Log(sum)
	// 5 windows of 2 days (the last one 03-09..03-10). Events: A 3
	// (trigger, ack, resolve), B 3, C 2 (trigger, ack), D 2 (trigger,
	// resolve), E 2; shifts: Ana's and Ben's first starts and ends, Ana's
	// second start (its end is after now): 5. 17 in all.
	if sum.Windows != 5 || sum.WindowsDone != 5 || windows != 5 {
		t.Errorf("windows %d/%d (observer %d), want 5/5", sum.WindowsDone, sum.Windows, windows)
	}
	if sum.Events != 17 || sum.Stored != 17 || sum.ProblemCount != 0 || sum.DeadLettered != 0 {
		t.Errorf("%d events, %d stored, %d problems %v, %d dead letters; want 17, 17, 0, 0", sum.Events, sum.Stored, sum.ProblemCount, sum.Problems, sum.DeadLettered)
	}
	if sum.Pending != 1 || !sum.Cursor.Equal(now) {
		t.Errorf("cursor %s, %d pending; want %s and 1 (C)", sum.Cursor, sum.Pending, now)
	}
	if sum.Retries < 2 {
		t.Errorf("%d retries, want the 429 and the 503", sum.Retries)
	}
	// Items: A, B, C, D and E, E twice (the edge of two windows); the first
	// alert of A (three alerts; B to E have one, their last_alert).
	wantItems := map[string]int{"users": 3, "teams": 1, "integrations": 2, "schedules": 1, "alert_groups": 6, "alerts": 1, "shifts": 7}
	if !reflect.DeepEqual(sum.Items, wantItems) {
		t.Errorf("items %v, want %v", sum.Items, wantItems)
	}
	// The next URLs name the engine's BASE_URL; every request went to the
	// API URL given, none to the host the next URLs name.
	for _, h := range f.hosts {
		if h != strings.TrimPrefix(srv.URL, "http://") {
			t.Errorf("a request went to %s", h)
		}
	}
	if n := f.count("/api/v1/users?"); n != 4 { // the 429, then 3 pages of one
		t.Errorf("%d /users requests, want 4", n)
	}

	snap := compute(t, s)
	// MTTA and MTTR by service and severity, by hand (all team Payments):
	//   checkout-api SEV1 (A): ack 22:00:00.25 → 22:12:00.25 = 720 s;
	//        resolve → 22:40:00.25 = 2400 s.
	//   ledger-db SEV3 (B): ack 03:00 → 03:20 = 1200 s; resolve → 04:00 = 3600 s.
	//   checkout-api SEV3 (C): ack 14:00 → 14:30 = 1800 s; open.
	//   no service SEV2 (D): never acked, resolved 12:30 → 12:45 = 900 s:
	//        auto-resolved (no ack), detected by a human (direct paging).
	//   no service SEV5 (E): resolved 00:00 → 00:05 = 300 s, auto-resolved.
	want := map[string]incidentRow{
		"checkout-api/SEV1": {team: "Payments", service: "checkout-api", sev: "SEV1", count: 1, ackN: 1, ackMean: 720, resolveN: 1, resolveMean: 2400},
		"ledger-db/SEV3":    {team: "Payments", service: "ledger-db", sev: "SEV3", count: 1, ackN: 1, ackMean: 1200, resolveN: 1, resolveMean: 3600},
		"checkout-api/SEV3": {team: "Payments", service: "checkout-api", sev: "SEV3", count: 1, open: 1, ackN: 1, ackMean: 1800},
		"/SEV2":             {team: "Payments", sev: "SEV2", count: 1, auto: 1, missed: 1, resolveN: 1, resolveMean: 900},
		"/SEV5":             {team: "Payments", sev: "SEV5", count: 1, auto: 1, resolveN: 1, resolveMean: 300},
	}
	if got := incidentRows(t, snap); !reflect.DeepEqual(got, want) {
		t.Errorf("incidents:\n got %+v\nwant %+v", got, want)
	}

	// On-call load: the public API lists no notifications, so no
	// interruptions. Zones from the shift events (the users' timezone).
	//   Ana: acked C (open: not engaged); on call 48 h + 88 h = 136 h = 489600 s.
	//   Ben: acked A and B; engaged A 22:12:00.25 → 22:40:00.25 = 1680 s and
	//        B 03:20 → 04:00 = 2400 s: 4080 s; on call 48 h = 172800 s.
	//   Cai resolved D without an ack, has no shift and no page: no row.
	wantLoad := []load{
		{who: "U4NA", team: "Payments", tz: "Europe/Berlin", acked: 1, oncall: 489600},
		{who: "UB3N", team: "Payments", tz: "America/New_York", acked: 2, engaged: 4080, oncall: 172800},
	}
	if got := loads(snap); !reflect.DeepEqual(got, wantLoad) {
		t.Errorf("on-call load:\n got %+v\nwant %+v", got, wantLoad)
	}

	// A re-import reads C (pending) and the window after the cursor (none
	// here): nothing new is stored.
	again, err := oncall.Import(ctx, s, o)
	if err != nil || again.Stored != 0 || again.Windows != 0 || again.Items["alert_groups"] != 1 || again.Duplicates != 2 {
		t.Errorf("re-import: stored %d (%d duplicates), %d windows, %d alert groups read, %v; want 0 (2: C's trigger and ack), 0, 1 (C)",
			again.Stored, again.Duplicates, again.Windows, again.Items["alert_groups"], err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != sum.Stored {
		t.Errorf("%d events stored, the import said %d (%v)", n, sum.Stored, err)
	}
	// The same range again from scratch (the cursor reset by a --since
	// before the origin reads only the older part): a new store, the same
	// events; and over the stored one, a full re-read stores nothing.
	o2 := o
	o2.Since = time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	older, err := oncall.Import(ctx, s, o2)
	if err != nil || older.Windows != 1 || older.Stored != 2 {
		// Z (created 02-27 10:00, resolved 10:01): trigger and resolve.
		t.Errorf("older part: %d windows, %d stored, %v; want 1 window (02-27..03-01), 2 (Z)", older.Windows, older.Stored, err)
	}
}

// TestImportResumes: C, open at the first run, is resolved by the second,
// which also reads the days after the first run's end.
func TestImportResumes(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	o := options(srv.URL)
	o.Until = time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)
	if _, err := oncall.Import(ctx, s, o); err != nil {
		t.Fatal(err)
	}
	for _, g := range f.groups {
		if g["id"] == "IC3" {
			set(g, "state", "resolved", "resolved_at", "2026-03-09T16:00:00.5Z", "resolved_by", "U4NA")
		}
	}
	sum, err := oncall.Import(ctx, s, options(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	// Read again: C (trigger, ack: stored; its resolve: new). The window
	// 03-09 15:00..03-10 00:00: no group, no shift edge (Ana's second shift
	// started before it: not the start of the range, so no start again).
	if sum.Windows != 1 || sum.Stored != 1 || sum.Pending != 0 || !sum.Cursor.Equal(now) {
		t.Errorf("second run: %d windows, %d stored, %d pending, cursor %s; want 1, 1 (C's resolve), 0, %s\n%s", sum.Windows, sum.Stored, sum.Pending, sum.Cursor, now, sum)
	}
	var resolvedAt time.Time
	if err := s.DB().QueryRow(`SELECT resolved_at FROM incidents WHERE incident_id = 'IC3'`).Scan(&resolvedAt); err != nil ||
		!resolvedAt.Equal(at("2026-03-09T16:00:00.5Z")) {
		t.Errorf("C resolved at %s (%v), want 16:00:00.5", resolvedAt, err)
	}
}

// TestImportUnauthorized: OnCall answers a wrong key 403 {"detail":
// "Invalid token."}; the run ends with an error naming the token file
// (never the token), and nothing is stored.
func TestImportUnauthorized(t *testing.T) {
	f := history(t)
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	o := options(srv.URL)
	o.Token = "oncall-WRONG"
	sum, err := oncall.Import(context.Background(), s, o)
	if !errors.Is(err, importers.ErrUnauthorized) || !strings.Contains(err.Error(), o.TokenFile) ||
		strings.Contains(err.Error(), "WRONG") || !strings.Contains(err.Error(), "Invalid token.") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("err = %v, want ErrUnauthorized naming %s, the 403 and OnCall's detail, not the token", err, o.TokenFile)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM import_state) + (SELECT count(*) FROM dead_letters)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows stored after a 403 (%v)", n, err)
	}
	if sum.Stored != 0 || f.count("/api/v1/") != 1 {
		t.Errorf("summary says %d stored, %d requests made; want 0 and 1", sum.Stored, f.count("/api/v1/"))
	}
}

// TestImportBadShapes: an alert group, a time and a final shift of the
// wrong shape are each reported with their id and dead-lettered, once
// however often they are met; the rest is stored.
func TestImportBadShapes(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	f.groups = append(f.groups,
		obj{"id": "IBAD1", "created_at": "2026-03-04T01:00:00Z", "title": []int{1}},
		set(group("IBAD2", "CAM1", "Bad ack", "2026-03-04T02:00:00Z", nil), "acknowledged_at", "yesterday", "acknowledged_by", "U4NA"),
		obj{"id": "IBAD3", "created_at": 1772600000},
	)
	f.alerts["IBAD2"] = []obj{alert("AX1", "IBAD2", "2026-03-04T02:00:00Z", obj{})}
	f.shifts["SPAY"] = append(f.shifts["SPAY"], obj{"user_pk": []int{7}, "start": at("2026-03-07T00:00:00Z"), "end": at("2026-03-07T01:00:00Z")})
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	o := options(srv.URL)
	sum, err := oncall.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	got := map[string]string{}
	for _, p := range sum.Problems {
		got[p.Kind+" "+p.ID] = p.Reason
	}
	// IBAD3's created_at is a number, which no window can place: listed by
	// every window (the server cannot filter it either), one problem.
	want := map[string]string{"alert_group IBAD1": "wrong_type", "alert_group IBAD2": "bad_time", "alert_group IBAD3": "wrong_type", "shift SPAY": "wrong_type"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}
	if sum.DeadLettered != len(want) {
		t.Errorf("%d dead letters, want %d", sum.DeadLettered, len(want))
	}
	// IBAD2's trigger is stored without its unreadable ack; the others are
	// the golden 17.
	if sum.Stored != 18 {
		t.Errorf("stored %d, want 18", sum.Stored)
	}
	var raw []byte
	if err := s.DB().QueryRow(`SELECT raw FROM dead_letters WHERE error LIKE '%IBAD2%'`).Scan(&raw); err != nil || !strings.Contains(string(raw), `"acknowledged_at":"yesterday"`) {
		t.Errorf("IBAD2's dead letter: %q (%v)", raw, err)
	}
	again, err := oncall.Import(ctx, s, o)
	if err != nil || again.DeadLettered != 0 {
		t.Errorf("second run wrote %d dead letters (%v)", again.DeadLettered, err)
	}
}

// TestImportBadPage: a page of the wrong shape makes its window incomplete:
// the later windows are stored, the cursor stays before it, the run exits
// with an error, and the next run reads it again and completes.
func TestImportBadPage(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	bad := true
	f.hook = func(r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/alert_groups") && strings.HasPrefix(r.URL.Query().Get("started_at"), "2026-03-03T00:00:00") && bad {
			bad = false
			f.mu.Lock()
			f.script["/api/v1/alert_groups"] = []scripted{{200, nil, `{"count": 1, "next": null, "results": {"not": "a list"}}`}}
			f.mu.Unlock()
		}
	}
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	sum, err := oncall.Import(ctx, s, options(srv.URL))
	if err == nil || sum.WindowsDone != 4 || !sum.Cursor.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) || sum.DeadLettered != 1 {
		t.Fatalf("err %v, %d windows done, cursor %s, %d dead letters; want an error, 4, 03-03, 1", err, sum.WindowsDone, sum.Cursor, sum.DeadLettered)
	}
	sum2, err := oncall.Import(ctx, s, options(srv.URL))
	if err != nil || !sum2.Cursor.Equal(now) || sum2.Windows != 4 {
		t.Fatalf("second run: %v, cursor %s, %d windows; want none, %s, 4", err, sum2.Cursor, sum2.Windows, now)
	}
	clean := openStore(t, filepath.Join(t.TempDir(), "clean.duckdb"))
	if _, err := oncall.Import(ctx, clean, options(history(t).start().URL)); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, s), dump(t, clean); !reflect.DeepEqual(a, b) {
		t.Errorf("after a bad page and a rerun the store differs from a clean run:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// TestImportBadReference: a reference list of the wrong shape ends the run
// before any event is written (the groups would be mapped otherwise than
// the webhook maps them), with the page dead-lettered.
func TestImportBadReference(t *testing.T) {
	f := history(t)
	f.script["/api/v1/teams"] = []scripted{{200, nil, `[{"id": "TPAY", "name": "Payments"}]`}}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	sum, err := oncall.Import(context.Background(), s, options(srv.URL))
	if err == nil || !strings.Contains(err.Error(), "/api/v1/teams/") || sum.DeadLettered != 1 || sum.Stored != 0 {
		t.Fatalf("err %v, %d dead letters, %d stored; want an error naming /api/v1/teams/, 1, 0", err, sum.DeadLettered, sum.Stored)
	}
	var events, states int
	if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM import_state)`).Scan(&events, &states); err != nil || events+states != 0 {
		t.Errorf("%d events and %d states stored (%v)", events, states, err)
	}
}

// dump lists every stored event, all columns but ingested_at, sorted.
func dump(t testing.TB, s *store.Store) []string {
	t.Helper()
	rows, err := s.DB().Query(`SELECT concat_ws('|', id, source, type, time, incident_id, alert_key, title, service, team, severity, urgency,
		responder, responder_tz, channel, schedule, detected_by, resolved_by, local_hour, local_dow, local_date) FROM events ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestMain doubles as the child process of the crash test: with
// PAGERLENS_TEST_ONCALL_CHILD set it imports into that store from that server.
func TestMain(m *testing.M) {
	if db := os.Getenv("PAGERLENS_TEST_ONCALL_CHILD"); db != "" {
		s, err := store.Open(context.Background(), db, store.DefaultOptions())
		if err != nil {
			os.Exit(3)
		}
		if _, err := oncall.Import(context.Background(), s, options(os.Getenv("PAGERLENS_TEST_ONCALL_URL"))); err != nil {
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
		if strings.HasPrefix(r.URL.Path, "/api/v1/alert_groups") && strings.HasPrefix(r.URL.Query().Get("started_at"), "2026-03-07T00:00:00") && !once {
			once = true
			close(reached)
			<-release
		}
	}
	srv := f.start()
	defer close(release)
	db := filepath.Join(t.TempDir(), "killed.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PAGERLENS_TEST_ONCALL_CHILD="+db, "PAGERLENS_TEST_ONCALL_URL="+srv.URL)
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
	st, ok, err := s.ImportState(ctx, oncall.Source)
	if err != nil || !ok || !st.Cursor.Equal(time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the kill: state %+v ok=%v err=%v, want cursor 03-07 (three windows committed)", st, ok, err)
	}
	sum, err := oncall.Import(ctx, s, options(srv.URL))
	if err != nil || sum.Windows != 2 {
		t.Fatalf("rerun: %v, %d windows; want 2 (03-07..03-10)", err, sum.Windows)
	}
	clean := openStore(t, filepath.Join(t.TempDir(), "clean.duckdb"))
	if _, err := oncall.Import(ctx, clean, options(history(t).start().URL)); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, s), dump(t, clean); !reflect.DeepEqual(a, b) {
		t.Errorf("killed and rerun differs from a clean run:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// TestShiftEdges: final_shifts cuts shifts to the period asked, so the
// import asks a minute more on each side and takes only the starts and ends
// inside each window. A shift running at --since starts at --since; one
// ending on a window's edge ends there, once; one running past --until has
// no end until a later run reads it, which adds no second start.
func TestShiftEdges(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	f.groups = nil
	sh := func(id, start, end string) obj {
		return obj{"user_pk": id, "user_email": id + "@example.com", "user_username": id, "start": at(start), "end": at(end)}
	}
	f.shifts["SPAY"] = []obj{
		sh("UC41", "2026-02-28T20:00:00Z", "2026-03-01T12:00:00Z"), // across --since
		sh("U4NA", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"), // ends on the edge of windows 1 and 2
		sh("UB3N", "2026-03-03T00:00:00Z", "2026-03-05T00:00:00Z"), // exactly window 2
		sh("U4NA", "2026-03-09T18:00:00Z", "2026-03-11T06:00:00Z"), // across --until (now)
	}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "o.duckdb"))
	if _, err := oncall.Import(ctx, s, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	shifts := func() []string {
		rows, err := s.DB().Query(`SELECT concat_ws(' ', type, strftime(time, '%m-%d %H:%M'), responder, schedule, team) FROM events
			WHERE type LIKE 'shift.%' ORDER BY time, type DESC`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var l string
			rows.Scan(&l)
			out = append(out, l)
		}
		return out
	}
	want := []string{
		"shift.started 03-01 00:00 UC41 Payments Primary Payments",
		"shift.ended 03-01 12:00 UC41 Payments Primary Payments",
		"shift.started 03-02 00:00 U4NA Payments Primary Payments",
		"shift.started 03-03 00:00 UB3N Payments Primary Payments",
		"shift.ended 03-03 00:00 U4NA Payments Primary Payments",
		"shift.ended 03-05 00:00 UB3N Payments Primary Payments",
		"shift.started 03-09 18:00 U4NA Payments Primary Payments",
	}
	if got := shifts(); !reflect.DeepEqual(got, want) {
		t.Errorf("shifts:\n got %q\nwant %q", got, want)
	}
	later := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	o := options(srv.URL)
	o.Until, o.Now = later, func() time.Time { return later }
	if _, err := oncall.Import(ctx, s, o); err != nil {
		t.Fatal(err)
	}
	want = append(want, "shift.ended 03-11 06:00 U4NA Payments Primary Payments")
	if got := shifts(); !reflect.DeepEqual(got, want) {
		t.Errorf("shifts after a later run:\n got %q\nwant %q", got, want)
	}
}
