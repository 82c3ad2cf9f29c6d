package decode_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/fixtures"
)

// brokerTime is the record time given to every fixture; only payloads
// without a time of their own (Opsgenie's Escalate) use it.
var brokerTime = time.Date(2026, 3, 4, 2, 20, 0, 0, time.UTC)

// message reads a fixture and, where there is one, its headers file.
func message(t testing.TB, rel string) decode.Message {
	t.Helper()
	m := decode.Message{Value: fixtures.Read(t, rel), Time: brokerTime}
	hrel := strings.TrimSuffix(rel, ".json") + ".headers.json"
	if _, err := readOptional(t, hrel); err == nil {
		var hs map[string]string
		if err := json.Unmarshal(fixtures.Read(t, hrel), &hs); err != nil {
			t.Fatalf("%s: %v", hrel, err)
		}
		keys := make([]string, 0, len(hs))
		for k := range hs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			m.Headers = append(m.Headers, event.Header{Key: k, Value: []byte(hs[k])})
		}
	}
	return m
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ev(id, source string, typ event.Type, at string, d event.Data) event.Event {
	return event.Event{ID: id, Source: source, Type: typ, Time: ts(at), Data: d}
}

func mustNew(t testing.TB, format string, o decode.Options) decode.Decoder {
	t.Helper()
	d, err := decode.New(format, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The PagerDuty fixture incident, as every incident.* event carries it.
func pdIncident(sev, responder string) event.Data {
	return event.Data{
		IncidentID: "Q2WXYZ", AlertKey: "checkout/p99-latency", Title: "Checkout p99 above 2s",
		Service: "checkout-api", Team: "Payments", Severity: sev, Urgency: "high", Responder: responder,
	}
}

var ogAlert = event.Data{
	AlertKey: "ledger:ReplicationLag", Title: "Ledger replication lag above 60s",
	Service: "ledger", Team: "f3e2d1c0", Severity: "SEV3",
}

func ogIncident(mod func(*event.Data)) event.Data {
	d := ogAlert
	d.IncidentID = "5b1d0f3e-82bb-4d2f-9c1f-3e6a9b7d2c88"
	mod(&d)
	return d
}

func ogAlertWith(mod func(*event.Data)) event.Data {
	d := ogAlert
	mod(&d)
	return d
}

// TestFixtures pins the exact events of every fixture, through the format's
// own decoder and through auto. The derived ids are pinned on purpose: a
// change to them would make already-stored events come back as new ones.
func TestFixtures(t *testing.T) {
	const ogID = "5b1d0f3e-82bb-4d2f-9c1f-3e6a9b7d2c88"
	tests := []struct {
		format, file string
		want         []event.Event
		warns        []string // Options.Warn calls, "format:what"
	}{
		{"pagerduty", "pagerduty/incident.triggered.json", []event.Event{
			ev("pagerduty-8fcb6ba5762a52b0c3f527cc0e912c70", "pagerduty", event.IncidentTriggered, "2026-03-04T02:11:03Z",
				func() event.Data { d := pdIncident("SEV2", ""); d.DetectedBy = "alert"; return d }()),
		}, nil},
		{"pagerduty", "pagerduty/incident.acknowledged.json", []event.Event{
			ev("pagerduty-e765758eb4932895e1d34a7ad4647384", "pagerduty", event.IncidentAcknowledged, "2026-03-04T02:17:45Z", pdIncident("SEV2", "PUSR12")),
		}, nil},
		{"pagerduty", "pagerduty/incident.reassigned.json", []event.Event{
			// the responder is the new assignee, not the agent who reassigned
			ev("pagerduty-5281bce0ab8111012819138f5b7cdba7", "pagerduty", event.IncidentReassigned, "2026-03-04T02:25:00Z", pdIncident("SEV2", "PUSR31")),
		}, nil},
		{"pagerduty", "pagerduty/incident.priority_updated.json", []event.Event{
			ev("pagerduty-3104fd0e190a99c5b606965f7820e217", "pagerduty", event.IncidentSeverityChanged, "2026-03-04T02:30:12Z", pdIncident("SEV1", "PUSR31")),
		}, nil},
		{"pagerduty", "pagerduty/incident.resolved.json", []event.Event{
			ev("pagerduty-1e3bbb2e3e411c4aeec9b32aa576c95d", "pagerduty", event.IncidentResolved, "2026-03-04T03:02:40Z",
				func() event.Data { d := pdIncident("SEV1", "PUSR31"); d.ResolvedBy = "human"; return d }()),
		}, nil},
		// agent null (automation, as PagerDuty documents it): resolved by
		// the system; no priority, so the severity is low urgency's SEV4.
		{"pagerduty", "pagerduty/incident.resolved.automation.json", []event.Event{
			ev("pagerduty-f061dd19ebf77f4c993edd2259f919a4", "pagerduty", event.IncidentResolved, "2026-03-04T05:14:02Z", event.Data{
				IncidentID: "Q3KLMN", AlertKey: "ledger/disk-full", Title: "Ledger disk above 95%", Service: "ledger-db",
				Team: "Storage", Severity: "SEV4", Urgency: "low", ResolvedBy: "system"}),
		}, nil},
		// The author is the event's agent; the data has no sender.
		{"pagerduty", "pagerduty/incident.status_update_published.json", []event.Event{
			ev("pagerduty-df4c1f6e02c3c33a68da6f2aa7d38ee6", "pagerduty", event.IncidentStatusUpdate, "2026-03-04T02:40:00Z", event.Data{
				IncidentID: "Q2WXYZ", Responder: "PUSR31", Audience: "stakeholders"}),
		}, nil},
		// "Incident Commander" by the default role_map; id = hash of type,
		// incident, role, assignee.
		{"pagerduty", "pagerduty/incident.role.assigned.json", []event.Event{
			ev("pagerduty-ddf0a6a12b2d024369b5b24540298272", "pagerduty", event.IncidentRoleAssigned, "2026-03-04T02:19:30Z", event.Data{
				IncidentID: "Q2WXYZ", Role: "commander", Responder: "PUSR31"}),
		}, nil},
		{"pagerduty", "pagerduty/incident.task.created.json", nil, []string{"pagerduty:task_skipped"}},
		{"alertmanager", "alertmanager/firing.json", []event.Event{
			ev("alertmanager-a7b1ec1c220f2126c781f23772868768", "alertmanager", event.AlertTriggered, "2026-03-04T02:10:30Z", event.Data{
				AlertKey: "7c1e2f9a0b3d4e55", AlertName: "HighErrorRate", Title: "5xx ratio above 5%", Service: "checkout-api",
				Team: "payments", Severity: "SEV1", Labels: map[string]string{"region": "eu-west-1"}}),
			ev("alertmanager-b0a038a0ff3dba41fbbe92b6ec6901b0", "alertmanager", event.AlertTriggered, "2026-03-04T02:10:45Z", event.Data{
				AlertKey: "1d2e3f405a6b7c88", AlertName: "HighErrorRate", Title: "5xx ratio above 5%", Service: "checkout-api",
				Team: "payments", Severity: "SEV1", Labels: map[string]string{"region": "us-east-1"}}),
		}, nil},
		{"alertmanager", "alertmanager/resolved.json", []event.Event{
			ev("alertmanager-6aab2d8be97cea4012937280a634913d", "alertmanager", event.AlertResolved, "2026-03-04T02:41:30Z", event.Data{
				AlertKey: "7c1e2f9a0b3d4e55", AlertName: "HighErrorRate", Title: "5xx ratio above 5%", Service: "checkout-api",
				Team: "payments", Severity: "SEV1", ResolvedBy: "system", Labels: map[string]string{"region": "eu-west-1"}}),
		}, nil},
		{"grafana", "grafana/firing.json", []event.Event{
			ev("grafana-1fa8a675fbeb3cc1f80026a9dfa2f5dd", "grafana", event.AlertTriggered, "2026-03-04T05:00:00Z", event.Data{
				AlertKey: "a91c0e77d2b34f10", AlertName: "DiskFull", Title: "Disk above 95%", Service: "ledger-db",
				Team: "storage", Severity: "SEV3", Labels: map[string]string{"instance": "ledger-db-2"}}),
		}, nil},
		{"opsgenie", "opsgenie/create.json", []event.Event{
			ev("opsgenie-90d40196a3a897b99ba0a54d508d2498", "opsgenie", event.AlertTriggered, "2026-03-04T03:00:00Z", ogAlert),
			ev("opsgenie-f9e186436d39ba5310bac5a99d4814f4", "opsgenie", event.IncidentTriggered, "2026-03-04T03:00:00Z",
				ogIncident(func(d *event.Data) { d.DetectedBy = "alert" })),
		}, nil},
		{"opsgenie", "opsgenie/acknowledge.json", []event.Event{
			ev("opsgenie-3a0e1633e265fe99f99f52fce024b32e", "opsgenie", event.AlertAcknowledged, "2026-03-04T03:09:00Z", // updatedAt …740250000000 ns, in whole seconds (decode.OpsgenieID)
				ogAlertWith(func(d *event.Data) { d.Responder = "chidi@example.com" })),
			ev("opsgenie-2df30789b0322f186ea8365cb6e91649", "opsgenie", event.IncidentAcknowledged, "2026-03-04T03:09:00Z",
				ogIncident(func(d *event.Data) { d.Responder = "chidi@example.com" })),
		}, nil},
		{"opsgenie", "opsgenie/escalate.json", []event.Event{
			// no time in the payload: the record's time
			ev("opsgenie-832f07433b7131762994f2ce19a26ebd", "opsgenie", event.PageNotified, "2026-03-04T02:20:00Z", event.Data{
				IncidentID: ogID, AlertKey: "ledger:ReplicationLag", Team: "f3e2d1c0", Responder: "chidi@example.com"}),
		}, nil},
		// priority 3, as older deliveries send it, is P3.
		{"opsgenie", "opsgenie/create.numeric-priority.json", []event.Event{
			ev("opsgenie-9c6f3c90cdaa48165f1edbb3e2b4da06", "opsgenie", event.AlertTriggered, "2026-03-04T03:02:00Z", event.Data{
				AlertKey: "checkout:p99-latency", Title: "Checkout API p99 above 2s", Service: "checkout-api", Team: "a7b6c5d4", Severity: "SEV3"}),
			ev("opsgenie-0245e5433dc4d2f2e4b6c947bdbbf94f", "opsgenie", event.IncidentTriggered, "2026-03-04T03:02:00Z", event.Data{
				IncidentID: "8e27c4d1-39a0-4f5b-b6c2-71d0e9a4f3b5", AlertKey: "checkout:p99-latency", Title: "Checkout API p99 above 2s",
				Service: "checkout-api", Team: "a7b6c5d4", Severity: "SEV3", DetectedBy: "human"}),
		}, nil},
		// A custom action comes under its own name: skipped and counted.
		{"opsgenie", "opsgenie/custom-action.json", nil, []string{"opsgenie:custom_action_skipped"}},
		{"opsgenie", "opsgenie/close.json", []event.Event{
			ev("opsgenie-b2d7df87e9af96711e3dba01f047ea22", "opsgenie", event.AlertResolved, "2026-03-04T03:30:00Z",
				ogAlertWith(func(d *event.Data) { d.Responder, d.ResolvedBy = "chidi@example.com", "human" })),
			ev("opsgenie-5a5651736420e6327a06f09dc037c243", "opsgenie", event.IncidentResolved, "2026-03-04T03:30:00Z",
				ogIncident(func(d *event.Data) { d.Responder, d.ResolvedBy = "chidi@example.com", "human" })),
		}, nil},
		{"oncall", "oncall/acknowledge.json", []event.Event{
			ev("oncall-ba903ad29dfe96b6f3c4a4b5d6d42253", "oncall", event.IncidentAcknowledged, "2026-03-04T02:17:45.12Z", event.Data{
				IncidentID: "IXQ4M2", Title: "HighErrorRate", Service: "checkout-api", Team: "Payments", Severity: "SEV1", Responder: "U7K2QX"}),
			ev("oncall-af4bf6e3c4296944067a39aa1b8bbc3e", "oncall", event.PageNotified, "2026-03-04T02:17:45.12Z", event.Data{
				IncidentID: "IXQ4M2", Team: "Payments", Responder: "U7K2QX"}),
		}, nil},
		// No event.time (OnCall sets none for unresolve): the delivery's
		// time, brokerTime here.
		{"oncall", "oncall/unresolve.json", []event.Event{
			ev("oncall-e00121c9d776cc437874e29a0d90e356", "oncall", event.IncidentReopened, "2026-03-04T02:20:00Z", event.Data{
				IncidentID: "IXQ4M2", Title: "HighErrorRate", Service: "checkout-api", Team: "Payments", Severity: "SEV1", Responder: "U7K2QX"}),
			ev("oncall-af4bf6e3c4296944067a39aa1b8bbc3e", "oncall", event.PageNotified, "2026-03-04T02:20:00Z", event.Data{
				IncidentID: "IXQ4M2", Team: "Payments", Responder: "U7K2QX"}),
		}, nil},
		{"oncall", "oncall/unacknowledge.json", []event.Event{
			ev("oncall-af4bf6e3c4296944067a39aa1b8bbc3e", "oncall", event.PageNotified, "2026-03-04T02:20:00Z", event.Data{
				IncidentID: "IXQ4M2", Team: "Payments", Responder: "U7K2QX"}),
			ev("oncall-9fbc54d032ad4b7b7fdeef965b1b6c68", "oncall", event.PageNotified, "2026-03-04T02:20:00Z", event.Data{
				IncidentID: "IXQ4M2", Team: "Payments", Responder: "U3RB8N"}),
		}, nil},
		{"oncall", "oncall/unsilence.json", []event.Event{
			ev("oncall-c86dc288b9edd010c5b285bab9efee26", "oncall", event.PageNotified, "2026-03-04T02:20:00Z", event.Data{
				IncidentID: "IYB7K1", Team: "Payments", Responder: "U3RB8N"}),
		}, nil},
		// The object under the event type is the incident itself. The
		// reporter is no command role; "Impact started" is started_at.
		{"incidentio", "incidentio/incident-created.json", []event.Event{
			ev("incidentio-160a22d3d7c8a862832a324ba3d89661", "incidentio", event.IncidentTriggered, "2026-03-04T02:12:00Z", event.Data{
				IncidentID: "01KB0R8X", Title: "Checkout errors", Severity: "SEV2", Labels: map[string]string{"reference": "INC-318"},
				StartedAt: ptr(ts("2026-03-04T02:05:00Z"))}),
			ev("incidentio-aea67d93bea3288b7c1ee23814460029", "incidentio", event.IncidentRoleAssigned, "2026-03-04T02:12:00Z", event.Data{
				IncidentID: "01KB0R8X", Role: "commander", Responder: "01HA"}),
		}, nil},
		// Critical is SEV1; the custom "Communications Lead" role maps by
		// name, the scribe has no assignee, the reporter no command role.
		{"incidentio", "incidentio/incident-updated.json", []event.Event{
			ev("incidentio-61d0db45e2944f0f89f9e2749d1851a3", "incidentio", event.IncidentSeverityChanged, "2026-03-04T02:20:30Z", event.Data{
				IncidentID: "01KB0R8X", Title: "Checkout errors", Severity: "SEV1", Labels: map[string]string{"reference": "INC-318"}}),
			ev("incidentio-76eb5b3eb352e1a4bbb2d0d38d068f2e", "incidentio", event.IncidentRoleAssigned, "2026-03-04T02:20:30Z", event.Data{
				IncidentID: "01KB0R8X", Role: "commander", Responder: "01HA"}),
			ev("incidentio-cb09d8ee303a1781c634393280c65c09", "incidentio", event.IncidentRoleAssigned, "2026-03-04T02:20:30Z", event.Data{
				IncidentID: "01KB0R8X", Role: "communications", Responder: "01HC"}),
		}, nil},
		{"incidentio", "incidentio/status-updated.json", []event.Event{
			ev("incidentio-bea5b778486bcdc27f54976e1d9db427", "incidentio", event.IncidentResolved, "2026-03-04T03:05:10Z", event.Data{
				IncidentID: "01KB0R8X", Title: "Checkout errors", Severity: "SEV2", Labels: map[string]string{"reference": "INC-318"}}),
			ev("incidentio-3c799f4a17ecb632cf0ee5158b4d6ca3", "incidentio", event.IncidentStatusUpdate, "2026-03-04T03:05:10Z", event.Data{
				IncidentID: "01KB0R8X", Title: "Checkout errors", Severity: "SEV2", Audience: "internal", Labels: map[string]string{"reference": "INC-318"}}),
			ev("incidentio-db7e04761c4683a3275859dfb9b516eb", "incidentio", event.IncidentRoleAssigned, "2026-03-04T03:05:10Z", event.Data{
				IncidentID: "01KB0R8X", Role: "commander", Responder: "01HA"}),
		}, nil},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		for _, format := range []string{tt.format, decode.Auto} {
			t.Run(format+"/"+tt.file, func(t *testing.T) {
				o, warned := warnings()
				got, err := mustNew(t, format, o).Decode(message(t, tt.file))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("events differ\n got: %s\nwant: %s", dump(got), dump(tt.want))
				}
				if !reflect.DeepEqual(*warned, tt.warns) {
					t.Errorf("warnings %v, want %v", *warned, tt.warns)
				}
			})
		}
	}
	// A fixture added without an expectation here would go untested.
	for _, dir := range []string{"pagerduty", "alertmanager", "grafana", "opsgenie", "oncall", "incidentio"} {
		for _, f := range fixtureFiles(t, dir) {
			if !covered[dir+"/"+f] {
				t.Errorf("fixture %s/%s has no expected events in TestFixtures", dir, f)
			}
		}
	}
}

// warnings returns default options whose Warn records "format:what".
func warnings() (decode.Options, *[]string) {
	var warned []string
	o := decode.DefaultOptions()
	o.Warn = func(format, what string) { warned = append(warned, format+":"+what) }
	return o, &warned
}

func ptr[T any](v T) *T { return &v }

func dump(evs []event.Event) string {
	var b strings.Builder
	for _, e := range evs {
		j, _ := event.Marshal(e)
		b.WriteString("\n  ")
		b.Write(j)
	}
	return b.String()
}

// TestPagerDutyDurations decodes an incident's lifecycle and checks the
// time to acknowledge and to resolve that its events imply.
func TestPagerDutyDurations(t *testing.T) {
	d := mustNew(t, decode.PagerDuty, decode.DefaultOptions())
	at := map[event.Type]time.Time{}
	// Out of order on purpose: the durations come from the events' own
	// times, never from arrival order.
	for _, f := range []string{"incident.resolved.json", "incident.triggered.json", "incident.acknowledged.json"} {
		evs, err := d.Decode(message(t, "pagerduty/"+f))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v, %d events", f, err, len(evs))
		}
		if evs[0].Data.IncidentID != "Q2WXYZ" {
			t.Fatalf("%s: incident %q", f, evs[0].Data.IncidentID)
		}
		at[evs[0].Type] = evs[0].Time
	}
	tta := at[event.IncidentAcknowledged].Sub(at[event.IncidentTriggered])
	ttr := at[event.IncidentResolved].Sub(at[event.IncidentTriggered])
	// Whole seconds (the decoder truncates occurred_at as the REST API's
	// log entries have it): 02:11:03 → 02:17:45 and → 03:02:40.
	if want := 6*time.Minute + 42*time.Second; tta != want {
		t.Errorf("time to acknowledge = %v, want %v", tta, want)
	}
	if want := 51*time.Minute + 37*time.Second; ttr != want {
		t.Errorf("time to resolve = %v, want %v", ttr, want)
	}
}

