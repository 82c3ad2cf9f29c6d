package pagerduty_test

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
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	"github.com/pagerlens/pagerlens/store"
)

const token = "u+TESTTOKEN-not-a-real-key"

// now ends the import and the analytics windows: Tuesday 2026-03-10 00:00 UTC.
var now = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func ref(id, typ, summary string) obj { return obj{"id": id, "type": typ, "summary": summary} }

var (
	ana      = ref("PANA", "user_reference", "Ana Ruiz")
	ben      = ref("PBEN", "user_reference", "Ben Ode")
	svc      = ref("PSVC1", "service_reference", "checkout-api")
	team     = ref("PTM1", "team_reference", "Payments")
	schedule = ref("PSCH1", "schedule_reference", "Payments Primary")
	policy   = ref("PEP1", "escalation_policy_reference", "Payments Policy")
)

func incident(id, created, status, urgency, priority string) obj {
	o := obj{"id": id, "type": "incident", "title": "Checkout " + id, "created_at": created, "status": status,
		"incident_key": "checkout/" + id, "urgency": urgency, "service": svc, "escalation_policy": policy,
		"teams": []obj{team}, "priority": nil}
	if priority != "" {
		o["priority"] = obj{"id": "PPR" + priority, "type": "priority", "summary": priority, "name": priority}
	}
	return o
}

