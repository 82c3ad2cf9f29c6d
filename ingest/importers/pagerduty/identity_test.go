package pagerduty_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	"github.com/pagerlens/pagerlens/store"
)

// webhooksOfA are incident A's transitions as PagerDuty Webhooks V3 would
// deliver them (developer docs, webhooks/01-Overview.md: the event object
// with id, event_type, resource_type, occurred_at to the millisecond,
// agent, and the incident as data): the same instants as the log entries,
// which carry whole seconds.
func webhooksOfA(t testing.TB) [][]byte {
	data := func(status string, assignees []obj) obj {
		return obj{"id": "PINCA", "type": "incident", "number": 1, "status": status, "incident_key": "checkout/PINCA",
			"created_at": "2026-03-02T22:00:00Z", "title": "Checkout PINCA", "service": svc, "assignees": assignees,
			"escalation_policy": policy, "teams": []obj{team},
			"priority": obj{"id": "PPRP1", "type": "priority_reference", "summary": "P1"}, "urgency": "high"}
	}
	ev := func(id, typ, at string, agent any, d obj) []byte {
		b, err := json.Marshal(obj{"event": obj{"id": id, "event_type": typ, "resource_type": "incident", "occurred_at": at,
			"agent": agent, "client": nil, "data": d}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return [][]byte{
		ev("01WHA1", "incident.triggered", "2026-03-02T22:00:00.412Z", svc, data("triggered", []obj{ana})),
		ev("01WHA2", "incident.escalated", "2026-03-02T22:10:00.230Z", nil, data("triggered", []obj{ben})),
		ev("01WHA3", "incident.acknowledged", "2026-03-02T22:12:00.640Z", ben, data("acknowledged", []obj{ben})),
		ev("01WHA4", "incident.resolved", "2026-03-02T22:40:00.051Z", ben, data("resolved", nil)),
	}
}

// deliver decodes the webhooks with the real decoder and stores them as the
// webhook intake does; it returns how many were new.
func deliver(t testing.TB, s *store.Store, bodies [][]byte) int {
	t.Helper()
	d, err := decode.New(decode.PagerDuty, decode.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	for _, b := range bodies {
		evs, err := d.Decode(decode.Message{Value: b})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			rows = append(rows, store.Row{Event: e, Topic: "webhook/pagerduty"})
		}
	}
	res, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	return res.Stored
}

// TestStoredOnceEitherWay: incident A's trigger, escalation, ack and
// resolve arrive by webhook and by import, in both orders; each is stored
// once, and both stores end up with the same ids.
func TestStoredOnceEitherWay(t *testing.T) {
	ctx := context.Background()
	hooks := webhooksOfA(t)

	// Webhooks first, then the import.
	first := openStore(t, filepath.Join(t.TempDir(), "webhook-first.duckdb"))
	if n := deliver(t, first, hooks); n != 4 {
		t.Fatalf("webhooks stored %d, want 4", n)
	}
	sum, err := pagerduty.Import(ctx, first, options(history(t).start().URL))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Duplicates != 4 || sum.Stored != sum.Events-4 {
		t.Errorf("import after webhooks: %d new, %d already stored of %d; want the 4 webhook transitions already stored", sum.Stored, sum.Duplicates, sum.Events)
	}

	// The import first, then the webhooks: nothing new.
	second := openStore(t, filepath.Join(t.TempDir(), "import-first.duckdb"))
	if _, err := pagerduty.Import(ctx, second, options(history(t).start().URL)); err != nil {
		t.Fatal(err)
	}
	if n := deliver(t, second, hooks); n != 0 {
		t.Errorf("webhooks after the import stored %d new events, want 0", n)
	}
	// And again (a redelivery): nothing.
	if n := deliver(t, first, hooks); n != 0 {
		t.Errorf("redelivered webhooks stored %d, want 0", n)
	}
	ids := func(s *store.Store) []string {
		var out []string
		rows, err := s.DB().Query(`SELECT id FROM events ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			rows.Scan(&id)
			out = append(out, id)
		}
		return out
	}
	if a, b := ids(first), ids(second); !reflect.DeepEqual(a, b) {
		t.Errorf("webhook-first and import-first stores differ:\n%v\n%v", a, b)
	}
	// The incident reads the same either way: one escalation, not two.
	var esc int
	if err := first.DB().QueryRow(`SELECT escalations FROM incidents WHERE incident_id = 'PINCA'`).Scan(&esc); err != nil || esc != 1 {
		t.Errorf("incident A escalations %d (%v), want 1", esc, err)
	}
}
