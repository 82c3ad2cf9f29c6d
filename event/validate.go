package event

import (
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones embedded: responder_tz must resolve on a bare container
)

// Validate checks e against the canonical model: a known type, an id, a time
// in range, the data fields its type requires, enumerated values, and lim.
func Validate(e *Event, lim Limits) error { return validate(e, lim, false) }

// validate is Validate. stringsClean says the caller has proven that no
// string of e holds a NUL byte or is longer than lim.MaxStringBytes, so the
// per-string checks, which would pass, are skipped: Decode's scanner knows
// it for nearly every message (no escapes, message within the limit), and
// those checks were a sixth of Decode.
func validate(e *Event, lim Limits, stringsClean bool) error {
	if e.ID == "" {
		return errorf(ReasonMissingField, "id", "required")
	}
	if len(e.ID) > lim.MaxIDBytes {
		return errorf(ReasonLimitExceeded, "id", "%d bytes, limit %d", len(e.ID), lim.MaxIDBytes)
	}
	if e.Type == "" {
		return errorf(ReasonMissingField, "type", "required")
	}
	if !e.Type.Known() {
		return errorf(ReasonUnknownType, "type", "%q is not a canonical event type", truncate(string(e.Type)))
	}
	if e.Time.IsZero() {
		return errorf(ReasonMissingField, "time", "required")
	}
	if err := checkTime("time", e.Time, lim); err != nil {
		return err
	}
	d := &e.Data
	if d.StartedAt != nil {
		if err := checkTime("data.started_at", *d.StartedAt, lim); err != nil {
			return err
		}
	}
	if err := checkStrings(e, lim, stringsClean); err != nil {
		return err
	}
	if err := checkRequired(e); err != nil {
		return err
	}
	if d.ResolvedBy != "" && d.ResolvedBy != ResolvedBySystem && d.ResolvedBy != ResolvedByHuman {
		return errorf(ReasonBadValue, "data.resolved_by", "%q: want system or human", truncate(d.ResolvedBy))
	}
	switch d.DetectedBy {
	case "", DetectedByAlert, DetectedByHuman, DetectedByCustomer:
	default:
		return errorf(ReasonBadValue, "data.detected_by", "%q: want alert, human or customer", truncate(d.DetectedBy))
	}
	if e.Type == IncidentRoleAssigned && !slices.Contains(Roles, d.Role) {
		return errorf(ReasonBadValue, "data.role", "%q: want one of %s", truncate(d.Role), strings.Join(Roles, ", "))
	}
	if d.Audience != "" && !slices.Contains(Audiences, d.Audience) {
		return errorf(ReasonBadValue, "data.audience", "%q: want one of %s", truncate(d.Audience), strings.Join(Audiences, ", "))
	}
	if d.ResponderTZ != "" {
		if _, err := Location(d.ResponderTZ); err != nil {
			return errorf(ReasonBadValue, "data.responder_tz", "%q is not an IANA time zone", truncate(d.ResponderTZ))
		}
	}
	return nil
}

func checkTime(field string, t time.Time, lim Limits) error {
	if t.Before(lim.MinTime) || !t.Before(lim.MaxTime) {
		return errorf(ReasonBadTime, field, "%s is outside the accepted range [%s, %s)",
			t.UTC().Format(time.RFC3339), lim.MinTime.Format("2006-01-02"), lim.MaxTime.Format("2006-01-02"))
	}
	return nil
}

// checkRequired enforces the fields each kind of event cannot do without.
func checkRequired(e *Event) error {
	d := &e.Data
	need := func(field, v string) error {
		if v == "" {
			return errorf(ReasonMissingField, "data."+field, "required for %s", e.Type)
		}
		return nil
	}
	switch e.Type.Kind() {
	case KindAlert:
		return need("alert_key", d.AlertKey)
	case KindIncident:
		if err := need("incident_id", d.IncidentID); err != nil {
			return err
		}
		if e.Type == IncidentRoleAssigned {
			return need("responder", d.Responder)
		}
	case KindPage:
		if err := need("responder", d.Responder); err != nil {
			return err
		}
		if d.IncidentID == "" && d.AlertKey == "" {
			return errorf(ReasonMissingField, "data.incident_id", "page.notified needs incident_id or alert_key")
		}
	case KindShift:
		return need("responder", d.Responder)
	case KindActionItem:
		if err := need("action_id", d.ActionID); err != nil {
			return err
		}
		return need("incident_id", d.IncidentID)
	}
	return nil
}

func checkStrings(e *Event, lim Limits, clean bool) error {
	d := &e.Data
	if clean {
		if len(d.Labels) > lim.MaxLabels {
			return errorf(ReasonLimitExceeded, "data.labels", "%d labels, limit %d", len(d.Labels), lim.MaxLabels)
		}
		return nil
	}
	fields := [...]struct {
		name, v string
	}{
		{"source", e.Source}, {"data.incident_id", d.IncidentID}, {"data.alert_key", d.AlertKey},
		{"data.alert_name", d.AlertName}, {"data.title", d.Title}, {"data.service", d.Service},
		{"data.team", d.Team}, {"data.severity", d.Severity}, {"data.urgency", d.Urgency},
		{"data.responder", d.Responder}, {"data.responder_tz", d.ResponderTZ}, {"data.channel", d.Channel},
		{"data.schedule", d.Schedule}, {"data.detected_by", d.DetectedBy}, {"data.resolved_by", d.ResolvedBy},
		{"data.role", d.Role}, {"data.audience", d.Audience}, {"data.action_id", d.ActionID},
	}
	if hasNUL(e.ID) {
		return errorf(ReasonBadValue, "id", "contains a NUL byte")
	}
	for _, f := range fields {
		if err := checkString(f.name, f.v, lim.MaxStringBytes); err != nil {
			return err
		}
	}
	if len(d.Labels) > lim.MaxLabels {
		return errorf(ReasonLimitExceeded, "data.labels", "%d labels, limit %d", len(d.Labels), lim.MaxLabels)
	}
	for k, v := range d.Labels {
		if err := checkString("data.labels key", k, lim.MaxStringBytes); err != nil {
			return err
		}
		if len(v) > lim.MaxStringBytes || hasNUL(v) {
			// The field name is built only here: Decode validates every
			// event, and the concatenation was an allocation per label.
			return checkString("data.labels."+truncate(k), v, lim.MaxStringBytes)
		}
	}
	return nil
}

// checkString takes the one limit it needs, not Limits: it runs for every
// string of every event, and copying the 80-byte struct each time showed.
func checkString(field, v string, max int) error {
	if len(v) > max {
		return errorf(ReasonLimitExceeded, field, "%d bytes, limit %d", len(v), max)
	}
	if hasNUL(v) {
		return errorf(ReasonBadValue, field, "contains a NUL byte")
	}
	return nil
}

// hasNUL reports whether v contains a NUL byte. Validate asks it of every
// string of every event; for the usual short ones a plain loop beats a call
// to the assembly of strings.IndexByte (measured: Validate 206 → 150 ns).
func hasNUL(v string) bool {
	if len(v) > 32 {
		return strings.IndexByte(v, 0) >= 0
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return true
		}
	}
	return false
}

// truncate keeps error messages (and so dead-letter reasons) short when the
// offending value is huge.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

var locations sync.Map // name → *time.Location

// Location resolves an IANA time zone name, caching the result: it is called
// for every page at ingest.
func Location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	if name == "" || name == "Local" {
		// "" and "Local" resolve to the host's zone: never what a responder means.
		return nil, errorf(ReasonBadValue, "", "%q is not an IANA time zone", name)
	}
	locations.Store(name, l)
	return l, nil
}
