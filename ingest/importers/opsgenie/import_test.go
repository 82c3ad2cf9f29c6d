package opsgenie_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/opsgenie"
	"github.com/pagerlens/pagerlens/store"
)

const key = "eb243592-faa2-4ba2-a551-TESTKEY"

// now ends the import and the analytics windows: Tuesday 2026-03-10 00:00 UTC.
var now = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// mappings name team t-pay "payments" (Opsgenie gives team ids: the
// configuration's team_map names them, docs/sources.md).
func mappings() decode.Mappings {
	var m decode.Mappings
	m.Opsgenie = decode.Mapping{TeamMap: map[string]string{"t-pay": "payments"}}
	return m
}

// alert is an Alert as GET /v2/alerts/{id} answers it (the API
// reference's sample: id, tinyId, alias, message, status, acknowledged,
// tags, count, createdAt, updatedAt, source, owner, priority, responders,
// integration, report, actions, entity, description, details).
func alert(id, created, status, priority string, report obj) obj {
	o := obj{"id": id, "tinyId": "17", "alias": "checkout:" + id, "message": "Checkout " + id, "status": status,
		"acknowledged": report["acknowledgedBy"] != nil, "isSeen": true, "tags": []string{"prod"}, "snoozed": false,
		"count": 1, "lastOccurredAt": created, "createdAt": created, "updatedAt": created, "source": "prometheus",
		"owner": "", "priority": priority,
		"responders":  []obj{{"id": "t-pay", "type": "team"}, {"id": "esc-1", "type": "escalation"}},
		"integration": obj{"id": "int-1", "name": "Prometheus", "type": "Prometheus"},
		"actions":     []string{"Restart"}, "entity": "checkout-api", "description": "p99 above 2s",
		"details": obj{"region": "eu"}}
	if report != nil {
		o["report"] = report
	}
	return o
}

func rcpt(id, username, state, method, created string) obj {
	return obj{"user": obj{"id": id, "username": username}, "state": state, "method": method,
		"createdAt": created, "updatedAt": created}
}

func period(start, end, typ string, recipient obj) obj {
	return obj{"startDate": start, "endDate": end, "type": typ, "recipient": recipient}
}

var (
	ana = obj{"id": "u-ana", "type": "user", "name": "ana@example.com"}
	ben = obj{"id": "u-ben", "type": "user", "name": "ben@example.com"}
)