func le(id, typ, at string, agent obj, extra obj) obj {
	o := obj{"id": id, "type": typ, "created_at": at, "agent": agent}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func notify(id, at string, who obj, kind string) obj {
	return le(id, "notify_log_entry", at, svc, obj{"user": who, "channel": obj{"type": "notification", "notification": obj{"type": kind}}})
}

// history is the hand-worked account. Ana is in Berlin (CET, UTC+1 all
// through; EU summer time starts 2026-03-29), Ben in New York (EST, UTC−5,
// until US summer time on Sunday 2026-03-08, EDT, UTC−4, after). 2026-03-02
// and 2026-03-09 are Mondays.
//
// On call (schedule Payments Primary, team Payments):
//
//	Ana 03-02 08:00 → 03-04 08:00   48 h
//	Ben 03-04 08:00 → 03-06 08:00   48 h
//	Ana 03-06 08:00 → 03-13 08:00   runs past now: 03-06 08:00 → 03-10 00:00 = 88 h
//
// Incidents (team Payments, service checkout-api):
//
//	A  P1 → SEV1. Triggered 03-02 22:00:00 by the service; Ana paged by phone
//	   22:00:05 and SMS 22:01:30; escalated 22:10:00 to Ben, pushed
//	   22:10:02; Ben acks 22:12:00, resolves 22:40:00.
//	B  no priority, urgency low at trigger → SEV4; urgency changed 03:05:00
//	   (to high, the incident's urgency now) → SEV2. Triggered 03-05
//	   03:00:00; Ben paged by phone 03:00:10; acks 03:20:00; snoozes
//	   03:21:00 and a note 03:22:00 (both skipped); resolves 04:00:00. One
//	   entry of an unknown type (a problem, dead-lettered).
//	C  P3 → SEV3. Triggered 03-09 14:00:00; Ana emailed 14:00:03 and pushed
//	   14:00:04; acks 14:30:00; still open (read again on the next run).
//	D  P2 → SEV2. Triggered 03-09 12:30:00; Ben by SMS 12:30:05; resolved
//	   by the service (timeout) 12:45:00, never acked.
func history(t testing.TB) *fakePD {
	f := &fakePD{t: t, token: token, pageMax: 2, logs: map[string][]obj{}, schedules: map[string]obj{},
		script: map[string][]scripted{}}
	f.users = []obj{
		{"id": "PANA", "type": "user", "name": "Ana Ruiz", "email": "ana@example.com", "time_zone": "Europe/Berlin"},
		{"id": "PBEN", "type": "user", "name": "Ben Ode", "email": "ben@example.com", "time_zone": "America/New_York"},
	}
	f.schedules["PSCH1"] = obj{"id": "PSCH1", "type": "schedule", "summary": "Payments Primary", "name": "Payments Primary",
		"time_zone": "UTC", "teams": []obj{team}}
	oc := func(user obj, start, end string) obj {
		return obj{"user": user, "schedule": schedule, "escalation_policy": policy, "escalation_level": 1, "start": start, "end": end}
	}
	f.oncalls = []obj{
		oc(ana, "2026-03-02T08:00:00Z", "2026-03-04T08:00:00Z"),
		oc(ben, "2026-03-04T08:00:00Z", "2026-03-06T08:00:00Z"),
		oc(ana, "2026-03-06T08:00:00Z", "2026-03-13T08:00:00Z"),
	}
	f.incidents = []obj{
		incident("PINCA", "2026-03-02T22:00:00Z", "resolved", "high", "P1"),
		incident("PINCB", "2026-03-05T03:00:00Z", "resolved", "high", ""),
		incident("PINCD", "2026-03-09T12:30:00Z", "resolved", "high", "P2"),
		incident("PINCC", "2026-03-09T14:00:00Z", "acknowledged", "high", "P3"),
	}
	f.logs["PINCA"] = []obj{
		le("RA1", "trigger_log_entry", "2026-03-02T22:00:00Z", svc, obj{"channel": obj{"type": "api"}}),
		le("RA2", "assign_log_entry", "2026-03-02T22:00:00Z", svc, obj{"assignees": []obj{ana}}),
		notify("RA3", "2026-03-02T22:00:05Z", ana, "phone_notification"),
		notify("RA4", "2026-03-02T22:01:30Z", ana, "sms_notification"),
		le("RA5", "escalate_log_entry", "2026-03-02T22:10:00Z", svc, obj{"assignees": []obj{ben}, "channel": obj{"type": "timeout"}}),
		notify("RA6", "2026-03-02T22:10:02Z", ben, "push_notification"),
		le("RA7", "acknowledge_log_entry", "2026-03-02T22:12:00Z", ben, obj{"channel": obj{"type": "website"}}),
		le("RA8", "resolve_log_entry", "2026-03-02T22:40:00Z", ben, obj{"channel": obj{"type": "website"}}),
	}
	f.logs["PINCB"] = []obj{
		le("RB1", "trigger_log_entry", "2026-03-05T03:00:00Z", svc, nil),
		notify("RB2", "2026-03-05T03:00:10Z", ben, "phone_notification"),
		le("RB3", "urgency_change_log_entry", "2026-03-05T03:05:00Z", ben, nil),
		le("RB4", "acknowledge_log_entry", "2026-03-05T03:20:00Z", ben, nil),
		le("RB5", "snooze_log_entry", "2026-03-05T03:21:00Z", ben, obj{"channel": obj{"type": "website", "duration": 600}}),
		le("RB6", "annotate_log_entry", "2026-03-05T03:22:00Z", ben, obj{"channel": obj{"type": "note"}}),
		le("RB7", "resolve_log_entry", "2026-03-05T04:00:00Z", ben, nil),
		le("RB8", "mystery_log_entry", "2026-03-05T04:01:00Z", ben, nil),
	}
	f.logs["PINCC"] = []obj{
		le("RC1", "trigger_log_entry", "2026-03-09T14:00:00Z", svc, nil),
		notify("RC2", "2026-03-09T14:00:03Z", ana, "email_notification"),
		notify("RC3", "2026-03-09T14:00:04Z", ana, "push_notification"),
		le("RC4", "acknowledge_log_entry", "2026-03-09T14:30:00Z", ana, nil),
	}
	f.logs["PINCD"] = []obj{
		le("RD1", "trigger_log_entry", "2026-03-09T12:30:00Z", svc, nil),
		notify("RD2", "2026-03-09T12:30:05Z", ben, "sms_notification"),
		le("RD3", "resolve_log_entry", "2026-03-09T12:45:00Z", svc, obj{"channel": obj{"type": "timeout"}}),
	}
	return f
}

// options imports [03-01, now) in windows of two days, asking 3 items a
// page against a cap of 6 (the server answers at most 2: short pages; a
// listing of more than 6, incident A's 8 log entries, is split).
func options(url string) pagerduty.Options {
	return pagerduty.Options{
		APIURL: url, Token: token, TokenFile: "/etc/pagerlens/pagerduty.token",
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: now,
		Window: 48 * time.Hour, PageLimit: 3, OffsetCap: 6,
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

func TestImportGolden(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	// The first /users answer is a 429 with Retry-After, the first /oncalls
	// a 503: both are retried and the import goes on.
	f.script["/users"] = []scripted{{429, map[string]string{"Retry-After": "1", "ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "1"},
		`{"error":{"message":"Rate Limit Exceeded","code":2020}}`}}
	f.script["/oncalls"] = []scripted{{503, nil, `{"error":{"message":"Service Unavailable"}}`}}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "p.duckdb"))
	var windows int
	o := options(srv.URL)
	o.Observer = importers.ObserverFunc(func(p importers.Progress) { windows = p.WindowsDone })
	start := time.Now()
	sum, err := pagerduty.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, sum)
	}
	if time.Since(start) < time.Second {
		t.Errorf("the import did not wait the second Retry-After asked for")
	}
	t.Log(sum)
	// 5 windows of 2 days (the last one: 03-09..03-10). Events: A 7 (trigger,
	// 3 pages, escalate, ack, resolve; the system's assign skipped), B 5
	// (trigger, page, urgency change, ack, resolve), C 4, D 3; shifts: 3
	// starts (the cut starts of the same shifts in later windows add 3
	// more: 03-03, 03-05, 03-07, 03-09 for the shifts running across)
	// and 2 ends.
	if sum.Windows != 5 || sum.WindowsDone != 5 || windows != 5 {
		t.Errorf("windows %d/%d (observer %d), want 5/5", sum.WindowsDone, sum.Windows, windows)
	}
	if sum.ProblemCount != 1 || sum.Problems[0].ID != "RB8" || sum.Problems[0].Reason != "unknown_type" || sum.DeadLettered != 1 {
		t.Errorf("problems %v (%d dead letters), want RB8 unknown_type", sum.Problems, sum.DeadLettered)
	}
	if sum.Skipped != 3 { // A's system assign, B's snooze and note
		t.Errorf("skipped %d, want 3", sum.Skipped)
	}
	if sum.Pending != 1 || !sum.Cursor.Equal(now) {
		t.Errorf("cursor %s, %d pending; want %s and 1 (C)", sum.Cursor, sum.Pending, now)
	}
	if sum.Retries < 2 {
		t.Errorf("%d retries, want the 429 and the 503", sum.Retries)
	}
	if sum.Stored != sum.Events || sum.Events == 0 {
		t.Errorf("stored %d of %d events", sum.Stored, sum.Events)
	}

	cfg := analytics.DefaultConfig(now)
	cfg.Windows = []analytics.Window{{Name: "30d", Duration: 30 * 24 * time.Hour}}
	snap, err := analytics.Compute(ctx, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	type inc struct {
		sev                    string
		count, open, esc, auto int64
		ackN                   int64
		ackMean, resolveMean   float64
		resolveN               int64
	}
	// MTTA and MTTR by severity, by hand:
	//   SEV1 (A): ack 22:00:00 → 22:12:00 = 720 s; resolve → 22:40:00 = 2400 s; escalated once.
	//   SEV2 (B, D): B ack 03:00 → 03:20 = 1200 s, resolve → 04:00 = 3600 s;
	//        D never acked, resolved 12:30 → 12:45 = 900 s (auto-resolved).
	//        MTTA 1200 s (one sample), MTTR (3600 + 900) / 2 = 2250 s.
	//   SEV3 (C): ack 14:00 → 14:30 = 1800 s; open.
	want := []inc{
		{sev: "SEV1", count: 1, esc: 1, ackN: 1, ackMean: 720, resolveN: 1, resolveMean: 2400},
		{sev: "SEV2", count: 2, auto: 1, ackN: 1, ackMean: 1200, resolveN: 2, resolveMean: 2250},
		{sev: "SEV3", count: 1, open: 1, ackN: 1, ackMean: 1800},
	}
	var got []inc
	for _, r := range snap.Incidents {
		if r.Team != "Payments" || r.Service != "checkout-api" {
			t.Errorf("incident row of team %q service %q, want Payments, checkout-api", r.Team, r.Service)
		}
		g := inc{sev: r.Severity, count: r.Count, open: r.Open, esc: r.Escalated, auto: r.AutoResolved, ackN: r.Ack.Count, resolveN: r.Resolve.Count}
		if r.Ack.Mean != nil {
			g.ackMean = *r.Ack.Mean
		}
		if r.Resolve.Mean != nil {
			g.resolveMean = *r.Resolve.Mean
		}
		got = append(got, g)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("incidents:\n got %+v\nwant %+v", got, want)
	}

	// On-call load, fold 2 min, each page in its responder's own zone:
	//   Ana: A 22:00:05Z + 22:01:30Z (85 s apart: one) = Mon 23:00 Berlin → sleep,
	//        night of 03-02, inside her shift; C 14:00:03Z + 14:00:04Z (email and
	//        push: one; every channel counts today) = Mon 15:00 Berlin → business,
	//        inside her shift. Acked C. On call 48 h + 88 h = 136 h = 489600 s.
	//   Ben: A 22:10:02Z = Mon 17:10 EST → business, outside his shift;
	//        B 03:00:10Z on 03-05 = Wed 03-04 22:00 EST → sleep, night of 03-04,
	//        inside his shift; D 12:30:05Z on 03-09 = Mon 08:30 EDT (summer time
	//        since 03-08; in EST it would be 07:30, off hours) → business,
	//        outside. Acked A and B. Engaged: A 22:12 → 22:40 = 1680 s,
	//        B 03:20 → 04:00 = 2400 s: 4080 s. On call 48 h = 172800 s.
	type load struct {
		who, tz                      string
		business, off, sleep, outBiz int64
		nights, acked                int64
		engaged, oncall              float64
	}
	wantLoad := []load{
		{who: "PANA", tz: "Europe/Berlin", business: 1, sleep: 1, nights: 1, acked: 1, oncall: 489600},
		{who: "PBEN", tz: "America/New_York", business: 2, sleep: 1, outBiz: 2, nights: 1, acked: 2, engaged: 4080, oncall: 172800},
	}
	var gotLoad []load
	for _, r := range snap.Responders {
		if r.Team != "Payments" {
			t.Errorf("responder %s in team %q, want Payments", r.Responder, r.Team)
		}
		gotLoad = append(gotLoad, load{who: r.Responder, tz: r.Timezone, business: r.Interruptions.Business, off: r.Interruptions.OffHours,
			sleep: r.Interruptions.Sleep, outBiz: r.InterruptionsOutsideShifts.Business, nights: r.NightsInterrupted,
			acked: r.IncidentsAcknowledged, engaged: r.EngagedSeconds, oncall: r.OnCallSeconds})
	}
	if !reflect.DeepEqual(gotLoad, wantLoad) {
		t.Errorf("on-call load:\n got %+v\nwant %+v", gotLoad, wantLoad)
	}

	// A re-import reads C (pending) and the window after the cursor (none
	// here): nothing new is stored.
	again, err := pagerduty.Import(ctx, s, o)
	if err != nil || again.Stored != 0 || again.Windows != 0 || again.Items["incidents"] != 1 {
		t.Errorf("re-import: stored %d, %d windows, %d incidents read, %v; want 0, 0, 1 (C)", again.Stored, again.Windows, again.Items["incidents"], err)
	}
	// Started over from scratch (a new store) over the same range: the same.
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != sum.Stored {
		t.Errorf("%d events stored, the import said %d (%v)", n, sum.Stored, err)
	}
}

// TestImportUnauthorized: a 401 ends the run with an error naming the token
// file (never the token), and nothing is stored.
func TestImportUnauthorized(t *testing.T) {
	f := history(t)
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "p.duckdb"))
	o := options(srv.URL)
	o.Token = "u+WRONG"
	sum, err := pagerduty.Import(context.Background(), s, o)
	if !errors.Is(err, importers.ErrUnauthorized) || !strings.Contains(err.Error(), o.TokenFile) || strings.Contains(err.Error(), "WRONG") {
		t.Fatalf("err = %v, want ErrUnauthorized naming %s and not the token", err, o.TokenFile)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM import_state)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows stored after a 401 (%v)", n, err)
	}
	if sum.Stored != 0 {
		t.Errorf("summary says %d stored", sum.Stored)
	}
}

