package event_test

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/fixtures"
)

func TestDecodeBadFixtures(t *testing.T) {
	tests := []struct {
		file   string
		reason event.Reason
		field  string
	}{
		{"array.json", event.ReasonNotObject, ""},
		{"bad-time.json", event.ReasonBadTime, "time"},
		{"empty.json", event.ReasonEmpty, ""},
		{"missing-id.json", event.ReasonMissingField, "id"},
		{"not-utf8.json", event.ReasonInvalidUTF8, ""},
		{"truncated.json", event.ReasonInvalidJSON, ""},
		{"unknown-type.json", event.ReasonUnknownType, "type"},
		{"wrong-type.json", event.ReasonWrongType, "data.incident_id"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := event.Decode(fixtures.Read(t, "bad/"+tt.file), event.DefaultLimits())
			var e *event.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error = %v, want *event.Error", err)
			}
			if e.Reason != tt.reason || e.Field != tt.field {
				t.Errorf("got reason %q field %q (%v), want %q %q", e.Reason, e.Field, err, tt.reason, tt.field)
			}
		})
	}
}

func TestDecodeCanonicalFixture(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(fixtures.Read(t, "canonical/incident-lifecycle.jsonl")))
	n := 0
	for sc.Scan() {
		e, err := event.Decode(sc.Bytes(), event.DefaultLimits())
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		if e.ID == "c-1002" {
			want := time.Date(2026, 3, 2, 2, 5, 0, 0, time.UTC)
			if e.Data.StartedAt == nil || !e.Data.StartedAt.Equal(want) {
				t.Errorf("started_at = %v, want %v", e.Data.StartedAt, want)
			}
			if e.Data.IncidentID != "INC-7" || e.Data.Team != "payments" || e.Data.DetectedBy != "alert" {
				t.Errorf("data = %+v", e.Data)
			}
		}
	}
	if n != 13 {
		t.Fatalf("decoded %d events, want 13", n)
	}
}

func TestRoundTrip(t *testing.T) {
	started := time.Date(2026, 3, 2, 2, 5, 0, 0, time.UTC)
	in := event.Event{ID: "x-1", Source: "test", Type: event.IncidentTriggered,
		Time: time.Date(2026, 3, 2, 2, 11, 0, 500, time.UTC),
		Data: event.Data{IncidentID: "INC-1", Team: "payments", StartedAt: &started, Labels: map[string]string{"region": "eu"}}}
	b, err := event.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := event.Decode(b, event.DefaultLimits())
	if err != nil {
		t.Fatalf("Decode(Marshal) = %v\n%s", err, b)
	}
	if out.ID != in.ID || !out.Time.Equal(in.Time) || !out.Data.StartedAt.Equal(started) || out.Data.Labels["region"] != "eu" {
		t.Errorf("round trip: got %+v", out)
	}
	h, v, err := event.MarshalBinary(in)
	if err != nil {
		t.Fatal(err)
	}
	if !event.IsBinary(h) {
		t.Fatal("IsBinary = false for binary-mode headers")
	}
	bin, err := event.DecodeBinary(h, v, event.DefaultLimits())
	if err != nil {
		t.Fatalf("DecodeBinary: %v", err)
	}
	if bin.ID != in.ID || bin.Type != in.Type || !bin.Time.Equal(in.Time) || bin.Data.IncidentID != "INC-1" {
		t.Errorf("binary round trip: got %+v", bin)
	}
}

