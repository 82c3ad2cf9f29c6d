package decode_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/fixtures"
)

// TestOnCallID pins the id rule against hashes written out by hand, and
// against the ids the decoder gave the fixtures before the rule was shared
// (so no stored id changes): the acknowledge fixture's event.time
// "2026-03-04T02:17:45.120000+00:00" (Python isoformat) and the public
// API's "2026-03-04T02:17:45.120000Z" (Django REST framework) are one
// instant, one id.
func TestOnCallID(t *testing.T) {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "oncall-" + hex.EncodeToString(sum[:16])
	}
	api, err := time.Parse(time.RFC3339Nano, "2026-03-04T02:17:45.120000Z")
	if err != nil {
		t.Fatal(err)
	}
	ev := func(typ event.Type, at time.Time) *event.Event {
		return &event.Event{Type: typ, Time: at, Data: event.Data{IncidentID: "IXQ4M2", Responder: "whoever"}}
	}
	tests := []struct {
		name string
		e    *event.Event
		want string
	}{
		{"trigger: type and group only", ev(event.IncidentTriggered, api), hash("18:incident.triggered6:IXQ4M2")},
		{"ack: type, group, webhook type, time", ev(event.IncidentAcknowledged, api),
			hash("21:incident.acknowledged6:IXQ4M211:acknowledge23:2026-03-04T02:17:45.12Z")},
		{"ack: the acknowledge fixture's id", ev(event.IncidentAcknowledged, api), "oncall-ba903ad29dfe96b6f3c4a4b5d6d42253"},
		{"resolve", ev(event.IncidentResolved, api.Add(time.Hour)),
			hash("17:incident.resolved6:IXQ4M27:resolve23:2026-03-04T03:17:45.12Z")},
		// The unresolve fixture, delivered at brokerTime (no event.time).
		{"reopen: the unresolve fixture's id", ev(event.IncidentReopened, time.Date(2026, 3, 4, 2, 20, 0, 0, time.UTC)),
			"oncall-e00121c9d776cc437874e29a0d90e356"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decode.OnCallID(tt.e); got != tt.want {
				t.Errorf("OnCallID = %s, want %s", got, tt.want)
			}
		})
	}
	// The responder is not hashed; another microsecond is another id.
	a, b := ev(event.IncidentAcknowledged, api), ev(event.IncidentAcknowledged, api)
	b.Data.Responder = "someone else"
	if decode.OnCallID(a) != decode.OnCallID(b) {
		t.Error("the responder changed the id")
	}
	b.Time = api.Add(time.Microsecond)
	if decode.OnCallID(a) == decode.OnCallID(b) {
		t.Error("another microsecond gave the same id")
	}
}

// TestOnCallMapperAsDecoder: OnCallMapper.Incident, given what the public
// API says of the acknowledge fixture's group (labels as the API's list,
// the integration's team by name), makes the very event the decoder makes
// of the webhook, field for field.
func TestOnCallMapperAsDecoder(t *testing.T) {
	d := mustNew(t, decode.OnCall, decode.DefaultOptions())
	evs, err := d.Decode(decode.Message{Value: fixtures.Read(t, "oncall/acknowledge.json")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode.NewOnCallMapper(decode.Mappings{})
	if err != nil {
		t.Fatal(err)
	}
	g := decode.OnCallGroup{ID: "IXQ4M2", Title: "HighErrorRate", IntegrationType: "alertmanager", IntegrationName: "prod-am",
		IntegrationTeam: "Payments",
		Labels:          json.RawMessage(`[{"key":{"id":"severity","name":"severity"},"value":{"id":"critical","name":"critical"}}]`),
		AlertPayload:    json.RawMessage(`{"labels":{"alertname":"HighErrorRate","service":"checkout-api"}}`)}
	at, _ := time.Parse(time.RFC3339Nano, "2026-03-04T02:17:45.120000Z")
	got := m.Incident(&g, event.IncidentAcknowledged, at, "U7K2QX", "aruiz")
	if !reflect.DeepEqual(got, evs[0]) {
		t.Errorf("mapper:\n %+v\ndecoder:\n %+v", got, evs[0])
	}
}