// TestAlertmanagerDedup: a repeat notification of a stored state gives the
// same ids, whatever else changed in it (endsAt of a firing alert moves on
// every notification); a state change gives new ids.
func TestAlertmanagerDedup(t *testing.T) {
	d := mustNew(t, decode.Alertmanager, decode.DefaultOptions())
	m := message(t, "alertmanager/firing.json")
	first, err := d.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	repeat := m
	repeat.Value = []byte(strings.ReplaceAll(string(m.Value), `"endsAt":"2026-03-04T02:15:45Z"`, `"endsAt":"2026-03-04T02:20:45Z"`))
	repeat.Time = brokerTime.Add(5 * time.Minute)
	if string(repeat.Value) == string(m.Value) {
		t.Fatal("test setup: endsAt not found in fixture")
	}
	again, err := d.Decode(repeat)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, again) {
		t.Errorf("repeat notification changed the events\nfirst: %s\nagain: %s", dump(first), dump(again))
	}
	resolved, err := d.Decode(message(t, "alertmanager/resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resolved[0].Data.AlertKey != first[0].Data.AlertKey {
		t.Errorf("resolved alert key %q, firing %q: they must pair up", resolved[0].Data.AlertKey, first[0].Data.AlertKey)
	}
	if resolved[0].ID == first[0].ID {
		t.Error("resolved has the firing event's id")
	}
	// The same alert firing again later is a new episode.
	refire := m
	refire.Value = []byte(strings.ReplaceAll(string(m.Value), `"startsAt":"2026-03-04T02:10:30Z"`, `"startsAt":"2026-03-04T03:10:30Z"`))
	later, err := d.Decode(refire)
	if err != nil {
		t.Fatal(err)
	}
	if later[0].ID == first[0].ID {
		t.Error("a new firing episode has the old episode's id")
	}
}

