package decode

import (
	"fmt"
	"slices"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(Alertmanager, func(o Options) Decoder { return newAMDecoder(Alertmanager, "4", o) })
}

// amDecoder decodes the Alertmanager webhook (version "4") and, with
// version "1", Grafana Alerting's webhook contact point, which copies its
// shape. Each element of alerts[] becomes one alert event; the group-level
// fields are ignored because every alert carries its own labels.
type amDecoder struct {
	format, version string
	opts            Options
	mp              mapper
}

func newAMDecoder(format, version string, o Options) amDecoder {
	return amDecoder{format: format, version: version, opts: o, mp: newMapper(o.Mappings.For(format))}
}

func (d amDecoder) Format() string { return d.format }

type amMessage struct {
	Version         string    `json:"version"`
	Status          string    `json:"status"`
	TruncatedAlerts int       `json:"truncatedAlerts"`
	Alerts          []amAlert `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    string            `json:"startsAt"`
	EndsAt      string            `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

func (d amDecoder) Decode(m Message) ([]event.Event, error) {
	var msg amMessage
	if err := unmarshal(m.Value, &msg, d.opts.Limits); err != nil {
		return nil, withContext(err, "%s", d.format)
	}
	if msg.Version != d.version {
		// Another version of the webhook may mean other semantics: refuse
		// rather than guess.
		return nil, errf(event.ReasonUnknownFormat, "version", "%s: webhook version %q, want %q", d.format, short(msg.Version), d.version)
	}
	if msg.Alerts == nil {
		return nil, errf(event.ReasonUnknownFormat, "alerts", "%s: no alerts array", d.format)
	}
	if msg.TruncatedAlerts > 0 {
		// Alertmanager dropped alerts to respect max_alerts: those alerts are
		// lost to us, which an operator must see counted.
		d.opts.warn(d.format, amTruncatedAlerts)
	}
	evs := make([]event.Event, 0, len(msg.Alerts))
	for i, a := range msg.Alerts {
		e, err := d.alert(a, msg.Status, fmt.Sprintf("alerts[%d]", i))
		if err != nil {
			return nil, withContext(err, "%s", d.format)
		}
		evs = append(evs, e)
	}
	return finish(evs, d.opts.Limits)
}

func (d amDecoder) alert(a amAlert, groupStatus, path string) (event.Event, error) {
	key := a.Fingerprint
	if key == "" {
		// Alertmanager's fingerprint is a hash of the label set; without it,
		// hash the labels ourselves so firing and resolved still pair up.
		if len(a.Labels) == 0 {
			return event.Event{}, errf(event.ReasonMissingField, path+".fingerprint", "required when the alert has no labels")
		}
		key = labelsKey(d.format, a.Labels)
	}
	status := a.Status
	if status == "" {
		status = groupStatus
	}
	starts, hasStart, err := parseTime(path+".startsAt", a.StartsAt)
	if err != nil {
		return event.Event{}, err
	}
	r := d.mp.resolve(func(label string) string { return a.Labels[label] })
	e := event.Event{Source: d.format, Data: event.Data{
		AlertKey: key, AlertName: r.AlertName, Title: title(a.Annotations),
		Service: r.Service, Team: r.Team, Severity: r.Severity,
		Labels: labelsWithout(a.Labels, r.used),
	}}
	switch status {
	case "firing":
		if !hasStart {
			return event.Event{}, errf(event.ReasonMissingField, path+".startsAt", "required for a firing alert")
		}
		// endsAt of a firing alert is only Alertmanager's resolve timeout,
		// moved forward on every notification: it says nothing and would
		// make each repeat notification a new event.
		e.Type, e.Time = event.AlertTriggered, starts
		e.ID = derivedID(d.format, key, status, event.FormatTime(starts))
	case "resolved":
		ends, ok, err := parseTime(path+".endsAt", a.EndsAt)
		if err != nil {
			return event.Event{}, err
		}
		if !ok {
			return event.Event{}, errf(event.ReasonMissingField, path+".endsAt", "required for a resolved alert")
		}
		startKey := ""
		if hasStart {
			startKey = event.FormatTime(starts)
		}
		e.Type, e.Time = event.AlertResolved, ends
		e.ID = derivedID(d.format, key, status, startKey, event.FormatTime(ends))
		e.Data.ResolvedBy = event.ResolvedBySystem // the alert condition cleared
	case "":
		return event.Event{}, errf(event.ReasonMissingField, path+".status", "required")
	default:
		return event.Event{}, errf(event.ReasonBadValue, path+".status", "%q: want firing or resolved", short(status))
	}
	return e, nil
}

// labelsKey hashes a label set in sorted order.
func labelsKey(format string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fields := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		fields = append(fields, k, labels[k])
	}
	return derivedID(format+"-labels", fields...)
}

// title is the human-readable line of an alert: its summary annotation (the
// Prometheus convention), else title.
func title(ann map[string]string) string {
	if s := ann["summary"]; s != "" {
		return s
	}
	return ann["title"]
}
