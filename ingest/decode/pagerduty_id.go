package decode

import (
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// PagerDutyID is the id of a canonical PagerDuty event, whichever way it
// came: a Webhooks V3 delivery (this package's decoder) or the REST API's
// log entries (ingest/importers/pagerduty). The two carry no common event
// id (a webhook event's id is not a log entry's), so the id is derived from
// what both describe alike, after mapping:
//
//   - incident.role_assigned: type, incident, role, responder (the rule it
//     always had: the same assignment seen again is stored once);
//   - page.notified: type, incident, time, responder, channel (several
//     people, and one person on several channels, are notified at once);
//   - incident.status_update: type, incident, time, responder;
//   - every other type (trigger, acknowledge, resolve, reopen, escalate,
//     reassign, severity change): type, incident, time. The agent is left
//     out on purpose: PagerDuty records one transition of a kind per
//     incident and instant, and the two paths may name the agent
//     differently (a webhook's null agent, a log entry's service).
//
// The time is truncated to the second: a webhook's occurred_at has
// milliseconds ("2020-10-02T18:45:22.169Z" in PagerDuty's examples), a log
// entry's created_at whole seconds ("2015-11-07T00:14:20Z"), so the same
// transition agrees only to the second. Two transitions of one kind on one
// incident within one second are therefore stored once.
//
// The store's migration 5 (store/schema.go) recomputes this rule in SQL for
// the PagerDuty events stored under the old id (pagerduty- + the webhook
// event id); TestPagerDutyIDMigration in the store checks that the two agree.
// Changing this function makes stored events come back as new ones: a new
// rule needs a new migration.
func PagerDutyID(e *event.Event) string {
	d := &e.Data
	switch e.Type {
	case event.IncidentRoleAssigned:
		return derivedID(PagerDuty, string(e.Type), d.IncidentID, d.Role, d.Responder)
	case event.PageNotified:
		return derivedID(PagerDuty, string(e.Type), d.IncidentID, pdIDTime(e.Time), d.Responder, d.Channel)
	case event.IncidentStatusUpdate:
		return derivedID(PagerDuty, string(e.Type), d.IncidentID, pdIDTime(e.Time), d.Responder)
	}
	return derivedID(PagerDuty, string(e.Type), d.IncidentID, pdIDTime(e.Time))
}

// pdIDTime is the instant as the id hashes it: UTC, whole seconds, RFC 3339.
func pdIDTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// PagerDutyRef is PagerDuty's {id, type, summary} reference object.
type PagerDutyRef = ref

// PagerDutyIncident is what the PagerDuty mapping reads of an incident: the
// webhook's data object, or an incident of the REST API (both have these
// fields under the same names).
type PagerDutyIncident struct {
	ID               string
	Key              string // incident_key
	Title            string
	Urgency          string
	Service          *PagerDutyRef
	EscalationPolicy *PagerDutyRef
	Priority         *PagerDutyRef
	Teams            []PagerDutyRef
}

// PagerDutyMapper applies the PagerDuty mapping (Mappings.PagerDuty over its
// defaults, docs/sources.md) to what the REST API returns, exactly as the
// webhook decoder applies it to a webhook, so that an imported incident and
// a webhook-delivered one carry the same team, service and severity.
type PagerDutyMapper struct{ mp mapper }

// NewPagerDutyMapper makes the mapper of ms.PagerDuty over the defaults.
func NewPagerDutyMapper(ms Mappings) (PagerDutyMapper, error) {
	if err := ms.Validate(); err != nil {
		return PagerDutyMapper{}, err
	}
	return PagerDutyMapper{mp: newMapper(ms.For(PagerDuty))}, nil
}

// Incident returns team, service and severity of inc.
func (m PagerDutyMapper) Incident(inc *PagerDutyIncident) (team, service, severity string) {
	r := m.mp.resolve(func(sel string) string { return pdSelectIncident(inc, sel) })
	return r.Team, r.Service, r.Severity
}

// Team maps a team as the incident mapping would if it were an incident's
// first team (for on-call shifts, whose schedule names the team).
func (m PagerDutyMapper) Team(t PagerDutyRef) string {
	return m.mp.resolve(func(sel string) string {
		switch sel {
		case "team":
			return t.Summary
		case "team_id":
			return t.ID
		}
		return ""
	}).Team
}

// Responder is the configured identity of a user (id or name).
func (m PagerDutyMapper) Responder(id, name string) string { return m.mp.responder(id, name) }

// IsUser reports whether a reference type names a user (an agent may be a
// service, an integration or null).
func (PagerDutyMapper) IsUser(refType string) bool { return isPDUser(refType) }

// pdSelectIncident answers the PagerDuty mapping selectors (docs/sources.md).
func pdSelectIncident(d *PagerDutyIncident, sel string) string {
	switch sel {
	case "team":
		if len(d.Teams) > 0 {
			return d.Teams[0].Summary
		}
	case "team_id":
		if len(d.Teams) > 0 {
			return d.Teams[0].ID
		}
	case "service":
		if d.Service != nil {
			return d.Service.Summary
		}
	case "service_id":
		if d.Service != nil {
			return d.Service.ID
		}
	case "escalation_policy":
		if d.EscalationPolicy != nil {
			return d.EscalationPolicy.Summary
		}
	case "priority":
		if d.Priority != nil {
			return d.Priority.Summary
		}
	case "urgency":
		return d.Urgency
	}
	return ""
}