func TestAlertmanagerTruncatedWarns(t *testing.T) {
	var warned []string
	o := decode.DefaultOptions()
	o.Warn = func(format, what string) { warned = append(warned, format+":"+what) }
	m := message(t, "alertmanager/firing.json")
	m.Value = []byte(strings.Replace(string(m.Value), `"truncatedAlerts":0`, `"truncatedAlerts":3`, 1))
	evs, err := mustNew(t, decode.Alertmanager, o).Decode(m)
	if err != nil || len(evs) != 2 {
		t.Fatalf("Decode = %d events, %v; want the 2 alerts present", len(evs), err)
	}
	if want := []string{"alertmanager:truncated_alerts"}; !reflect.DeepEqual(warned, want) {
		t.Errorf("warnings %v, want %v", warned, want)
	}
	// Without a hook, nothing breaks.
	if _, err := mustNew(t, decode.Alertmanager, decode.DefaultOptions()).Decode(m); err != nil {
		t.Error(err)
	}
}

// TestMappingConfig: configured rules replace the defaults field by field.
func TestMappingConfig(t *testing.T) {
	o := decode.DefaultOptions()
	o.Mappings.Alertmanager = decode.Mapping{
		TeamFrom:    []string{"squad", "team"},
		SeverityMap: map[string]string{"CRITICAL": "P0"},
		TeamMap:     map[string]string{"payments": "payments-eng"},
	}
	o.Mappings.Opsgenie = decode.Mapping{TeamMap: map[string]string{"f3e2d1c0": "ledger-team"}, Responder: "id"}
	o.Mappings.PagerDuty = decode.Mapping{TeamFrom: []string{"escalation_policy"}, SeverityFrom: []string{"urgency"}}
	tests := []struct {
		format, file string
		check        func(event.Data) bool
	}{
		{"alertmanager", "alertmanager/firing.json", func(d event.Data) bool {
			// service still from the default (service label)
			return d.Team == "payments-eng" && d.Severity == "P0" && d.Service == "checkout-api"
		}},
		{"opsgenie", "opsgenie/acknowledge.json", func(d event.Data) bool {
			return d.Team == "ledger-team" && d.Severity == "SEV3" && d.Responder == "u-77"
		}},
		{"pagerduty", "pagerduty/incident.triggered.json", func(d event.Data) bool {
			return d.Team == "Payments Primary" && d.Severity == "SEV2" // high urgency
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, err := mustNew(t, tt.format, o).Decode(message(t, tt.file))
			if err != nil || len(evs) == 0 {
				t.Fatalf("Decode: %d events, %v", len(evs), err)
			}
			if !tt.check(evs[0].Data) {
				t.Errorf("data = %+v", evs[0].Data)
			}
		})
	}
}

