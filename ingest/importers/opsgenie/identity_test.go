package opsgenie_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers/opsgenie"
	"github.com/pagerlens/pagerlens/store"
)

// webhooksOfA are alert A's Create, Acknowledge and Close as Opsgenie's
// outgoing webhook delivers them (the "Alert action data" samples, as
// docs/sources.md lists: action, alert with alertId, alias, message,
// entity, tags, teams as ids, priority, username/userId of who acted,
// createdAt in ms and updatedAt in ns; source; integrationName). The
// acknowledgement's updatedAt is 15 ms after createdAt + report.ackTime:
// Opsgenie does not say the two are one clock reading, and the ids agree
// to the second.
func webhooksOfA(t testing.TB) [][]byte {
	created := time.Date(2026, 3, 2, 22, 0, 0, 412e6, time.UTC)
	hook := func(action string, updated time.Time, username, userID string) []byte {
		b, err := json.Marshal(obj{
			"action": action,
			"alert": obj{"alertId": "alert-a", "tinyId": "17", "alias": "checkout:alert-a", "message": "Checkout alert-a",
				"entity": "checkout-api", "tags": []string{"prod"}, "teams": []string{"t-pay"}, "priority": "P1",
				"username": username, "userId": userID, "source": "prometheus", "description": "p99 above 2s",
				"createdAt": created.UnixMilli(), "updatedAt": updated.UnixNano()},
			"source":          obj{"name": "", "type": "web"},
			"integrationName": "pagerlens", "integrationId": "int-9",
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return [][]byte{
		hook("Create", created, "System", ""),
		hook("Acknowledge", created.Add(720228*time.Millisecond+15*time.Millisecond), "ben@example.com", "u-ben"),
		hook("Close", created.Add(2399639*time.Millisecond), "ben@example.com", "u-ben"),
	}
}

// deliver decodes the webhooks with the real decoder and stores them as the
// webhook intake does; it returns how many were new.
func deliver(t testing.TB, s *store.Store, ms decode.Mappings, bodies [][]byte) int {
	t.Helper()
	o := decode.DefaultOptions()
	o.Mappings = ms
	d, err := decode.New(decode.Opsgenie, o)
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
			rows = append(rows, store.Row{Event: e, Topic: "webhook/opsgenie"})
		}
	}
	res, err := s.WriteBatch(context.Background(), store.Batch{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	return res.Stored
}

// TestStoredOnceEitherWay: alert A's creation, acknowledgement and close
// (alert.* and incident.* each) arrive by webhook and by import, in both
// orders, with responders named by username (the default) and by id; each
// is stored once, and both stores end up holding the same rows, column for
// column (the import maps exactly as the decoder does).
func TestStoredOnceEitherWay(t *testing.T) {
	for _, responder := range []string{"name", "id"} {
		t.Run("responder "+responder, func(t *testing.T) {
			ctx := context.Background()
			ms := mappings()
			ms.Opsgenie.Responder = responder
			hooks := webhooksOfA(t)
			o := func(url string) opsgenie.Options {
				opts := options(url)
				opts.Mappings = ms
				return opts
			}

			// Webhooks first, then the import.
			first := openStore(t, filepath.Join(t.TempDir(), "webhook-first.duckdb"))
			if n := deliver(t, first, ms, hooks); n != 6 {
				t.Fatalf("webhooks stored %d, want 6", n)
			}
			sum, err := opsgenie.Import(ctx, first, o(history(t).start().URL))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Duplicates != 6 || sum.Stored != sum.Events-6 {
				t.Errorf("import after webhooks: %d new, %d already stored of %d; want the 6 webhook events already stored", sum.Stored, sum.Duplicates, sum.Events)
			}

			// The import first, then the webhooks: nothing new.
			second := openStore(t, filepath.Join(t.TempDir(), "import-first.duckdb"))
			if _, err := opsgenie.Import(ctx, second, o(history(t).start().URL)); err != nil {
				t.Fatal(err)
			}
			if n := deliver(t, second, ms, hooks); n != 0 {
				t.Errorf("webhooks after the import stored %d new events, want 0", n)
			}
			// And again (a redelivery): nothing.
			if n := deliver(t, first, ms, hooks); n != 0 {
				t.Errorf("redelivered webhooks stored %d, want 0", n)
			}
			if a, b := dump(t, first), dump(t, second); !reflect.DeepEqual(a, b) {
				t.Errorf("webhook-first and import-first stores differ:\n%v\n%v", a, b)
			}
			var who string
			if err := first.DB().QueryRow(`SELECT responder FROM events WHERE type = 'incident.acknowledged' AND incident_id = 'alert-a'`).Scan(&who); err != nil ||
				who != map[string]string{"name": "ben@example.com", "id": "u-ben"}[responder] {
				t.Errorf("A acknowledged by %q (%v)", who, err)
			}
		})
	}
}