// history is the hand-worked account. Ana is in Berlin (CET, UTC+1 all
// through; EU summer time starts 2026-03-29), Ben in New York (EST, UTC−5,
// until US summer time on Sunday 2026-03-08, EDT, UTC−4, after). 2026-03-02
// and 2026-03-09 are Mondays. Times in milliseconds as Opsgenie gives them;
// the events keep whole seconds (decode.OpsgenieID).
//
// On call (schedule Payments Primary, owner team t-pay → payments):
//
//	Ana 03-02 08:00 → 03-04 08:00   48 h
//	Ben 03-04 08:00 → 03-06 08:00   48 h
//	Ana 03-06 08:00 → 03-13 08:00   runs past now: 03-06 08:00 → 03-10 00:00 = 88 h
//	(a period with recipient type none 03-01 00:00 → 03-02 08:00: no one, skipped)
//
// Alerts (team t-pay → payments, entity checkout-api):
//
//	A  P1 → SEV1. Created 03-02 22:00:00.412. Recipients: Ana at 22:00:00.5
//	   (took an action: a note), Carl at 22:00:00.5 notactive (not
//	   notified: skipped), Ben at 22:10:02.1 (acknowledged). report:
//	   ackTime 720228 ms → 22:12:00.640, closeTime 2399639 ms →
//	   22:40:00.051, both by ben@example.com.
//	B  P2 → SEV2. Created 03-05 03:00:00.000; Ben at 03:00:10; acked by Ben
//	   1200000 ms → 03:20:00, closed by Ben 3600000 ms → 04:00:00.
//	C  P3 → SEV3. Created 03-09 14:00:00.000; Ana at 14:00:03; acked by Ana
//	   1800000 ms → 14:30:00; still open (read again on the next run).
//	D  P2 → SEV2. Created 03-09 12:30:00.000; Ben at 12:30:05; closed by
//	   System (no one) 900000 ms → 12:45:00, never acked.
//	E  created 02-28 (before since): never listed.
func history(t testing.TB) *fakeOG {
	f := &fakeOG{t: t, key: key, readOnly: "READONLY", pageMax: 2, recipient: map[string][]obj{},
		periods: map[string][]obj{}, script: map[string][]scripted{}}
	f.users = []obj{
		{"id": "u-ana", "username": "ana@example.com", "fullName": "Ana Ruiz", "role": obj{"id": "User", "name": "User"},
			"blocked": false, "verified": true, "timeZone": "Europe/Berlin", "locale": "en_US", "createdAt": "2025-01-01T00:00:00.000Z"},
		{"id": "u-ben", "username": "ben@example.com", "fullName": "Ben Ode", "role": obj{"id": "User", "name": "User"},
			"blocked": false, "verified": true, "timeZone": "America/New_York", "locale": "en_US", "createdAt": "2025-01-01T00:00:00.000Z"},
		{"id": "u-carl", "username": "carl@example.com", "fullName": "Carl Ek", "timeZone": "Europe/Stockholm"},
	}
	f.schedules = []obj{{"id": "s-pay", "name": "Payments Primary", "description": "", "timezone": "Europe/Berlin",
		"enabled": true, "ownerTeam": obj{"id": "t-pay", "name": "Payments"}, "rotations": []obj{}}}
	f.periods["s-pay"] = []obj{{"id": "rot-1", "name": "weekly", "periods": []obj{
		period("2026-03-01T00:00:00Z", "2026-03-02T08:00:00Z", "historical", obj{"type": "none"}),
		period("2026-03-02T08:00:00Z", "2026-03-04T08:00:00Z", "historical", ana),
		period("2026-03-04T08:00:00Z", "2026-03-06T08:00:00Z", "historical", ben),
		period("2026-03-06T08:00:00Z", "2026-03-13T08:00:00Z", "default", ana),
	}}}
	f.alerts = []obj{
		alert("alert-e", "2026-02-28T09:00:00.000Z", "closed", "P4", obj{"closeTime": 60000, "closedBy": "System"}),
		alert("alert-a", "2026-03-02T22:00:00.412Z", "closed", "P1",
			obj{"ackTime": 720228, "closeTime": 2399639, "acknowledgedBy": "ben@example.com", "closedBy": "ben@example.com"}),
		alert("alert-b", "2026-03-05T03:00:00.000Z", "closed", "P2",
			obj{"ackTime": 1200000, "closeTime": 3600000, "acknowledgedBy": "ben@example.com", "closedBy": "ben@example.com"}),
		alert("alert-d", "2026-03-09T12:30:00.000Z", "closed", "P2", obj{"closeTime": 900000, "closedBy": "System"}),
		alert("alert-c", "2026-03-09T14:00:00.000Z", "open", "P3", obj{"ackTime": 1800000, "acknowledgedBy": "ana@example.com"}),
	}
	f.recipient["alert-a"] = []obj{
		rcpt("u-ana", "ana@example.com", "action", "AddNote", "2026-03-02T22:00:00.5Z"),
		rcpt("u-carl", "carl@example.com", "notactive", "", "2026-03-02T22:00:00.5Z"),
		rcpt("u-ben", "ben@example.com", "action", "Acknowledge", "2026-03-02T22:10:02.1Z"),
	}
	f.recipient["alert-b"] = []obj{rcpt("u-ben", "ben@example.com", "action", "Acknowledge", "2026-03-05T03:00:10Z")}
	f.recipient["alert-c"] = []obj{rcpt("u-ana", "ana@example.com", "action", "Acknowledge", "2026-03-09T14:00:03Z")}
	f.recipient["alert-d"] = []obj{rcpt("u-ben", "ben@example.com", "action", "AddNote", "2026-03-09T12:30:05Z")}
	return f
}