// TestSkipped: source events with no canonical meaning give no events and
// no error (they are not dead letters).
func TestSkipped(t *testing.T) {
	pd := string(fixtures.Read(t, "pagerduty/incident.acknowledged.json"))
	og := string(fixtures.Read(t, "opsgenie/acknowledge.json"))
	tests := []struct {
		name, format, body string
	}{
		{"pagerduty unacknowledged", "pagerduty", strings.Replace(pd, `"event_type":"incident.acknowledged"`, `"event_type":"incident.unacknowledged"`, 1)},
		{"pagerduty annotated", "pagerduty", strings.Replace(pd, `"event_type":"incident.acknowledged"`, `"event_type":"incident.annotated"`, 1)},
		{"pagerduty service event", "pagerduty", strings.Replace(pd, `"event_type":"incident.acknowledged"`, `"event_type":"service.updated"`, 1)},
		{"pagerduty ping", "pagerduty", `{"event":{"id":"x","event_type":"pagey.ping","resource_type":"pagey","occurred_at":"2026-03-04T02:11:03Z","data":{}}}`},
		{"pagerduty policy as responder", "pagerduty", `{"event":{"id":"r1","event_type":"incident.responder.added","resource_type":"incident","occurred_at":"2026-03-04T02:12:00Z","data":{"incident":{"id":"Q2WXYZ"},"user":null,"escalation_policy":{"id":"PEP1"}}}}`},
		{"opsgenie note", "opsgenie", strings.Replace(og, `"action":"Acknowledge"`, `"action":"AddNote"`, 1)},
		{"opsgenie escalate to team", "opsgenie", `{"action":"Escalate","alert":{"alertId":"a1"},"escalationNotify":{"entity":"team","id":"t1","name":"ops"}}`},
		{"incidentio private", "incidentio", `{"event_type":"private_incident.incident_created_v2","private_incident.incident_created_v2":{"id":"01X"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := mustNew(t, tt.format, decode.DefaultOptions()).Decode(decode.Message{Value: []byte(tt.body), Time: brokerTime})
			if err != nil || len(evs) != 0 {
				t.Errorf("Decode = %s, %v; want no events, no error", dump(evs), err)
			}
		})
	}
}

// TestMoreEventTypes covers mappings that have no fixture of their own.
func TestMoreEventTypes(t *testing.T) {
	pd := string(fixtures.Read(t, "pagerduty/incident.acknowledged.json"))
	pdAs := func(typ string) string {
		return strings.Replace(pd, `"event_type":"incident.acknowledged"`, `"event_type":"`+typ+`"`, 1)
	}
	og := string(fixtures.Read(t, "opsgenie/acknowledge.json"))
	ogAs := func(action string) string {
		return strings.Replace(og, `"action":"Acknowledge"`, `"action":"`+action+`"`, 1)
	}
	oc := string(fixtures.Read(t, "oncall/acknowledge.json"))
	iio := string(fixtures.Read(t, "incidentio/status-updated.json"))
	tests := []struct {
		name, format, body string
		want               []event.Type
		check              func([]event.Event) bool
	}{
		{"pd reopened", "pagerduty", pdAs("incident.reopened"), []event.Type{event.IncidentReopened}, nil},
		{"pd delegated", "pagerduty", pdAs("incident.delegated"), []event.Type{event.IncidentReassigned}, nil},
		{"pd escalated", "pagerduty", pdAs("incident.escalated"), []event.Type{event.IncidentEscalated},
			func(e []event.Event) bool { return e[0].Data.Responder == "PUSR12" }},
		{"pd responder added", "pagerduty",
			`{"event":{"id":"r2","event_type":"incident.responder.added","resource_type":"incident","occurred_at":"2026-03-04T02:12:00Z","agent":{"id":"PUSR12","type":"user_reference"},"data":{"incident":{"id":"Q2WXYZ","type":"incident_reference"},"user":{"id":"PUSR31","type":"user_reference","summary":"Ben Osei"},"type":"incident_responder"}}}`,
			[]event.Type{event.PageNotified},
			func(e []event.Event) bool { return e[0].Data.Responder == "PUSR31" && e[0].Data.IncidentID == "Q2WXYZ" }},
		{"og assign ownership", "opsgenie", strings.Replace(ogAs("AssignOwnership"), `"priority":"P3"`, `"priority":"P3","owner":"dana@example.com"`, 1),
			[]event.Type{event.IncidentReassigned},
			func(e []event.Event) bool { return e[0].Data.Responder == "dana@example.com" }},
		{"og escalate to next", "opsgenie", ogAs("EscalateToNext"), []event.Type{event.IncidentEscalated}, nil},
		{"og update priority", "opsgenie", strings.Replace(ogAs("UpdatePriority"), `"priority":"P3"`, `"priority":"P1"`, 1),
			[]event.Type{event.IncidentSeverityChanged},
			func(e []event.Event) bool { return e[0].Data.Severity == "SEV1" }},
		{"oncall resolve", "oncall", strings.Replace(oc, `"type":"acknowledge"`, `"type":"resolve"`, 1),
			[]event.Type{event.IncidentResolved, event.PageNotified},
			func(e []event.Event) bool { return e[0].Data.ResolvedBy == "human" }},
		{"oncall escalation: pages only", "oncall", strings.Replace(oc, `"type":"acknowledge"`, `"type":"escalation"`, 1),
			[]event.Type{event.PageNotified}, nil},
		{"incidentio reopened", "incidentio",
			strings.NewReplacer(`"previous_status":{"name":"Monitoring","category":"live"}`, `"previous_status":{"name":"Closed","category":"closed"}`,
				`"new_status":{"name":"Closed","category":"closed"}`, `"new_status":{"name":"Fixing","category":"live"}`).Replace(iio),
			[]event.Type{event.IncidentReopened, event.IncidentStatusUpdate, event.IncidentRoleAssigned}, nil},
		{"incidentio learning is mitigated", "incidentio",
			strings.NewReplacer(`"new_status":{"name":"Closed","category":"closed"}`, `"new_status":{"name":"Post-incident","category":"learning"}`).Replace(iio),
			[]event.Type{event.IncidentMitigated, event.IncidentStatusUpdate, event.IncidentRoleAssigned}, nil},
		{"incidentio paused: status update only", "incidentio",
			strings.NewReplacer(`"new_status":{"name":"Closed","category":"closed"}`, `"new_status":{"name":"Paused","category":"paused"}`).Replace(iio),
			[]event.Type{event.IncidentStatusUpdate, event.IncidentRoleAssigned}, nil},
		{"pd role unassigned: no assignee", "pagerduty",
			strings.Replace(string(fixtures.Read(t, "pagerduty/incident.role.assigned.json")), `"status":"active"`, `"status":"inactive"`, 1), nil, nil},
		{"pd role not a command role", "pagerduty",
			strings.Replace(string(fixtures.Read(t, "pagerduty/incident.role.assigned.json")), `"summary":"Incident Commander"`, `"summary":"Database Expert"`, 1), nil, nil},
		{"pd customer liaison", "pagerduty",
			strings.Replace(string(fixtures.Read(t, "pagerduty/incident.role.assigned.json")), `"summary":"Incident Commander"`, `"summary":"Customer Liaison"`, 1),
			[]event.Type{event.IncidentRoleAssigned}, func(e []event.Event) bool { return e[0].Data.Role == "communications" }},
		{"incidentio impact started out of range: ignored", "incidentio",
			strings.Replace(string(fixtures.Read(t, "incidentio/incident-created.json")), `"value":{"value":"2026-03-04T02:05:00Z"}`, `"value":{"value":"1999-12-31T23:00:00Z"}`, 1),
			[]event.Type{event.IncidentTriggered, event.IncidentRoleAssigned}, func(e []event.Event) bool { return e[0].Data.StartedAt == nil }},
		{"incidentio test incident: nothing", "incidentio",
			strings.Replace(string(fixtures.Read(t, "incidentio/incident-created.json")), `"mode":"standard"`, `"mode":"test"`, 1), nil, nil},
		{"oncall labels as the public API's list", "oncall",
			strings.Replace(string(fixtures.Read(t, "oncall/unresolve.json")), `"labels":{"severity":"critical"}`,
				`"labels":[{"key":{"id":"severity","name":"severity"},"value":{"id":"warning","name":"warning"}}]`, 1),
			[]event.Type{event.IncidentReopened, event.PageNotified}, func(e []event.Event) bool { return e[0].Data.Severity == "SEV3" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decode.Message{Value: []byte(tt.body), Time: brokerTime}
			if tt.format == "incidentio" {
				m.Headers = message(t, "incidentio/status-updated.json").Headers
			}
			evs, err := mustNew(t, tt.format, decode.DefaultOptions()).Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			var got []event.Type
			for _, e := range evs {
				got = append(got, e.Type)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("types %v, want %v", got, tt.want)
			}
			if tt.check != nil && !tt.check(evs) {
				t.Errorf("events: %s", dump(evs))
			}
		})
	}
}

// TestErrors: what a decoder cannot decode is an *event.Error with a
// bounded reason, never a guess.
func TestErrors(t *testing.T) {
	pd := string(fixtures.Read(t, "pagerduty/incident.acknowledged.json"))
	am := string(fixtures.Read(t, "alertmanager/firing.json"))
	tests := []struct {
		name, format, body string
		reason             event.Reason
	}{
		{"unknown pd incident type", "pagerduty", strings.Replace(pd, `"incident.acknowledged"`, `"incident.exploded"`, 1), event.ReasonUnknownType},
		{"pd without event", "pagerduty", `{"messages":[]}`, event.ReasonUnknownFormat},
		{"pd bad time", "pagerduty", strings.Replace(pd, `"2026-03-04T02:17:45.120Z"`, `"yesterday"`, 1), event.ReasonBadTime},
		{"pd time in 1970", "pagerduty", strings.Replace(pd, `"2026-03-04T02:17:45.120Z"`, `"1970-01-01T00:00:00Z"`, 1), event.ReasonBadTime},
		{"pd wrong type", "pagerduty", strings.Replace(pd, `"teams":[`, `"teams":7,"x":[`, 1), event.ReasonWrongType},
		{"pd incident without id", "pagerduty", strings.Replace(pd, `"id":"Q2WXYZ"`, `"id":""`, 1), event.ReasonMissingField},
		{"am version 5", "alertmanager", strings.Replace(am, `"version":"4"`, `"version":"5"`, 1), event.ReasonUnknownFormat},
		{"grafana body to alertmanager", "alertmanager", string(fixtures.Read(t, "grafana/firing.json")), event.ReasonUnknownFormat},
		{"am bad status", "alertmanager", strings.Replace(am, `"status":"firing","labels"`, `"status":"pending","labels"`, 1), event.ReasonBadValue},
		{"am resolved without endsAt", "alertmanager", strings.Replace(string(fixtures.Read(t, "alertmanager/resolved.json")), `"endsAt":"2026-03-04T02:41:30Z"`, `"endsAt":"0001-01-01T00:00:00Z"`, 1), event.ReasonMissingField},
		{"opsgenie priority of the wrong kind", "opsgenie", `{"action":"Create","alert":{"alertId":"a","priority":{"level":3}}}`, event.ReasonWrongType},
		{"pd undocumented urgency_updated", "pagerduty", strings.Replace(pd, `"incident.acknowledged"`, `"incident.urgency_updated"`, 1), event.ReasonUnknownType},
		{"incidentio created without incident", "incidentio", `{"event_type":"public_incident.incident_created_v2"}`, event.ReasonMissingField},
		{"incidentio created, the old wrapped shape", "incidentio", `{"event_type":"public_incident.incident_created_v2","public_incident.incident_created_v2":{"incident":{"id":"01X"}}}`, event.ReasonMissingField},
		{"oncall unknown type", "oncall", `{"event":{"type":"explode","time":"2026-03-04T02:17:45Z"},"alert_group":{"id":"G"}}`, event.ReasonUnknownType},
		{"incidentio unknown type", "incidentio", `{"event_type":"public_incident.something_v9","public_incident.something_v9":{}}`, event.ReasonUnknownType},
		{"auto unknown shape", "auto", `{"hello":"world"}`, event.ReasonUnknownFormat},
		{"auto near miss", "auto", `{"version":"3","alerts":[]}`, event.ReasonUnknownFormat},
	}
	for _, f := range []string{"pagerduty", "alertmanager", "grafana", "opsgenie", "oncall", "incidentio", "auto"} {
		for _, bad := range []struct {
			file   string
			reason event.Reason
		}{
			{"empty.json", event.ReasonEmpty}, {"not-utf8.json", event.ReasonInvalidUTF8},
			{"array.json", event.ReasonNotObject}, {"truncated.json", event.ReasonInvalidJSON},
		} {
			tests = append(tests, struct {
				name, format, body string
				reason             event.Reason
			}{"bad/" + bad.file, f, string(fixtures.Read(t, "bad/"+bad.file)), bad.reason})
		}
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.name, func(t *testing.T) {
			evs, err := mustNew(t, tt.format, decode.DefaultOptions()).Decode(decode.Message{Value: []byte(tt.body), Time: brokerTime})
			var e *event.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode = %s, %v; want *event.Error %s", dump(evs), err, tt.reason)
			}
			if e.Reason != tt.reason {
				t.Errorf("reason %s (%v), want %s", e.Reason, err, tt.reason)
			}
			if evs != nil {
				t.Errorf("events returned with an error: %s", dump(evs))
			}
		})
	}
}

func TestFormatsRegistered(t *testing.T) {
	want := []string{"alertmanager", "auto", "canonical", "grafana", "incidentio", "oncall", "opsgenie", "pagerduty"}
	if got := decode.Formats(); !reflect.DeepEqual(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
	for _, f := range want {
		if got := mustNew(t, f, decode.DefaultOptions()).Format(); got != f {
			t.Errorf("New(%q).Format() = %q", f, got)
		}
	}
}

// TestAutoCanonical: auto hands canonical events, in both CloudEvents
// modes, to the canonical decoder.
func TestAutoCanonical(t *testing.T) {
	d := mustNew(t, decode.Auto, decode.DefaultOptions())
	line := strings.SplitN(string(fixtures.Read(t, "canonical/incident-lifecycle.jsonl")), "\n", 2)[0]
	evs, err := d.Decode(decode.Message{Value: []byte(line)})
	if err != nil || len(evs) != 1 || evs[0].ID != "c-1001" {
		t.Fatalf("structured: %v %v", evs, err)
	}
	h, v, err := event.MarshalBinary(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	bin, err := d.Decode(decode.Message{Headers: h, Value: v})
	if err != nil || !reflect.DeepEqual(bin, evs) {
		t.Fatalf("binary: %v %v", bin, err)
	}
}

// TestCanonicalChannel: a canonical page's channel is stored normalised
// (event.NormalizeChannel), in both CloudEvents modes, so that the
// interruption channels match however the producer spelled it.
func TestCanonicalChannel(t *testing.T) {
	d := mustNew(t, decode.Canonical, decode.DefaultOptions())
	for _, tt := range []struct{ channel, want string }{
		{`"SMS"`, "sms"}, {`"Voice"`, "phone"}, {`"push_notification"`, "push"}, {`"E-Mail"`, "email"},
		{`"slack"`, "chat"}, {`"fax"`, "other"}, {`""`, ""}, {`"unknown"`, ""},
	} {
		body := `{"specversion":"1.0","id":"p-1","source":"mytool","type":"page.notified","time":"2026-03-02T02:11:05Z",` +
			`"data":{"incident_id":"INC-7","responder":"ana","channel":` + tt.channel + `}}`
		evs, err := d.Decode(decode.Message{Value: []byte(body)})
		if err != nil || len(evs) != 1 {
			t.Fatalf("channel %s: %v %v", tt.channel, evs, err)
		}
		if got := evs[0].Data.Channel; got != tt.want {
			t.Errorf("structured, channel %s: stored %q, want %q", tt.channel, got, tt.want)
		}
		raw := evs[0]
		raw.Data.Channel = strings.Trim(tt.channel, `"`)
		h, v, err := event.MarshalBinary(raw)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := d.Decode(decode.Message{Headers: h, Value: v})
		if err != nil || len(bin) != 1 || bin[0].Data.Channel != tt.want {
			t.Errorf("binary, channel %s: %v %v, want channel %q", tt.channel, bin, err, tt.want)
		}
	}
}

// TestPublishedShapes holds one regression per mismatch found when the
// decoders were checked against what the vendors publish (issue 19;
// docs/sources.md names each source). Every case failed before its fix.
func TestPublishedShapes(t *testing.T) {
	// A delivery time unlike any time in the payloads, so that a time taken
	// from the delivery is recognisable.
	delivered := time.Date(2026, 3, 4, 2, 31, 7, 0, time.UTC)
	pdTask := func(typ string) string {
		return strings.Replace(string(fixtures.Read(t, "pagerduty/incident.task.created.json")), `"incident.task.created"`, `"`+typ+`"`, 1)
	}
	type result struct {
		evs    []event.Event
		err    error
		warned []string
	}
	noError := func(t *testing.T, r result) {
		t.Helper()
		if r.err != nil {
			t.Fatalf("Decode: %v", r.err)
		}
	}
	skippedWith := func(warning string) func(*testing.T, result) {
		return func(t *testing.T, r result) {
			noError(t, r)
			if len(r.evs) != 0 || !reflect.DeepEqual(r.warned, []string{warning}) {
				t.Errorf("events %s, warnings %v; want none, and %s", dump(r.evs), r.warned, warning)
			}
		}
	}
	tests := []struct {
		name, format, file string
		body               string // instead of file
		mapping            func(*decode.Mappings)
		check              func(*testing.T, result)
	}{
		{name: "incidentio incident_created_v2: the object under the event type is the incident", format: "incidentio",
			file: "incidentio/incident-created.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if r.evs[0].Type != event.IncidentTriggered || r.evs[0].Data.IncidentID != "01KB0R8X" {
					t.Errorf("events %s; want incident.triggered of 01KB0R8X first", dump(r.evs))
				}
			}},
		{name: "incidentio incident_updated_v2: the object under the event type is the incident", format: "incidentio",
			file: "incidentio/incident-updated.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if r.evs[0].Type != event.IncidentSeverityChanged || r.evs[0].Data.Severity != "SEV1" {
					t.Errorf("events %s; want incident.severity_changed to SEV1 first", dump(r.evs))
				}
			}},
		{name: "oncall unresolve carries no event.time: the delivery's time", format: "oncall",
			file: "oncall/unresolve.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if r.evs[0].Type != event.IncidentReopened || !r.evs[0].Time.Equal(delivered) {
					t.Errorf("events %s; want incident.reopened at %s", dump(r.evs), delivered)
				}
			}},
		{name: "oncall unacknowledge carries no event.time: the delivery's time", format: "oncall",
			file: "oncall/unacknowledge.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 2 || !r.evs[0].Time.Equal(delivered) {
					t.Errorf("events %s; want 2 pages at %s", dump(r.evs), delivered)
				}
			}},
		{name: "oncall unsilence carries no event.time: the delivery's time", format: "oncall",
			file: "oncall/unsilence.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 1 || !r.evs[0].Time.Equal(delivered) {
					t.Errorf("events %s; want 1 page at %s", dump(r.evs), delivered)
				}
			}},
		{name: "pagerduty status update: the author is event.agent", format: "pagerduty",
			file: "pagerduty/incident.status_update_published.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 1 || r.evs[0].Data.Responder != "PUSR31" {
					t.Errorf("events %s; want one status update by PUSR31", dump(r.evs))
				}
			}},
		{name: "pagerduty incident.role.assigned: the commander", format: "pagerduty",
			file: "pagerduty/incident.role.assigned.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 1 || r.evs[0].Type != event.IncidentRoleAssigned || r.evs[0].Data.Role != "commander" {
					t.Errorf("events %s; want one incident.role_assigned, commander", dump(r.evs))
				}
			}},
		{name: "pagerduty incident.task.created: skipped, counted", format: "pagerduty",
			body: pdTask("incident.task.created"), check: skippedWith("pagerduty:task_skipped")},
		{name: "pagerduty incident.task.updated: skipped, counted", format: "pagerduty",
			body: pdTask("incident.task.updated"), check: skippedWith("pagerduty:task_skipped")},
		{name: "pagerduty incident.task.completed: skipped, counted", format: "pagerduty",
			body: pdTask("incident.task.completed"), check: skippedWith("pagerduty:task_skipped")},
		{name: "pagerduty resolved with a null agent: by the system", format: "pagerduty",
			file: "pagerduty/incident.resolved.automation.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 1 || r.evs[0].Data.ResolvedBy != event.ResolvedBySystem {
					t.Errorf("events %s; want resolved_by system", dump(r.evs))
				}
			}},
		{name: "pagerduty triggered with a null agent: detected by an alert", format: "pagerduty",
			body: strings.Replace(string(fixtures.Read(t, "pagerduty/incident.triggered.json")),
				`"agent":{"id":"PINT4","type":"service_reference","summary":"checkout-api"}`, `"agent":null`, 1),
			check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 1 || r.evs[0].Data.DetectedBy != event.DetectedByAlert {
					t.Errorf("events %s; want detected_by alert", dump(r.evs))
				}
			}},
		{name: "pagerduty incident.urgency_updated is no documented type", format: "pagerduty",
			body: strings.Replace(string(fixtures.Read(t, "pagerduty/incident.acknowledged.json")), `"incident.acknowledged"`, `"incident.urgency_updated"`, 1),
			check: func(t *testing.T, r result) {
				var e *event.Error
				if !errors.As(r.err, &e) || e.Reason != event.ReasonUnknownType {
					t.Errorf("Decode = %s, %v; want unknown_type", dump(r.evs), r.err)
				}
			}},
		{name: "opsgenie priority as the integer 3 is P3", format: "opsgenie",
			file: "opsgenie/create.numeric-priority.json", check: func(t *testing.T, r result) {
				noError(t, r)
				if len(r.evs) != 2 || r.evs[0].Data.Severity != "SEV3" {
					t.Errorf("events %s; want 2 events of SEV3", dump(r.evs))
				}
			}},
		{name: "opsgenie custom action under its own name: skipped, counted", format: "opsgenie",
			file: "opsgenie/custom-action.json", check: skippedWith("opsgenie:custom_action_skipped")},
		{name: "opsgenie custom action mapped in action_map", format: "opsgenie", file: "opsgenie/custom-action.json",
			mapping: func(m *decode.Mappings) {
				m.Opsgenie.ActionMap = map[string]string{"restartreplica": "incident.mitigated"}
			},
			check: func(t *testing.T, r result) {
				noError(t, r)
				want := []event.Event{ev("opsgenie-adfc8c83747076d8a9f2b965bce73e80", "opsgenie", event.IncidentMitigated,
					"2026-03-04T03:10:00.125Z", event.Data{IncidentID: "5b1d0f3e-82bb-4d2f-9c1f-3e6a9b7d2c88",
						AlertKey: "ledger:ReplicationLag", Title: "Ledger replication lag above 60s", Service: "ledger",
						Responder: "chidi@example.com"})}
				if !reflect.DeepEqual(r.evs, want) || len(r.warned) != 0 {
					t.Errorf("events %s, warnings %v\nwant: %s, none", dump(r.evs), r.warned, dump(want))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, warned := warnings()
			if tt.mapping != nil {
				tt.mapping(&o.Mappings)
			}
			m := decode.Message{Value: []byte(tt.body), Time: delivered}
			if tt.file != "" {
				m = message(t, tt.file)
				m.Time = delivered
			}
			evs, err := mustNew(t, tt.format, o).Decode(m)
			tt.check(t, result{evs, err, *warned})
		})
	}
}