func TestValidate(t *testing.T) {
	base := `{"specversion":"1.0","id":"x","source":"s","type":%q,"time":%q,"data":%s}`
	lim := event.DefaultLimits()
	lim.MaxLabels = 2
	tests := []struct {
		name, typ, time, data string
		reason                event.Reason // "" = valid
		field                 string
	}{
		{"ok incident", "incident.triggered", "2026-03-02T02:11:00Z", `{"incident_id":"I"}`, "", ""},
		{"incident without id", "incident.resolved", "2026-03-02T02:11:00Z", `{}`, event.ReasonMissingField, "data.incident_id"},
		{"alert without key", "alert.triggered", "2026-03-02T02:11:00Z", `{"alert_name":"A"}`, event.ReasonMissingField, "data.alert_key"},
		{"page without target", "page.notified", "2026-03-02T02:11:00Z", `{"responder":"ana"}`, event.ReasonMissingField, "data.incident_id"},
		{"page without responder", "page.notified", "2026-03-02T02:11:00Z", `{"incident_id":"I"}`, event.ReasonMissingField, "data.responder"},
		{"shift without responder", "shift.started", "2026-03-02T02:11:00Z", `{"team":"t"}`, event.ReasonMissingField, "data.responder"},
		{"time in 1970", "incident.triggered", "1970-01-01T00:00:00Z", `{"incident_id":"I"}`, event.ReasonBadTime, "time"},
		{"time in 2100", "incident.triggered", "2100-01-01T00:00:00Z", `{"incident_id":"I"}`, event.ReasonBadTime, "time"},
		{"missing time", "incident.triggered", "", `{"incident_id":"I"}`, event.ReasonMissingField, "time"},
		{"bad started_at", "incident.triggered", "2026-03-02T02:11:00Z", `{"incident_id":"I","started_at":"soon"}`, event.ReasonBadTime, "data.started_at"},
		{"bad resolved_by", "alert.resolved", "2026-03-02T02:11:00Z", `{"alert_key":"k","resolved_by":"robot"}`, event.ReasonBadValue, "data.resolved_by"},
		{"bad tz", "page.notified", "2026-03-02T02:11:00Z", `{"incident_id":"I","responder":"a","responder_tz":"Mars/Olympus"}`, event.ReasonBadValue, "data.responder_tz"},
		{"NUL in value", "incident.triggered", "2026-03-02T02:11:00Z", `{"incident_id":"I\u0000"}`, event.ReasonBadValue, "data.incident_id"},
		{"too many labels", "incident.triggered", "2026-03-02T02:11:00Z", `{"incident_id":"I","labels":{"a":"1","b":"2","c":"3"}}`, event.ReasonLimitExceeded, "data.labels"},
		{"label not string", "incident.triggered", "2026-03-02T02:11:00Z", `{"incident_id":"I","labels":{"a":1}}`, event.ReasonWrongType, "data.labels"},
		{"data not object", "incident.triggered", "2026-03-02T02:11:00Z", `[1]`, event.ReasonWrongType, "data"},
		{"role assigned", "incident.role_assigned", "2026-03-02T02:11:00Z", `{"incident_id":"I","responder":"a","role":"commander"}`, "", ""},
		{"bad role", "incident.role_assigned", "2026-03-02T02:11:00Z", `{"incident_id":"I","responder":"a","role":"king"}`, event.ReasonBadValue, "data.role"},
		{"action item", "action_item.created", "2026-03-02T02:11:00Z", `{"incident_id":"I","action_id":"A-1"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := []byte(strings.TrimSpace(sprintf(base, tt.typ, tt.time, tt.data)))
			_, err := event.Decode(msg, lim)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *event.Error
			if !errors.As(err, &e) || e.Reason != tt.reason || e.Field != tt.field {
				t.Fatalf("error = %v, want reason %q field %q", err, tt.reason, tt.field)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	lim := event.DefaultLimits()
	big := bytes.Repeat([]byte("a"), lim.MaxMessageBytes+1)
	if _, err := event.Decode(big, lim); !isReason(err, event.ReasonTooLarge) {
		t.Errorf("oversized message: %v", err)
	}
	longID := `{"specversion":"1.0","id":"` + strings.Repeat("i", 100<<10) + `","source":"s","type":"incident.triggered","time":"2026-03-02T02:11:00Z","data":{"incident_id":"I"}}`
	if _, err := event.Decode([]byte(longID), lim); !isReason(err, event.ReasonLimitExceeded) {
		t.Errorf("100 KB id: %v", err)
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	if _, err := event.Decode([]byte(`{"specversion":"1.0","id":"d","data":{"labels":`+deep+`}}`), lim); err == nil {
		t.Error("deeply nested JSON accepted")
	}
}

func isReason(err error, r event.Reason) bool {
	var e *event.Error
	return errors.As(err, &e) && e.Reason == r
}