// options imports [03-01, now) in windows of two days, asking 3 items a
// page against a cap of 6 (the server answers at most 2: short pages).
func options(url string) opsgenie.Options {
	return opsgenie.Options{
		APIURL: url, Token: key, TokenFile: "/etc/pagerlens/opsgenie.key",
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: now,
		Mappings: mappings(), Window: 48 * time.Hour, PageLimit: 3, OffsetCap: 6,
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
	// The first /v2/users answer is Opsgenie's 429 (no Retry-After; the
	// period whose limit was passed, 1 s), the first /v2/schedules a 503:
	// both are retried and the import goes on.
	f.script["/v2/users"] = []scripted{{429, map[string]string{"X-RateLimit-State": "THROTTLED", "X-RateLimit-Reason": "ACCOUNT",
		"X-RateLimit-Period-In-Sec": "1"}, `{"message":"TooManyRequests","took":0.001,"requestId":"rId"}`}}
	f.script["/v2/schedules"] = []scripted{{503, nil, `{"message":"Service Unavailable","took":0.0,"requestId":"rId2"}`}}
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "og.duckdb"))
	var windows int
	o := options(srv.URL)
	o.Observer = importers.ObserverFunc(func(p importers.Progress) { windows = p.WindowsDone })
	start := time.Now()
	sum, err := opsgenie.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, sum)
	}
	if time.Since(start) < time.Second {
		t.Errorf("the import did not wait the 1 s period X-RateLimit-Period-In-Sec named")
	}
	t.Log(sum)
	// 5 windows of 2 days (the last one: 03-09..03-10). Events: A 6
	// (triggered, acknowledged, resolved: alert.* and incident.* each) + 2
	// pages, B 6 + 1, C 4 (no close) + 1, D 4 (no ack) + 1; shifts: 3
	// starts and 2 ends, plus the cut starts of the shifts running across
	// a window's start (03-03 Ana, 03-05 Ben, 03-07 and 03-09 Ana): 25 + 9.
	if sum.Windows != 5 || sum.WindowsDone != 5 || windows != 5 {
		t.Errorf("windows %d/%d (observer %d), want 5/5", sum.WindowsDone, sum.Windows, windows)
	}
	if sum.Events != 34 || sum.Stored != 34 {
		t.Errorf("%d events, %d stored; want 34", sum.Events, sum.Stored)
	}
	if sum.ProblemCount != 0 || sum.DeadLettered != 0 {
		t.Errorf("problems %v (%d dead letters), want none", sum.Problems, sum.DeadLettered)
	}
	// Carl's notactive recipient and the period for no one, in each of the
	// two windows it touches (03-01..03-03: one; it ends 03-02).
	if sum.Skipped != 2 {
		t.Errorf("skipped %d, want 2", sum.Skipped)
	}
	if sum.Pending != 1 || !sum.Cursor.Equal(now) {
		t.Errorf("cursor %s, %d pending; want %s and 1 (C)", sum.Cursor, sum.Pending, now)
	}
	if sum.Retries < 2 {
		t.Errorf("%d retries, want the 429 and the 503", sum.Retries)
	}
	if sum.Items["alerts"] != 4 || sum.Items["users"] != 3 || sum.Items["recipients"] != 6 {
		t.Errorf("items %v, want 4 alerts, 3 users, 6 recipients", sum.Items)
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
	// MTTA and MTTR by severity, by hand, in the whole seconds stored:
	//   SEV1 (A): triggered 22:00:00 (.412 dropped), acked 22:12:00 (.640)
	//        = 720 s; resolved 22:40:00 (.051) = 2400 s.
	//   SEV2 (B, D): B ack 03:00 → 03:20 = 1200 s, resolve → 04:00 = 3600 s;
	//        D never acked, closed by System 12:30 → 12:45 = 900 s
	//        (auto-resolved). MTTA 1200 s (one sample), MTTR (3600 + 900) / 2
	//        = 2250 s.
	//   SEV3 (C): ack 14:00 → 14:30 = 1800 s; open.
	// Opsgenie's report has no escalations: none is counted.
	want := []inc{
		{sev: "SEV1", count: 1, ackN: 1, ackMean: 720, resolveN: 1, resolveMean: 2400},
		{sev: "SEV2", count: 2, auto: 1, ackN: 1, ackMean: 1200, resolveN: 2, resolveMean: 2250},
		{sev: "SEV3", count: 1, open: 1, ackN: 1, ackMean: 1800},
	}
	var got []inc
	for _, r := range snap.Incidents {
		if r.Team != "payments" || r.Service != "checkout-api" {
			t.Errorf("incident row of team %q service %q, want payments, checkout-api (entity from GET /v2/alerts/{id})", r.Team, r.Service)
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

	// On-call load, fold 2 min, each page in its responder's own zone (the
	// users' timeZone from /v2/users):
	//   Ana: A 22:00:00Z = Mon 23:00 Berlin → sleep, night of 03-02, inside
	//        her shift; C 14:00:03Z = Mon 15:00 Berlin → business, inside her
	//        shift. Acked C. On call 48 h + 88 h = 136 h = 489600 s.
	//   Ben: A 22:10:02Z = Mon 17:10 EST → business, outside his shift;
	//        B 03:00:10Z on 03-05 = Wed 03-04 22:00 EST → sleep, night of
	//        03-04, inside his shift; D 12:30:05Z on 03-09 = Mon 08:30 EDT
	//        (summer time since 03-08; in EST it would be 07:30, off hours)
	//        → business, outside. Acked A and B. Engaged: A 22:12 → 22:40 =
	//        1680 s, B 03:20 → 04:00 = 2400 s: 4080 s. On call 48 h = 172800 s.
	//   Carl: not notified (notactive), never on call: no row.
	type load struct {
		who, tz                      string
		business, off, sleep, outBiz int64
		nights, acked                int64
		engaged, oncall              float64
	}
	wantLoad := []load{
		{who: "ana@example.com", tz: "Europe/Berlin", business: 1, sleep: 1, nights: 1, acked: 1, oncall: 489600},
		{who: "ben@example.com", tz: "America/New_York", business: 2, sleep: 1, outBiz: 2, nights: 1, acked: 2, engaged: 4080, oncall: 172800},
	}
	var gotLoad []load
	for _, r := range snap.Responders {
		if r.Team != "payments" {
			t.Errorf("responder %s in team %q, want payments", r.Responder, r.Team)
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
	again, err := opsgenie.Import(ctx, s, o)
	if err != nil || again.Stored != 0 || again.Windows != 0 || again.Items["alerts"] != 1 {
		t.Errorf("re-import: stored %d, %d windows, %d alerts read, %v; want 0, 0, 1 (C)", again.Stored, again.Windows, again.Items["alerts"], err)
	}
	// C closed since: the next run stores its close and drops it from the
	// pending list.
	for _, a := range f.alerts {
		if a["id"] == "alert-c" {
			a["status"] = "closed"
			a["report"] = obj{"ackTime": 1800000, "acknowledgedBy": "ana@example.com", "closeTime": 2700000, "closedBy": "ana@example.com"}
		}
	}
	closed, err := opsgenie.Import(ctx, s, o)
	if err != nil || closed.Stored != 2 || closed.Pending != 0 {
		t.Errorf("after C closed: stored %d, %d pending, %v; want 2 (alert.resolved, incident.resolved), 0", closed.Stored, closed.Pending, err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != sum.Stored+2 {
		t.Errorf("%d events stored, the imports said %d (%v)", n, sum.Stored+2, err)
	}
	// No request asked for another host's next link, and each alert was
	// read whole (GET /v2/alerts/{id}) once per run.
	f.mu.Lock()
	defer f.mu.Unlock()
	gets := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, "/v2/alerts/alert-a?") {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("alert A read %d times, want once", gets)
	}
}

// TestImportRefusedKey: a 401 (invalid key) or 403 (a key without the
// right) ends the run with an error naming the token file (never the key),
// and nothing is stored.
func TestImportRefusedKey(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		code      string
	}{
		{"invalid key", "WRONGKEY", "401"},
		{"key without the right", "READONLY", "403"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := history(t).start()
			s := openStore(t, filepath.Join(t.TempDir(), "og.duckdb"))
			o := options(srv.URL)
			o.Token = tt.key
			sum, err := opsgenie.Import(context.Background(), s, o)
			if !errors.Is(err, importers.ErrUnauthorized) || !strings.Contains(err.Error(), o.TokenFile) ||
				strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("err = %v, want ErrUnauthorized with %s naming %s and not the key", err, tt.code, o.TokenFile)
			}
			var n int
			if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM import_state)`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d rows stored after a %s (%v)", n, tt.code, err)
			}
			if sum.Stored != 0 {
				t.Errorf("summary says %d stored", sum.Stored)
			}
		})
	}
}

// TestImportRateLimitedForever: a vendor that answers 429 to every request
// is waited on a bounded number of times, then the run ends with the 429,
// having stored nothing.
func TestImportRateLimitedForever(t *testing.T) {
	f := history(t)
	var limited []scripted
	for range 10 {
		limited = append(limited, scripted{429, map[string]string{"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "0"},
			`{"message":"TooManyRequests","took":0.001,"requestId":"rId"}`})
	}
	f.script["/v2/users"] = limited
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "og.duckdb"))
	o := options(srv.URL)
	o.Retry.MaxRateLimited = 3
	sum, err := opsgenie.Import(context.Background(), s, o)
	var se *importers.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests || sum.Retries != 3 || sum.Requests != 4 {
		t.Fatalf("err %v, %d requests, %d retries; want the 429 after 4 requests, 3 retries", err, sum.Requests, sum.Retries)
	}
}

// TestImportBadShapes: an alert, a recipient and a timeline period of the
// wrong shape, and a closed alert without its close, are each reported
// with their id and dead-lettered, and the rest is stored; a page that is
// not the documented shape leaves its window incomplete.
func TestImportBadShapes(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	f.alerts = append(f.alerts,
		obj{"id": "alert-bad1", "createdAt": 12345, "message": []int{1}},
		alert("alert-bad2", "2026-03-07T10:00:00.000Z", "closed", "P3", nil))
	f.recipient["alert-b"] = append(f.recipient["alert-b"], rcpt("u-ana", "ana@example.com", "action", "", "yesterday"))
	rot := f.periods["s-pay"][0]
	rot["periods"] = append(rot["periods"].([]obj), period("soon", "later", "default", ben))
	srv := f.start()
	s := openStore(t, filepath.Join(t.TempDir(), "og.duckdb"))
	o := options(srv.URL)
	sum, err := opsgenie.Import(ctx, s, o)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	ids := map[string]string{}
	for _, p := range sum.Problems {
		ids[p.Kind+" "+p.ID] = p.Reason
	}
	want := map[string]string{
		"alert alert-bad1":         "wrong_type",
		"alert alert-bad2":         "missing_field",
		"recipient alert-b/u-ana":  "bad_time",
		"period s-pay/rot-1/u-ben": "bad_time",
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("problems %v, want %v", ids, want)
	}
	if sum.DeadLettered != len(want) {
		t.Errorf("%d dead letters, want %d", sum.DeadLettered, len(want))
	}
	// The good history is all there: bad2's trigger too (4 events).
	if sum.Stored != 34+2 {
		t.Errorf("stored %d, want 36 (the history and bad2's triggers)", sum.Stored)
	}
	again, err := opsgenie.Import(ctx, s, o)
	if err != nil || again.DeadLettered != 0 {
		t.Errorf("second run wrote %d dead letters (%v)", again.DeadLettered, err)
	}
}

// TestImportBadPage: an alerts page of the wrong shape makes its window
// incomplete; the next run reads it again and the store ends as a clean
// run's.
func TestImportBadPage(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	bad := true
	f.hook = func(r *http.Request) {
		// The second window (03-03..03-05) answers garbage once.
		if r.URL.Path == "/v2/alerts" && strings.HasPrefix(r.URL.Query().Get("query"), "createdAt > 1772495999999 ") && bad {
			bad = false
			f.mu.Lock()
			f.script["/v2/alerts"] = []scripted{{200, nil, `{"data": {"not": "a list"}, "took": 0.1, "requestId": "x"}`}}
			f.mu.Unlock()
		}
	}
	s := openStore(t, filepath.Join(t.TempDir(), "og.duckdb"))
	sum, err := opsgenie.Import(ctx, s, options(srv.URL))
	if err == nil || sum.WindowsDone != 4 || !sum.Cursor.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("err %v, %d windows done, cursor %s; want an error, 4, 03-03", err, sum.WindowsDone, sum.Cursor)
	}
	sum2, err := opsgenie.Import(ctx, s, options(srv.URL))
	if err != nil || !sum2.Cursor.Equal(now) || sum2.Windows != 4 {
		t.Fatalf("second run: %v, cursor %s, %d windows; want none, %s, 4", err, sum2.Cursor, sum2.Windows, now)
	}
	clean := openStore(t, filepath.Join(t.TempDir(), "clean.duckdb"))
	if _, err := opsgenie.Import(ctx, clean, options(history(t).start().URL)); err != nil {
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
