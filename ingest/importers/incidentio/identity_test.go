package incidentio_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers/incidentio"
	"github.com/pagerlens/pagerlens/store"
)

// delivery is one incident.io webhook: its body, its webhook-id header
// (Svix) and when it arrived.
type delivery struct {
	body []byte
	id   string
	at   time.Time
}

// webhook builds an incident.io webhook body as the OpenAPI spec's
// x-webhooks publish it: {"event_type": T, T: payload}, where the payload
// of incident_created_v2 and incident_updated_v2 is the incident itself and
// that of incident_status_updated_v2 is {incident, previous_status,
// new_status, message}.
func webhook(t testing.TB, evType string, payload obj) []byte {
	t.Helper()
	b, err := json.Marshal(obj{"event_type": evType, evType: payload})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webhooksOfA are A's webhooks in the golden history, as incident.io would
// have sent them had A been declared in Triage: created (lead Ben already
// assigned), updated at 22:05 (its name edited: the whole incident again,
// severity Critical), status Triage → Investigating at the update of
// 22:10:00.5 (the incident's updated_at 22:10:00.6: the same second) and
// Investigating → Closed at the update of 22:40:00.75 (updated_at
// 22:40:00.8).
func webhooksOfA(t testing.TB) []delivery {
	crit := severity("Critical", 3)
	triage, live, closed := status("Triage", "triage"), status("Investigating", "live"), status("Closed", "closed")
	lead, reporter := role("lead", "Incident Lead", ben), role("reporter", "Reporter", cai)
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm }
	a := func(st obj, updated string) obj {
		return incident("01INCA", "INC-101", "Checkout errors", crit, "2026-03-02T22:00:00Z", updated, st, lead, reporter)
	}
	return []delivery{
		{webhook(t, "public_incident.incident_created_v2", a(triage, "2026-03-02T22:00:00Z")), "msg_A1", at("2026-03-02T22:00:01Z")},
		{webhook(t, "public_incident.incident_updated_v2", a(triage, "2026-03-02T22:05:00Z")), "msg_A2", at("2026-03-02T22:05:01Z")},
		{webhook(t, "public_incident.incident_status_updated_v2", obj{"incident": a(live, "2026-03-02T22:10:00.6Z"),
			"previous_status": triage, "new_status": live, "message": "Looking into it"}), "msg_A3", at("2026-03-02T22:10:01Z")},
		{webhook(t, "public_incident.incident_status_updated_v2", obj{"incident": a(closed, "2026-03-02T22:40:00.8Z"),
			"previous_status": live, "new_status": closed, "message": "Fixed"}), "msg_A4", at("2026-03-02T22:40:01Z")},
	}
}

// deliver decodes the webhooks with the real decoder and stores each as the
// webhook intake does (one batch a delivery); it returns how many events
// were new.
func deliver(t testing.TB, s *store.Store, ds []delivery) int {
	t.Helper()
	d, err := decode.New(decode.IncidentIO, decode.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ds {
		evs, err := d.Decode(decode.Message{Value: x.body, Time: x.at, Headers: []event.Header{{Key: "webhook-id", Value: []byte(x.id)}}})
		if err != nil {
			t.Fatal(err)
		}
		var rows []store.Row
		for _, e := range evs {
			rows = append(rows, store.Row{Event: e, Topic: "webhook/incidentio"})
		}
		res, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		n += res.Stored
	}
	return n
}

func dump(t testing.TB, s *store.Store) []string {
	t.Helper()
	rows, err := s.DB().Query(`SELECT concat_ws('|', id, source, type, time, incident_id, alert_key, title, service, team, severity, urgency,
		responder, responder_tz, channel, schedule, role, audience, started_at, detected_by, resolved_by, labels) FROM events ORDER BY 1`)
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

// TestStoredOnceEitherWay: A's events arrive by webhook and by import, in
// both orders; each is stored once, both stores hold the same events, and
// the import's events are the decoder's, field for field.
//
// The webhooks make 9 events of A: trigger and commander (22:00), severity
// SEV1 (the update at 22:05: the decoder records each severity once), two
// status updates (22:10:00 and 22:40:00, whole seconds) and the resolve
// (22:40:00); every later webhook observes Ben as lead again, at its time
// (22:05:00, 22:10:00, 22:40:00: three more role observations). The import
// makes 5 of them (the commander dated at creation; no severity change is
// in A's updates) plus the other 22 of the golden history.
func TestStoredOnceEitherWay(t *testing.T) {
	ctx := context.Background()
	f := history(t)
	srv := f.start()
	hooks := webhooksOfA(t)

	first := openStore(t, filepath.Join(t.TempDir(), "webhook-first.duckdb"))
	if n := deliver(t, first, hooks); n != 9 {
		t.Fatalf("webhooks stored %d, want 9", n)
	}
	sum, err := incidentio.Import(ctx, first, options(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Duplicates != 5 || sum.Stored != 27-5 {
		t.Errorf("import after webhooks: %d new, %d already stored; want 22 and 5", sum.Stored, sum.Duplicates)
	}

	second := openStore(t, filepath.Join(t.TempDir(), "import-first.duckdb"))
	if _, err := incidentio.Import(ctx, second, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if n := deliver(t, second, hooks); n != 4 {
		t.Errorf("webhooks after the import stored %d new events, want 4 (the severity, 3 later role observations)", n)
	}
	// A redelivery under other webhook-ids (a bridge that renumbers, a
	// second endpoint) is the same events: ids do not come from the header.
	again := slices.Clone(hooks)
	for i := range again {
		again[i].id += "-again"
	}
	if n := deliver(t, first, again); n != 0 {
		t.Errorf("redelivered webhooks stored %d, want 0", n)
	}
	a, b := dump(t, first), dump(t, second)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("webhook-first and import-first events differ:\n%s\n\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}

	// Field for field: every event the webhooks made is in the import-only
	// store as it is, but the severity and the later role observations.
	only := openStore(t, filepath.Join(t.TempDir(), "import-only.duckdb"))
	if _, err := incidentio.Import(ctx, only, options(srv.URL)); err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, line := range dump(t, only) {
		stored[strings.SplitN(line, "|", 2)[0]] = line
	}
	webhookOnly := openStore(t, filepath.Join(t.TempDir(), "webhook-only.duckdb"))
	deliver(t, webhookOnly, hooks)
	shared := 0
	for _, line := range dump(t, webhookOnly) {
		id := strings.SplitN(line, "|", 2)[0]
		got, ok := stored[id]
		switch {
		case !ok && !strings.Contains(line, "|incident.severity_changed|") && !strings.Contains(line, "|incident.role_assigned|"):
			t.Errorf("the webhook's %s was not imported", line)
		case ok && got != line:
			t.Errorf("event %s:\n import  %s\n webhook %s", id, got, line)
		case ok:
			shared++
		}
	}
	if shared != 5 {
		t.Errorf("%d events shared, want 5", shared)
	}

	// The same figures either way for A (MTTA 720 s, MTTR 2400 s; the
	// commander at creation, 0 s: the first observation).
	x, y := compute(t, first), compute(t, only)
	if a, b := incidentRows(x)["SEV1"], incidentRows(y)["SEV1"]; a != b || a.resolveMean != 2400 || a.ackMean != 720 {
		t.Errorf("A's figures: with webhooks %+v, import only %+v", a, b)
	}
	if a, b := commands(x)["SEV1"], commands(y)["SEV1"]; a != b || a.commanderMean != 0 || a.withCommander != 1 {
		t.Errorf("A's command figures: with webhooks %+v, import only %+v", a, b)
	}
}