// TestImportBadShapes: an incident, a log entry and an on-call entry of the
// wrong shape are each reported with their id and dead-lettered; a page
// that is not the documented shape leaves its window incomplete (the cursor
// stops before it, the next run reads it again) while the other windows
// are stored.
func TestImportBadShapes(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	f.incidents = append(f.incidents, obj{"id": "PBAD1", "created_at": 12345, "title": []int{1}})
	f.logs["PINCA"] = append(f.logs["PINCA"], obj{"id": "RBAD", "type": "notify_log_entry", "created_at": "yesterday"})
	f.logs["PINCB"] = append(f.logs["PINCB"], obj{"id": "RBAD2", "type": 7, "created_at": "2026-03-05T04:02:00Z"})
	f.oncalls = append(f.oncalls, obj{"user": "nobody", "start": "2026-03-07T00:00:00Z"})
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "p.duckdb"))
	o := options(srv.URL)
	sum, err := pagerduty.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	ids := map[string]string{}
	for _, p := range sum.Problems {
		ids[p.ID] = p.Reason
	}
	want := map[string]string{"PBAD1": "wrong_type", "RBAD": "bad_time", "RBAD2": "wrong_type", "": "wrong_type", "RB8": "unknown_type"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("problems %v, want %v", ids, want)
	}
	if sum.DeadLettered != len(want) {
		t.Errorf("%d dead letters, want %d", sum.DeadLettered, len(want))
	}
	// Again: the dead letters are not written twice.
	again, err := pagerduty.Import(ctx, s, o)
	if err != nil || again.DeadLettered != 0 {
		t.Errorf("second run wrote %d dead letters (%v)", again.DeadLettered, err)
	}
}

