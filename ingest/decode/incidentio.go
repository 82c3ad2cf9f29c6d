package decode

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(IncidentIO, func(o Options) Decoder {
		return incidentIO{lim: o.Limits, mp: newMapper(o.Mappings.For(IncidentIO))}
	})
}

// incidentIO decodes incident.io webhooks: {"event_type": T, T: {...}}.
// Event ids follow IncidentIOID (incident_id.go), not the delivery's
// webhook-id header, so that an event delivered by webhook and imported
// from the REST API (ingest/importers/incidentio) is stored once; a retried
// delivery gets the same ids all the same.
//
// What sits under T depends on T (incident.io's OpenAPI spec, x-webhooks):
// for incident_created_v2 and incident_updated_v2 it is the incident itself
// (WebhookIncidentV2); only incident_status_updated_v2 wraps it, as
// {incident, previous_status, new_status, message}.
type incidentIO struct {
	lim event.Limits
	mp  mapper
}

func (incidentIO) Format() string { return IncidentIO }

// iioStatusChange is incident_status_updated_v2's payload.
type iioStatusChange struct {
	Incident       *IncidentIOIncident `json:"incident"`
	PreviousStatus *IncidentIOStatus   `json:"previous_status"`
	NewStatus      *IncidentIOStatus   `json:"new_status"`
	Message        string              `json:"message"`
}

// IncidentIOIncident is an incident as incident.io serialises it in its
// webhooks (WebhookIncidentV2) and its API (IncidentV2, GET /v2/incidents):
// the fields pagerlens reads.
type IncidentIOIncident struct {
	ID        string `json:"id"`
	Reference string `json:"reference"`
	Name      string `json:"name"`
	// Mode is standard, retrospective, test or tutorial.
	Mode     string `json:"mode"`
	Severity *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"severity"`
	Status          *IncidentIOStatus `json:"incident_status"`
	RoleAssignments []struct {
		Role *struct {
			RoleType string `json:"role_type"`
			Name     string `json:"name"`
		} `json:"role"`
		Assignee *struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"assignee"`
	} `json:"incident_role_assignments"`
	// TimestampValues are the organisation's incident timestamps ("Impact
	// started", "Reported at", …), each with a value once it is set.
	TimestampValues []struct {
		Timestamp *struct {
			Name string `json:"name"`
		} `json:"incident_timestamp"`
		Value *struct {
			Value string `json:"value"`
		} `json:"value"`
	} `json:"incident_timestamp_values"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// IncidentIOStatus is an incident status; Category is one of triage, declined,
// merged, canceled, live, learning, closed, paused.
type IncidentIOStatus struct {
	Name     string `json:"name"`
	Category string `json:"category"`
}

const (
	iioCreated       = "public_incident.incident_created_v2"
	iioUpdated       = "public_incident.incident_updated_v2"
	iioStatusUpdated = "public_incident.incident_status_updated_v2"
)

func (d incidentIO) Decode(m Message) ([]event.Event, error) {
	var top map[string]json.RawMessage
	if err := unmarshal(m.Value, &top, d.lim); err != nil {
		return nil, withContext(err, "incidentio")
	}
	var evType string
	if raw, ok := top["event_type"]; !ok || json.Unmarshal(raw, &evType) != nil || evType == "" {
		return nil, errf(event.ReasonUnknownFormat, "event_type", "incidentio: no event_type string")
	}
	switch {
	case evType == iioCreated || evType == iioUpdated || evType == iioStatusUpdated:
	case strings.HasPrefix(evType, "private_incident."):
		// Private incidents' webhooks carry only the id (the content is
		// fetched with an API key): nothing to record.
		return nil, nil
	default:
		return nil, errf(event.ReasonUnknownType, "event_type", "incidentio: %q has no canonical mapping", short(evType))
	}
	raw, ok := top[evType]
	if !ok || string(raw) == "null" {
		return nil, errf(event.ReasonMissingField, evType, "incidentio: no %s object", evType)
	}
	var (
		inc    *IncidentIOIncident
		change iioStatusChange
		field  = evType // JSON path of the incident, for errors
	)
	if evType == iioStatusUpdated {
		if err := unmarshal(raw, &change, d.lim); err != nil {
			return nil, withContext(err, "incidentio %s", evType)
		}
		inc, field = change.Incident, evType+".incident"
	} else {
		inc = new(IncidentIOIncident)
		if err := unmarshal(raw, inc, d.lim); err != nil {
			return nil, withContext(err, "incidentio %s", evType)
		}
	}
	if inc == nil || inc.ID == "" {
		return nil, errf(event.ReasonMissingField, field+".id", "incidentio: required")
	}
	if inc.Skipped() {
		// Not real incidents: counting them would skew every figure.
		return nil, nil
	}
	timeField, timeStr := field+".updated_at", inc.UpdatedAt
	if evType == iioCreated {
		timeField, timeStr = field+".created_at", inc.CreatedAt
	}
	t, ok, err := parseTime(timeField, timeStr)
	if err != nil {
		return nil, withContext(err, "incidentio %s", short(inc.ID))
	}
	if !ok {
		t = fallbackTime(m)
	}
	mp := IncidentIOMapper{mp: d.mp, lim: d.lim}
	var evs []event.Event
	switch evType {
	case iioCreated:
		evs = append(evs, mp.Triggered(inc, t))
	case iioUpdated:
		// incident.io sends the whole incident, not what changed: the id of
		// a severity is the incident and the severity (IncidentIOID), so
		// repeated updates at one severity are stored once and each new
		// severity once, at the first update that shows it (a return to an
		// earlier severity is not seen).
		if e, ok := mp.SeverityChanged(inc, t); ok {
			evs = append(evs, e)
		}
	case iioStatusUpdated:
		evs = append(evs, mp.StatusChanged(inc, change.PreviousStatus, change.NewStatus, t)...)
	}
	evs = append(evs, mp.Roles(inc, t)...)
	return finish(evs, d.lim)
}

// impactStarted is the incident's "Impact started" timestamp, if set: the
// start of customer impact, which precedes the incident's creation when it
// was declared late. An unreadable value is ignored, as is one outside the
// accepted time range (it is an optional enrichment, not a reason to lose
// the incident).
func (inc *IncidentIOIncident) impactStarted() (time.Time, bool) {
	for _, tv := range inc.TimestampValues {
		if tv.Timestamp == nil || tv.Value == nil || !strings.EqualFold(tv.Timestamp.Name, "Impact started") {
			continue
		}
		if t, ok, err := parseTime("", tv.Value.Value); ok && err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// iioLifecycle maps a status change to a lifecycle event. closed is
// resolved; learning (the post-incident flow) means the impact is over, so
// mitigated; back to live from either is a reopen. triage, declined, merged,
// canceled and paused have no canonical counterpart.
func iioLifecycle(prev, next, current *IncidentIOStatus) event.Type {
	if next == nil {
		next = current
	}
	if next == nil {
		return ""
	}
	switch strings.ToLower(next.Category) {
	case "closed":
		return event.IncidentResolved
	case "learning", "post-incident":
		return event.IncidentMitigated
	case "live":
		if prev != nil {
			switch strings.ToLower(prev.Category) {
			case "closed", "learning", "post-incident":
				return event.IncidentReopened
			}
		}
	}
	return ""
}

// fallbackTime is the webhook-timestamp header (Unix seconds, the time of
// sending), else the record's time: used only when the payload has none.
func fallbackTime(m Message) time.Time {
	if s := header(m.Headers, "webhook-timestamp"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return m.Time.UTC()
}