// TestTimelessWithoutDeliveryTime: an OnCall event without event.time read
// where no delivery time is known (a file line) is a missing_field dead
// letter, not an event at the zero time.
func TestTimelessWithoutDeliveryTime(t *testing.T) {
	m := message(t, "oncall/unresolve.json")
	m.Time = time.Time{}
	evs, err := mustNew(t, decode.OnCall, decode.DefaultOptions()).Decode(m)
	var e *event.Error
	if !errors.As(err, &e) || e.Reason != event.ReasonMissingField || e.Field != "event.time" {
		t.Errorf("Decode = %s, %v; want missing_field event.time", dump(evs), err)
	}
}

// TestActionMap: action_map targets are checked when a decoder is made, and
// a mapped action can be skipped silently.
func TestActionMap(t *testing.T) {
	for _, tt := range []struct {
		target string
		ok     bool
	}{
		{"incident.mitigated", true}, {"incident.acknowledged", true}, {"skip", true},
		{"incident.role_assigned", false}, {"alert.triggered", false}, {"Mitigated", false},
	} {
		o := decode.DefaultOptions()
		o.Mappings.Opsgenie.ActionMap = map[string]string{"RestartReplica": tt.target}
		_, err := decode.New(decode.Auto, o)
		if (err == nil) != tt.ok {
			t.Errorf("action_map target %q: New error %v, want ok=%v", tt.target, err, tt.ok)
		}
	}
	o, warned := warnings()
	o.Mappings.Opsgenie.ActionMap = map[string]string{"RestartReplica": "skip"}
	evs, err := mustNew(t, decode.Opsgenie, o).Decode(message(t, "opsgenie/custom-action.json"))
	if err != nil || len(evs) != 0 || len(*warned) != 0 {
		t.Errorf("skip: Decode = %s, %v, warnings %v; want nothing", dump(evs), err, *warned)
	}
}
