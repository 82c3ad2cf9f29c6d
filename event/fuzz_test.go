package event_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/fixtures"
)

// knownReasons are the dead-letter reasons Decode may give: the reason is a
// metric label, so an unexpected one would be a new, unbounded series.
var knownReasons = map[event.Reason]bool{
	event.ReasonEmpty: true, event.ReasonTooLarge: true, event.ReasonInvalidUTF8: true,
	event.ReasonInvalidJSON: true, event.ReasonNotObject: true, event.ReasonSpecVersion: true,
	event.ReasonMissingField: true, event.ReasonWrongType: true, event.ReasonUnknownType: true,
	event.ReasonBadTime: true, event.ReasonBadValue: true, event.ReasonLimitExceeded: true,
}

// FuzzDecode feeds arbitrary bytes to the canonical decoder and its
// validation: it must never panic, every rejection must carry a known
// reason, and an accepted event must survive Marshal → Decode unchanged
// (what the store keeps is what the producer meant).
func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"canonical", "bad"} {
		entries, err := os.ReadDir(fixtures.Dir(f, dir))
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); ext == ".json" || ext == ".jsonl" {
				f.Add(fixtures.Read(f, dir+"/"+e.Name()))
			}
		}
	}
	for _, s := range []string{
		`{"specversion":"1.0","id":"a","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00.123456789+02:00","data":{"incident_id":"I","started_at":"2026-03-01T23:00:00Z","labels":{"k":"v"}}}`,
		`{"specversion":"1.0","id":"b","source":"s","type":"page.notified","time":"2026-03-02T00:00:00Z","data":{"responder":"u","alert_key":"k","responder_tz":"Europe/Berlin","labels":{}}}`,
		`{"specversion":"1.0","id":"c","source":"s","type":"incident.role_assigned","time":"2026-03-02T00:00:00Z","data":{"incident_id":"I","responder":"u","role":"commander"}}`,
		`{"specversion":"1.0","id":"d\u0000","source":"s","type":"shift.started","time":"1970-01-01T00:00:00Z","data":null}`,
		`{"specversion":"1.0","id":"e","type":"alert.resolved","time":"2026-03-02T00:00:00Z","data":{"alert_key":"k","resolved_by":"system"},"data":{}}`,
		`[[[[[[[[[[]]]]]]]]]]`, `"x"`, `null`, `{}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	lim := event.DefaultLimits()
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := event.Decode(b, lim)
		if err != nil {
			var ee *event.Error
			if !errors.As(err, &ee) {
				t.Fatalf("Decode error %T %v carries no reason", err, err)
			}
			if !knownReasons[ee.Reason] {
				t.Fatalf("Decode gave unknown reason %q (%v)", ee.Reason, err)
			}
			return
		}
		out, err := event.Marshal(e)
		if err != nil {
			t.Fatalf("accepted event does not marshal: %v", err)
		}
		back, err := event.Decode(out, lim)
		if err != nil {
			t.Fatalf("accepted event %+v re-marshals to %s, which is rejected: %v", e, out, err)
		}
		if !reflect.DeepEqual(normalize(e), normalize(back)) {
			t.Fatalf("round trip changed the event:\n in: %+v\nout: %+v\nvia %s", e, back, out)
		}
	})
}

// normalize maps the representations that mean the same event to one: an
// empty label map and none are the same (Marshal omits both).
func normalize(e event.Event) event.Event {
	if len(e.Data.Labels) == 0 {
		e.Data.Labels = nil
	}
	return e
}
