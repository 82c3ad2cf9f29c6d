package prometheus

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
)

// TestFingerprintIsAlertmanagers: the alert key is Alertmanager's
// fingerprint. The expected values are the ones Alertmanager's own tests
// pin for these label sets (prometheus/alertmanager template/template_test.go,
// TestData: {job=foo, severity=warning} and {job=foo, severity=critical}).
func TestFingerprintIsAlertmanagers(t *testing.T) {
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"severity": "warning", "job": "foo"}, "9266ef3da838ad95"},
		{map[string]string{"severity": "critical", "job": "foo"}, "3b15fd163d36582e"},
	}
	for _, tt := range tests {
		if got := fingerprint(tt.labels); got != tt.want {
			t.Errorf("fingerprint(%v) = %s, want %s", tt.labels, got, tt.want)
		}
	}
}

// TestAlertLabels: the ALERTS labels become what Prometheus sends
// Alertmanager: without __name__ and alertstate, external labels added
// unless the alert has them, then alert relabelling.
func TestAlertLabels(t *testing.T) {
	const cfg = `
global:
  external_labels: {cluster: eu1, replica: a}
alerting:
  alert_relabel_configs:
    - action: labeldrop
      regex: replica
    - source_labels: [severity]
      regex: none
      action: drop
`
	var sc serverConfig
	if err := yaml.Unmarshal([]byte(cfg), &sc); err != nil {
		t.Fatal(err)
	}
	lr, err := sc.labelRules(&importer{stats: Stats{Skipped: map[string]int{}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     model.Metric
		want   map[string]string
		wantOK bool
	}{
		{
			name:   "external labels added, replica dropped",
			in:     model.Metric{"__name__": "ALERTS", "alertstate": "firing", "alertname": "DiskFull", "severity": "warning"},
			want:   map[string]string{"alertname": "DiskFull", "severity": "warning", "cluster": "eu1"},
			wantOK: true,
		},
		{
			// As timestamp() returns it: no __name__.
			name:   "the alert's own cluster wins",
			in:     model.Metric{"alertstate": "firing", "alertname": "DiskFull", "cluster": "us1"},
			want:   map[string]string{"alertname": "DiskFull", "cluster": "us1"},
			wantOK: true,
		},
		{
			name: "dropped by relabelling",
			in:   model.Metric{"alertstate": "firing", "alertname": "Watchdog", "severity": "none"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lr.alertLabels(tt.in)
			if ok != tt.wantOK || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("got %v %v, want %v %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
	if lr.relabel[0].Action != relabel.LabelDrop {
		t.Errorf("relabel[0] = %+v", lr.relabel[0])
	}
}

func TestSelector(t *testing.T) {
	tests := []struct {
		match, want, err string
	}{
		{"", `{__name__="ALERTS", alertstate="firing"}`, ""},
		{`{severity=~"critical|warning"}`, `{__name__="ALERTS", alertstate="firing", severity=~"critical|warning"}`, ""},
		{`ALERTS{team="payments"}`, `{__name__="ALERTS", alertstate="firing", team="payments"}`, ""},
		{`{alertstate="pending"}`, "", "alertstate is always"},
		{`up{job="x"}`, "", "leave out the metric name"},
		{`{severity=~"(}`, "", "--match"},
	}
	for _, tt := range tests {
		got, err := selector(tt.match)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("selector(%q) error %v, want one containing %q", tt.match, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("selector(%q) = %q, %v; want %q", tt.match, got, err, tt.want)
		}
	}
	if got := withNames(`{__name__="ALERTS"}`, []string{"A.b", "C"}); got != `{__name__="ALERTS", alertname=~"A\\.b|C"}` {
		t.Errorf("withNames = %s", got)
	}
}

// TestImportedEventsAreTheWebhooks: a life's events are the events the
// alertmanager decoder makes of the webhook Alertmanager sends for the same
// alert (written here as Alertmanager writes it: times in RFC 3339 with
// the milliseconds Prometheus posted), ids included; only the source
// differs.
func TestImportedEventsAreTheWebhooks(t *testing.T) {
	labels := map[string]string{"alertname": "HighErrorRate", "severity": "critical", "team": "payments",
		"service": "checkout", "instance": "api-1", "cluster": "eu1"}
	fp := fingerprint(labels)
	webhook := `{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0,"status":"resolved","receiver":"pagerlens",
	 "groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",
	 "alerts":[
	  {"status":"firing","labels":{"alertname":"HighErrorRate","severity":"critical","team":"payments","service":"checkout","instance":"api-1","cluster":"eu1"},
	   "annotations":{"summary":"5xx ratio above 5%"},"startsAt":"2026-03-02T10:02:07.25Z","endsAt":"2026-03-02T10:16:07.25Z","generatorURL":"http://prom:9090/graph","fingerprint":"` + fp + `"},
	  {"status":"resolved","labels":{"alertname":"HighErrorRate","severity":"critical","team":"payments","service":"checkout","instance":"api-1","cluster":"eu1"},
	   "annotations":{"summary":"5xx ratio above 5%"},"startsAt":"2026-03-02T10:02:07.25Z","endsAt":"2026-03-02T10:15:07.25Z","generatorURL":"http://prom:9090/graph","fingerprint":"` + fp + `"}]}`
	dec, err := decode.New(decode.Alertmanager, decode.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want, err := dec.Decode(decode.Message{Value: []byte(webhook)})
	if err != nil {
		t.Fatal(err)
	}
	l := life{labels: labels, title: "5xx ratio above 5%",
		start: mustMs(t, "2026-03-02T10:02:07.25Z"), end: mustMs(t, "2026-03-02T10:15:07.25Z")}
	rows, dl := decodeLife(dec, l)
	if dl != nil {
		t.Fatalf("dead letter: %+v", dl)
	}
	if len(rows) != 2 || len(want) != 2 {
		t.Fatalf("%d rows, %d webhook events", len(rows), len(want))
	}
	for i, r := range rows {
		if r.Event.Source != Source || r.Topic != Topic {
			t.Errorf("event %d: source %q topic %q", i, r.Event.Source, r.Topic)
		}
		got := r.Event
		got.Source = want[i].Source
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if want[0].Data.Team != "payments" || want[0].Data.Severity != "SEV1" || want[0].Data.AlertKey != fp {
		t.Errorf("webhook event %+v", want[0])
	}

	// A label over the limits: the decoder refuses the life, which becomes
	// a dead letter with the reason and the replayable webhook message.
	l.labels = map[string]string{"alertname": "X", "detail": strings.Repeat("x", 5000)}
	rows, dl = decodeLife(dec, l)
	if rows != nil || dl == nil || dl.Reason != string(event.ReasonLimitExceeded) || dl.Format != decode.Alertmanager {
		t.Fatalf("rows %v dead letter %+v", rows, dl)
	}
	if _, err := dec.Decode(decode.Message{Value: dl.Raw}); err == nil {
		t.Error("the dead letter's message decodes")
	}
}

func mustMs(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMilli()
}