// TestImportBadPage: a page of the wrong shape makes its window incomplete.
func TestImportBadPage(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	// The incidents of the second window (03-03..03-05) answer garbage once.
	f.script["/incidents"] = nil
	bad := true
	f.hook = func(r *http.Request) {
		if r.URL.Path == "/incidents" && strings.HasPrefix(r.URL.Query().Get("since"), "2026-03-02T23:59:59") && bad {
			bad = false
			f.mu.Lock()
			f.script["/incidents"] = []scripted{{200, nil, `{"incidents": {"not": "a list"}, "more": false}`}}
			f.mu.Unlock()
		}
	}
	s := openStore(t, filepath.Join(t.TempDir(), "p.duckdb"))
	sum, err := pagerduty.Import(ctx, s, options(srv.URL))
	if err == nil || sum.WindowsDone != 4 || !sum.Cursor.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("err %v, %d windows done, cursor %s; want an error, 4, 03-03", err, sum.WindowsDone, sum.Cursor)
	}
	// The next run reads from 03-03 again and completes.
	sum2, err := pagerduty.Import(ctx, s, options(srv.URL))
	if err != nil || !sum2.Cursor.Equal(now) || sum2.Windows != 4 {
		t.Fatalf("second run: %v, cursor %s, %d windows; want none, %s, 4", err, sum2.Cursor, sum2.Windows, now)
	}
	clean := openStore(t, filepath.Join(t.TempDir(), "clean.duckdb"))
	if _, err := pagerduty.Import(ctx, clean, options(history(t).start().URL)); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, s), dump(t, clean); !reflect.DeepEqual(a, b) {
		t.Errorf("after a bad page and a rerun the store differs from a clean run:\n%v\n%v", a, b)
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
// PAGERLENS_TEST_PD_CHILD set it imports into that store from that server.
func TestMain(m *testing.M) {
	if db := os.Getenv("PAGERLENS_TEST_PD_CHILD"); db != "" {
		s, err := store.Open(context.Background(), db, store.DefaultOptions())
		if err != nil {
			os.Exit(3)
		}
		if _, err := pagerduty.Import(context.Background(), s, options(os.Getenv("PAGERLENS_TEST_PD_URL"))); err != nil {
			os.Exit(4)
		}
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestImportKilled: a child process importing is killed (SIGKILL) while it
// reads the fourth window; a rerun in this process then completes, and the
// store holds exactly what a clean run stores: nothing lost, nothing twice.
func TestImportKilled(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	reached := make(chan struct{})
	release := make(chan struct{})
	var once bool
	f.hook = func(r *http.Request) {
		if r.URL.Path == "/incidents" && strings.HasPrefix(r.URL.Query().Get("since"), "2026-03-06T23:59:59") && !once {
			once = true
			close(reached)
			<-release
		}
	}
	srv := f.start()
	defer close(release)
	db := filepath.Join(t.TempDir(), "killed.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PAGERLENS_TEST_PD_CHILD="+db, "PAGERLENS_TEST_PD_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reached the fourth window")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code runs
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s := openStore(t, db)
	st, ok, err := s.ImportState(ctx, pagerduty.Source)
	if err != nil || !ok || !st.Cursor.Equal(time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the kill: state %+v ok=%v err=%v, want cursor 03-07 (three windows committed)", st, ok, err)
	}
	sum, err := pagerduty.Import(ctx, s, options(srv.URL))
	if err != nil || sum.Windows != 2 {
		t.Fatalf("rerun: %v, %d windows; want 2 (03-07..03-10)", err, sum.Windows)
	}
	clean := openStore(t, filepath.Join(t.TempDir(), "clean.duckdb"))
	if _, err := pagerduty.Import(ctx, clean, options(history(t).start().URL)); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, s), dump(t, clean); !reflect.DeepEqual(a, b) {
		t.Errorf("killed and rerun differs from a clean run:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	_ = decode.PagerDuty
}
