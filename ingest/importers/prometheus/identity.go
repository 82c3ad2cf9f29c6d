package prometheus

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/store"
)

// Identity: an imported alert must be the alert a live Alertmanager webhook
// delivers, so that both join into one alert life (analytics/alerts.go).
//
//   - Labels. An ALERTS series carries the alert's labels plus __name__ and
//     alertstate. Prometheus sends Alertmanager the alert's labels with the
//     global external_labels added (where the alert does not set them) and
//     alerting.alert_relabel_configs applied (notifier.relabelAlerts), then
//     each Alertmanager set's own alert_relabel_configs. labelRules redoes
//     that from the server's configuration.
//   - Key. The webhook decoder's alert_key is the webhook's fingerprint,
//     which Alertmanager computes as model.LabelSet.Fingerprint() of those
//     labels, printed as 16 hex digits (template.Data: a.Fingerprint().String()).
//   - Times. startsAt is the alert's FiredAt, the evaluation time of its first
//     firing sample; endsAt of a resolved alert is ResolvedAt, the evaluation
//     one interval after its last firing sample. Prometheus posts them to
//     Alertmanager through the v2 API, whose date-time format
//     (go-openapi/strfmt, RFC3339Millis) keeps milliseconds, as the TSDB
//     does (timestamp.FromTime): both truncate the same nanosecond time to the
//     same millisecond.
//   - Events. The importer writes the webhook message Alertmanager would
//     send and decodes it with the real alertmanager decoder, so mappings
//     (team, service, severity, alert name), labels and the derived ids
//     are the decoder's own: an imported start or end with the webhook's
//     startsAt/endsAt gets the webhook's event id, and is stored once.

// labelRules turns ALERTS labels into the labels Alertmanager receives.
type labelRules struct {
	external labels.Labels
	relabel  []*relabel.Config
}

// alertLabels returns the alert's labels as Alertmanager gets them; ok is
// false when alert relabelling drops the alert (Prometheus never sends it).
func (r labelRules) alertLabels(m model.Metric) (map[string]string, bool) {
	lb := labels.NewBuilder(labels.EmptyLabels())
	for k, v := range m {
		if k == model.MetricNameLabel || k == "alertstate" {
			continue
		}
		lb.Set(string(k), string(v))
	}
	r.external.Range(func(l labels.Label) {
		if lb.Get(l.Name) == "" {
			lb.Set(l.Name, l.Value)
		}
	})
	if !relabel.ProcessBuilder(lb, r.relabel...) {
		return nil, false
	}
	out := map[string]string{}
	lb.Labels().Range(func(l labels.Label) { out[l.Name] = l.Value })
	return out, true
}

// fingerprint is Alertmanager's fingerprint of a label set, as its webhook
// sends it.
func fingerprint(ls map[string]string) string {
	set := make(model.LabelSet, len(ls))
	for k, v := range ls {
		set[model.LabelName(k)] = model.LabelValue(v)
	}
	return set.Fingerprint().String()
}

// amMessage and amAlert are the Alertmanager webhook (version "4") as the
// alertmanager decoder reads it.
type amMessage struct {
	Version string    `json:"version"`
	Status  string    `json:"status"`
	Alerts  []amAlert `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    string            `json:"startsAt"`
	EndsAt      string            `json:"endsAt,omitempty"`
	Fingerprint string            `json:"fingerprint"`
}

// Source is the source of the imported events (the ids keep the
// alertmanager decoder's prefix, being its ids).
const Source = "prometheus"

// Topic is the store topic of the imported events and dead letters.
const Topic = "import/prometheus"

// life is one alert life ready to become events: times in Unix ms,
// already shifted by the rule query offset.
type life struct {
	labels map[string]string
	title  string
	start  int64
	end    int64 // 0 while still firing
}

// message is the webhook message Alertmanager would send for l: the firing
// notification and, for an ended life, the resolved one.
func (l life) message() []byte {
	fp := fingerprint(l.labels)
	ann := map[string]string(nil)
	if l.title != "" {
		ann = map[string]string{"summary": l.title}
	}
	starts := event.FormatTime(msTime(l.start))
	msg := amMessage{Version: "4", Status: "firing", Alerts: []amAlert{
		{Status: "firing", Labels: l.labels, Annotations: ann, StartsAt: starts, Fingerprint: fp},
	}}
	if l.end != 0 {
		msg.Status = "resolved"
		msg.Alerts = append(msg.Alerts, amAlert{Status: "resolved", Labels: l.labels, Annotations: ann,
			StartsAt: starts, EndsAt: event.FormatTime(msTime(l.end)), Fingerprint: fp})
	}
	b, err := json.Marshal(msg)
	if err != nil {
		// Maps of strings always marshal; keep the impossible visible.
		panic(fmt.Sprintf("prometheus import: marshal webhook message: %v", err))
	}
	return b
}

// decodeLife turns a life into events through the alertmanager decoder; a
// life the decoder refuses (say, a label value over the limits) becomes a
// dead letter holding the webhook message, which can be replayed with
// --format alertmanager once the cause is fixed.
func decodeLife(dec decode.Decoder, l life) ([]store.Row, *store.DeadLetter) {
	raw := l.message()
	evs, err := dec.Decode(decode.Message{Topic: Topic, Value: raw})
	if err != nil {
		reason := string(event.ReasonInvalidJSON)
		var e *event.Error
		if errors.As(err, &e) {
			reason = string(e.Reason)
		}
		return nil, &store.DeadLetter{Raw: raw, Topic: Topic, Offset: rawOffset(raw),
			Format: decode.Alertmanager, Reason: reason, Error: err.Error()}
	}
	rows := make([]store.Row, 0, len(evs))
	for _, e := range evs {
		e.Source = Source
		rows = append(rows, store.Row{Event: e, Topic: Topic, Offset: e.Time.UnixMilli()})
	}
	return rows, nil
}

// rawOffset is a dead letter's offset: a hash of its bytes, so that a
// re-import does not write the same dead letter twice (the store skips a
// (topic, partition, offset) it already holds).
func rawOffset(raw []byte) int64 {
	h := fnv.New64a()
	h.Write(raw)
	return int64(h.Sum64() & math.MaxInt64)
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// literalTitle is a rule's summary annotation when it is plain text: a
// templated one ({{ $labels.x }}) was expanded per alert, which ALERTS does
// not keep.
func literalTitle(ann model.LabelSet) string {
	s := string(ann["summary"])
	if s == "" {
		s = string(ann["title"])
	}
	if strings.Contains(s, "{{") {
		return ""
	}
	return s
}
