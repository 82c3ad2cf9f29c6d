package decode_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
)

// TestPagerDutyID pins the id rule against a hash written out by hand, and
// checks that a webhook's millisecond time and a log entry's whole second
// give the same id while another second, type, incident, responder or
// channel does not.
func TestPagerDutyID(t *testing.T) {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "pagerduty-" + hex.EncodeToString(sum[:16])
	}
	at := time.Date(2026, 3, 4, 2, 11, 3, 210e6, time.UTC) // webhook occurred_at 02:11:03.210Z
	trig := event.Event{Type: event.IncidentTriggered, Time: at, Data: event.Data{IncidentID: "Q2WXYZ"}}
	page := event.Event{Type: event.PageNotified, Time: at, Data: event.Data{IncidentID: "Q2WXYZ", Responder: "PUSR12", Channel: "sms"}}
	upd := event.Event{Type: event.IncidentStatusUpdate, Time: at, Data: event.Data{IncidentID: "Q2WXYZ", Responder: "PUSR31"}}
	role := event.Event{Type: event.IncidentRoleAssigned, Time: at, Data: event.Data{IncidentID: "Q2WXYZ", Role: "commander", Responder: "PUSR31"}}
	tests := []struct {
		name string
		e    event.Event
		want string
	}{
		{"lifecycle: type, incident, second", trig, hash("18:incident.triggered6:Q2WXYZ20:2026-03-04T02:11:03Z")},
		{"page: and responder, channel", page, hash("13:page.notified6:Q2WXYZ20:2026-03-04T02:11:03Z6:PUSR123:sms")},
		{"status update: and responder", upd, hash("22:incident.status_update6:Q2WXYZ20:2026-03-04T02:11:03Z6:PUSR31")},
		{"role: type, incident, role, responder (unchanged rule)", role, "pagerduty-ddf0a6a12b2d024369b5b24540298272"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decode.PagerDutyID(&tt.e); got != tt.want {
				t.Errorf("PagerDutyID = %s, want %s", got, tt.want)
			}
		})
	}
	// Same transition, other precision or zone: same id.
	same := trig
	same.Time = time.Date(2026, 3, 4, 3, 11, 3, 0, time.FixedZone("CET", 3600))
	if decode.PagerDutyID(&same) != decode.PagerDutyID(&trig) {
		t.Error("02:11:03.210Z and 03:11:03+01:00 differ")
	}
	differ := map[string]func(e *event.Event){
		"next second": func(e *event.Event) { e.Time = e.Time.Add(time.Second) },
		"type":        func(e *event.Event) { e.Type = event.IncidentAcknowledged },
		"incident":    func(e *event.Event) { e.Data.IncidentID = "Q2WXY0" },
		"responder":   func(e *event.Event) { e.Data.Responder = "PUSR99" },
		"channel":     func(e *event.Event) { e.Data.Channel = "phone" },
	}
	for name, mod := range differ {
		o := page
		mod(&o)
		if decode.PagerDutyID(&o) == decode.PagerDutyID(&page) {
			t.Errorf("%s changed, id did not", name)
		}
	}
}
