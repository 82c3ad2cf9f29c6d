package oncall_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers/oncall"
	"github.com/pagerlens/pagerlens/store"
)

// delivery is one OnCall outgoing webhook ("forward all") and when it
// arrived.
type delivery struct {
	body []byte
	at   time.Time
}

// webhook builds an OnCall outgoing webhook body as serialize_event makes
// it (engine/apps/webhooks/utils.py; event from _build_payload in
// tasks/trigger_webhook.py) with the labels feature on: the alert group as
// the public API serializes it, but its labels as an object
// (get_alert_group_labels_dict), the first alert's payload, the
// integration with its team's name, the users notified so far. evTime is
// Python's isoformat of the group's time ("+00:00"), or nil for the types
// that carry none.
func webhook(t testing.TB, f *fakeOnCall, groupID, evType string, evTime any, by obj, notified []obj, labels obj) []byte {
	t.Helper()
	var g obj
	for _, x := range f.groups {
		if x["id"] == groupID {
			g = f.enrich(x)
		}
	}
	g["labels"] = labels
	ev := obj{"type": evType}
	if evTime != nil {
		ev["time"] = evTime
	}
	in := f.integrations[0]
	if g["integration_id"] == "CDP1" {
		in = f.integrations[1]
	}
	body := obj{
		"event": ev, "user": by, "alert_group": g, "alert_group_id": groupID,
		"alert_payload":  f.alerts[groupID][0]["payload"],
		"integration":    obj{"id": in["id"], "type": in["type"], "name": in["name"], "team": "Payments", "labels": obj{}},
		"notified_users": notified, "users_to_be_notified": []obj{},
		"alert_group_acknowledged_by": nil, "alert_group_resolved_by": nil,
		"webhook": obj{"id": "WHPL1", "name": "pagerlens", "labels": obj{}},
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	whAna = obj{"id": "U4NA", "username": "ana", "email": "ana@example.com"}
	whBen = obj{"id": "UB3N", "username": "ben", "email": "ben@example.com"}
)

// webhooksOfAC are A's and C's webhooks in the golden history: A created
// (no one notified yet), acknowledged by Ben with Ana and Ben notified
// (Ana paged, then Ben by escalation), resolved by Ben; C acknowledged by
// Ana, who was notified.
func webhooksOfAC(t testing.TB, f *fakeOnCall) []delivery {
	sevCrit, sevWarn := obj{"severity": "critical"}, obj{"severity": "warning"}
	return []delivery{
		{webhook(t, f, "IA1", "alert group created", "2026-03-02T22:00:00.250000+00:00", nil, []obj{}, sevCrit), at("2026-03-02T22:00:01Z")},
		{webhook(t, f, "IA1", "acknowledge", "2026-03-02T22:12:00.250000+00:00", whBen, []obj{whAna, whBen}, sevCrit), at("2026-03-02T22:12:01Z")},
		{webhook(t, f, "IA1", "resolve", "2026-03-02T22:40:00.250000+00:00", whBen, []obj{whAna, whBen}, sevCrit), at("2026-03-02T22:40:01Z")},
		{webhook(t, f, "IC3", "acknowledge", "2026-03-09T14:30:00+00:00", whAna, []obj{whAna}, sevWarn), at("2026-03-09T14:30:01Z")},
	}
}

// deliver decodes the webhooks with the real decoder and stores them as the
// webhook intake does (the delivery's arrival as the message time); it
// returns how many events were new.
func deliver(t testing.TB, s *store.Store, ds []delivery) int {
	t.Helper()
	d, err := decode.New(decode.OnCall, decode.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	for _, x := range ds {
		evs, err := d.Decode(decode.Message{Value: x.body, Time: x.at})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			rows = append(rows, store.Row{Event: e, Topic: "webhook/oncall"})
		}
	}
	res, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	return res.Stored
}

func ids(t testing.TB, s *store.Store) []string {
	var out []string
	rows, err := s.DB().Query(`SELECT id FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// TestStoredOnceEitherWay: A's trigger, ack and resolve and C's trigger and
// ack arrive by webhook and by import, in both orders; each is stored once,
// both stores hold the same ids, and the import's events are the decoder's,
// field for field. The webhooks also carry pages, which the public API
// does not list: they are the only interruptions.
func TestStoredOnceEitherWay(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	hooks := webhooksOfAC(t, f)

	// Webhooks first: A 3 incident events + 2 pages (Ana, Ben; the resolve
	// lists them again: same ids); C 1 ack (its created webhook is not
	// configured here) + 1 page (Ana on C).
	first := openStore(t, filepath.Join(t.TempDir(), "webhook-first.duckdb"))
	if n := deliver(t, first, hooks); n != 7 {
		t.Fatalf("webhooks stored %d, want 7", n)
	}
	sum, err := oncall.Import(ctx, first, options(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	// A's trigger, ack, resolve and C's ack were stored by webhook.
	if sum.Duplicates != 4 || sum.Stored != 17-4 {
		t.Errorf("import after webhooks: %d new, %d already stored; want 13 and 4", sum.Stored, sum.Duplicates)
	}

	// The import first, then the webhooks: only the pages are new.
	second := openStore(t, filepath.Join(t.TempDir(), "import-first.duckdb"))
	if _, err := oncall.Import(ctx, second, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if n := deliver(t, second, hooks); n != 3 {
		t.Errorf("webhooks after the import stored %d new events, want 3 (the pages)", n)
	}
	if n := deliver(t, first, hooks); n != 0 {
		t.Errorf("redelivered webhooks stored %d, want 0", n)
	}
	if a, b := ids(t, first), ids(t, second); !reflect.DeepEqual(a, b) {
		t.Errorf("webhook-first and import-first stores differ:\n%v\n%v", a, b)
	}
	if a, b := dump(t, first), dump(t, second); !reflect.DeepEqual(a, b) {
		t.Errorf("webhook-first and import-first events differ:\n%v\n%v", a, b)
	}

	// The same figures either way, and the pages' interruptions on top of
	// the import's: Ana's A page at 22:12:00.25Z (the first webhook that
	// lists her: 23:12 in Berlin, sleep) and C page at 14:30Z (15:30,
	// business); Ben's A page 17:12 in New York (business, outside his
	// shift). The rest as in TestImportGolden.
	snap := compute(t, first)
	wantLoad := []load{
		{who: "U4NA", team: "Payments", tz: "Europe/Berlin", interruptions: 2, acked: 1, oncall: 489600},
		{who: "UB3N", team: "Payments", tz: "America/New_York", interruptions: 1, acked: 2, engaged: 4080, oncall: 172800},
	}
	if got := loads(snap); !reflect.DeepEqual(got, wantLoad) {
		t.Errorf("on-call load with webhooks:\n got %+v\nwant %+v", got, wantLoad)
	}
	only := openStore(t, filepath.Join(t.TempDir(), "import-only.duckdb"))
	if _, err := oncall.Import(ctx, only, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if a, b := incidentRows(t, compute(t, only)), incidentRows(t, snap); !reflect.DeepEqual(a, b) {
		t.Errorf("incident figures, import only vs with webhooks:\n%+v\n%+v", a, b)
	}

	// Field for field: every incident event the webhooks made is in the
	// import-only store as it is.
	d, _ := decode.New(decode.OnCall, decode.DefaultOptions())
	stored := map[string]string{}
	for _, line := range dump(t, only) {
		stored[line[:len("oncall-")+32]] = line
	}
	webhookOnly := openStore(t, filepath.Join(t.TempDir(), "webhook-only.duckdb"))
	deliver(t, webhookOnly, hooks)
	for _, line := range dump(t, webhookOnly) {
		id := line[:len("oncall-")+32]
		if got, ok := stored[id]; ok && got != line {
			t.Errorf("event %s:\n import  %s\n webhook %s", id, got, line)
		}
	}
	n := 0
	for _, x := range hooks {
		evs, _ := d.Decode(decode.Message{Value: x.body, Time: x.at})
		for _, e := range evs {
			if e.Type != event.PageNotified {
				n++
				if _, ok := stored[e.ID]; !ok {
					t.Errorf("the webhook's %s %s (%s) was not imported", e.Type, e.Data.IncidentID, e.ID)
				}
			}
		}
	}
	if n != 4 {
		t.Errorf("%d incident events from the webhooks, want 4", n)
	}
}

// TestReopenKnownByWebhookOnly: A is resolved at 22:30, reopened (an
// unresolve: it carries no time, the delivery's is used, and OnCall
// clears the acknowledgement with it), acknowledged again at 22:36 and
// resolved at 22:40. The alert group keeps only the last ack and resolve,
// so the import alone sees an ack at 22:36 (MTTA 2160 s); with the
// webhooks, the first ack at 22:12 (720 s). Both ways the last resolve is
// 22:40 (MTTR 2400 s), and the import stores nothing the webhooks stored.
func TestReopenKnownByWebhookOnly(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	set(f.groups[0], "acknowledged_at", "2026-03-02T22:36:00.250000Z")
	srv := f.start()
	crit := obj{"severity": "critical"}
	hooks := []delivery{
		{webhook(t, f, "IA1", "alert group created", "2026-03-02T22:00:00.250000+00:00", nil, []obj{}, crit), at("2026-03-02T22:00:01Z")},
		{webhook(t, f, "IA1", "acknowledge", "2026-03-02T22:12:00.250000+00:00", whBen, []obj{whBen}, crit), at("2026-03-02T22:12:01Z")},
		{webhook(t, f, "IA1", "resolve", "2026-03-02T22:30:00.250000+00:00", whBen, []obj{whBen}, crit), at("2026-03-02T22:30:01Z")},
		{webhook(t, f, "IA1", "unresolve", nil, whBen, []obj{whBen}, crit), at("2026-03-02T22:35:01Z")},
		{webhook(t, f, "IA1", "acknowledge", "2026-03-02T22:36:00.250000+00:00", whBen, []obj{whBen}, crit), at("2026-03-02T22:36:01Z")},
		{webhook(t, f, "IA1", "resolve", "2026-03-02T22:40:00.250000+00:00", whBen, []obj{whBen}, crit), at("2026-03-02T22:40:01Z")},
	}
	both := openStore(t, filepath.Join(t.TempDir(), "both.duckdb"))
	if n := deliver(t, both, hooks); n != 7 { // 6 incident events and Ben's page
		t.Fatalf("webhooks stored %d, want 7", n)
	}
	sum, err := oncall.Import(ctx, both, options(srv.URL))
	if err != nil || sum.Duplicates != 3 {
		t.Fatalf("import after webhooks: %d already stored (%v), want 3 (A's trigger, second ack, last resolve)", sum.Duplicates, err)
	}
	only := openStore(t, filepath.Join(t.TempDir(), "only.duckdb"))
	if _, err := oncall.Import(ctx, only, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s       *store.Store
		ackMean float64
	}{{only, 2160}, {both, 720}} {
		a := incidentRows(t, compute(t, c.s))["checkout-api/SEV1"]
		if a.ackMean != c.ackMean || a.resolveMean != 2400 || a.resolveN != 1 {
			t.Errorf("A: MTTA %v, MTTR %v (%d); want %v, 2400 (1)", a.ackMean, a.resolveMean, a.resolveN, c.ackMean)
		}
	}
}
