package decode

import (
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(PagerDuty, func(o Options) Decoder {
		return pagerDuty{lim: o.Limits, mp: newMapper(o.Mappings.For(PagerDuty)), opts: o}
	})
}

// pagerDuty decodes PagerDuty Webhooks V3: {"event": {...}}, one event per
// message. The canonical id is PagerDutyID's, derived from the transition
// (incident, type, time to the second, and who where it matters), not the
// webhook event's id: the REST API's log entries, which the importer reads,
// do not carry that id, and the same transition must be stored once
// whichever way it came. A redelivery gets the same id too.
type pagerDuty struct {
	lim  event.Limits
	mp   mapper
	opts Options
}

func (pagerDuty) Format() string { return PagerDuty }

type pdMessage struct {
	Event *pdEvent `json:"event"`
}

type pdEvent struct {
	ID           string `json:"id"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	OccurredAt   string `json:"occurred_at"`
	Agent        *ref   `json:"agent"`
	Data         pdData `json:"data"`
}

// pdData is the union of the data shapes we read (PagerDuty's developer
// docs, webhooks/01-Overview.md, "Event Data Types"): an incident for most
// event types, an incident_responder for responder.added, an
// incident_status_update ({incident, id, message, trimmed, type}: the author
// is the event's agent, not a field of its own) for status_update_published,
// an incident_role_assignment for role.assigned.
type pdData struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	IncidentKey      string `json:"incident_key"`
	Title            string `json:"title"`
	Urgency          string `json:"urgency"`
	Service          *ref   `json:"service"`
	Teams            []ref  `json:"teams"`
	Assignees        []ref  `json:"assignees"`
	Priority         *ref   `json:"priority"`
	EscalationPolicy *ref   `json:"escalation_policy"`
	// incident_responder and incident_status_update
	Incident *ref `json:"incident"`
	User     *ref `json:"user"`
	// incident_role_assignment
	RoleAssignments []pdRoleAssignment `json:"incident_role_assignments"`
}

// pdRoleAssignment is one entry of an incident_role_assignment. Role is a
// role_reference whose summary is the role's display name ("Incident
// Commander", "Customer Liaison" or one the account made).
type pdRoleAssignment struct {
	Assignee *ref   `json:"assignee"`
	Incident *ref   `json:"incident"`
	Role     *ref   `json:"role"`
	Status   string `json:"status"`
}

// pdTypes are the PagerDuty event types with a canonical meaning.
var pdTypes = map[string]event.Type{
	"incident.triggered":               event.IncidentTriggered,
	"incident.acknowledged":            event.IncidentAcknowledged,
	"incident.resolved":                event.IncidentResolved,
	"incident.reopened":                event.IncidentReopened,
	"incident.reassigned":              event.IncidentReassigned,
	"incident.delegated":               event.IncidentReassigned, // to another escalation policy
	"incident.service_updated":         event.IncidentReassigned, // moved to another service, i.e. another team
	"incident.escalated":               event.IncidentEscalated,
	"incident.priority_updated":        event.IncidentSeverityChanged,
	"incident.responder.added":         event.PageNotified,
	"incident.status_update_published": event.IncidentStatusUpdate,
	"incident.role.assigned":           event.IncidentRoleAssigned,
}

// pdSkipped are incident event types PagerDuty sends that have no canonical
// meaning; they decode to no events (not a dead letter), because an account
// subscribed to all incident events sends them all the time.
// incident.unacknowledged is PagerDuty's ack timeout putting the incident
// back to triggered: the model has no "unacknowledged", and the first ack
// still gives the time to acknowledge. incident.task.* (the incident's
// response tasks, status todo/done) are not post-incident action items, so
// they are skipped too; being a documented kind of work that pagerlens
// leaves out, each is also counted as a warning (pdTaskSkipped).
var pdSkipped = map[string]bool{
	"incident.unacknowledged":              true,
	"incident.annotated":                   true,
	"incident.responder.replied":           true,
	"incident.conference_bridge.updated":   true,
	"incident.custom_field_values.updated": true,
	"incident.incident_type.changed":       true,
	"incident.task.created":                true,
	"incident.task.updated":                true,
	"incident.task.completed":              true,
}

// pdTaskSkipped is the warning counted for each skipped incident.task.*.
const pdTaskSkipped = "task_skipped"

func (d pagerDuty) Decode(m Message) ([]event.Event, error) {
	var msg pdMessage
	if err := unmarshal(m.Value, &msg, d.lim); err != nil {
		return nil, withContext(err, "pagerduty")
	}
	if msg.Event == nil {
		return nil, errf(event.ReasonUnknownFormat, "event", "pagerduty: no event object (not a Webhooks V3 body)")
	}
	pe := msg.Event
	if pe.EventType == "" {
		return nil, errf(event.ReasonMissingField, "event.event_type", "pagerduty: required")
	}
	typ, ok := pdTypes[pe.EventType]
	if !ok {
		// Anything outside incident.* (service.*, pagey.ping) and the
		// workflow/automation sub-resources is not about paging; an unknown
		// incident.* type is dead-lettered so that a new PagerDuty event
		// type gets noticed (and mapped) rather than silently ignored.
		if pdSkipped[pe.EventType] && strings.HasPrefix(pe.EventType, "incident.task.") {
			d.opts.warn(PagerDuty, pdTaskSkipped)
			return nil, nil
		}
		if pdSkipped[pe.EventType] || !strings.HasPrefix(pe.EventType, "incident.") ||
			strings.HasPrefix(pe.EventType, "incident.workflow.") || strings.HasPrefix(pe.EventType, "incident.action_invocation.") {
			return nil, nil
		}
		return nil, errf(event.ReasonUnknownType, "event.event_type", "pagerduty: %q has no canonical mapping", short(pe.EventType))
	}
	if pe.ID == "" {
		return nil, errf(event.ReasonMissingField, "event.id", "pagerduty %s: required", pe.EventType)
	}
	t, ok, err := parseTime("event.occurred_at", pe.OccurredAt)
	if err != nil {
		return nil, withContext(err, "pagerduty %s", short(pe.ID))
	}
	if !ok {
		return nil, errf(event.ReasonMissingField, "event.occurred_at", "pagerduty %s: required", short(pe.ID))
	}
	// Whole seconds, as the REST API's log entries have them: the same
	// transition by either path has the same id (PagerDutyID) and the same
	// time, which the store's duplicate check relies on (a duplicate
	// carries its original's time).
	t = t.Truncate(time.Second)
	e := event.Event{Source: PagerDuty, Type: typ, Time: t}
	pd := &pe.Data
	agentUser := ""
	if pe.Agent != nil && isPDUser(pe.Agent.Type) {
		agentUser = d.mp.responder(pe.Agent.ID, pe.Agent.Summary)
	}

	switch typ {
	case event.PageNotified:
		// An escalation policy added as responder names no person: there is
		// no page to a responder to record (its members' pages are not in
		// this payload).
		if pd.User == nil || pd.Incident == nil {
			return nil, nil
		}
		e.Data = event.Data{IncidentID: pd.Incident.ID, Responder: d.mp.responder(pd.User.ID, pd.User.Summary)}
		e.ID = PagerDutyID(&e)
		return finish([]event.Event{e}, d.lim)
	case event.IncidentStatusUpdate:
		if pd.Incident == nil {
			return nil, errf(event.ReasonMissingField, "event.data.incident", "pagerduty %s: required", short(pe.ID))
		}
		// Status updates go to the incident's subscribers: stakeholders.
		// Their author is the event's agent (the data has no sender).
		e.Data = event.Data{IncidentID: pd.Incident.ID, Audience: "stakeholders", Responder: agentUser}
		e.ID = PagerDutyID(&e)
		return finish([]event.Event{e}, d.lim)
	case event.IncidentRoleAssigned:
		return d.roleAssignments(pe, t)
	}

	inc := PagerDutyIncident{ID: pd.ID, Key: pd.IncidentKey, Title: pd.Title, Urgency: pd.Urgency,
		Service: pd.Service, EscalationPolicy: pd.EscalationPolicy, Priority: pd.Priority, Teams: pd.Teams}
	team, service, severity := PagerDutyMapper{mp: d.mp}.Incident(&inc)
	e.Data = event.Data{
		IncidentID: pd.ID, AlertKey: pd.IncidentKey, Title: pd.Title,
		Service: service, Team: team, Severity: severity, Urgency: pd.Urgency,
	}
	switch typ {
	case event.IncidentTriggered:
		// A service or integration opened it, or automation (a null agent):
		// an alert. Only a user is a human.
		e.Data.DetectedBy = event.DetectedByAlert
		if pe.Agent != nil && isPDUser(pe.Agent.Type) {
			e.Data.DetectedBy = event.DetectedByHuman
		}
	case event.IncidentReassigned, event.IncidentEscalated:
		// The responder is whom the incident now sits with, not who moved it.
		if len(pd.Assignees) > 0 {
			e.Data.Responder = d.mp.responder(pd.Assignees[0].ID, pd.Assignees[0].Summary)
		}
	case event.IncidentResolved:
		// A null agent is automation (an auto-resolve, an integration):
		// the system, like a service or integration agent.
		e.Data.Responder = agentUser
		e.Data.ResolvedBy = event.ResolvedBySystem
		if pe.Agent != nil && isPDUser(pe.Agent.Type) {
			e.Data.ResolvedBy = event.ResolvedByHuman
		}
	default: // acknowledged, reopened, severity changes: who did it
		e.Data.Responder = agentUser
	}
	e.ID = PagerDutyID(&e)
	return finish([]event.Event{e}, d.lim)
}

// roleAssignments maps incident.role.assigned, sent when an incident role is
// assigned or unassigned: one incident.role_assigned per active assignment
// of a user to a role that maps to a canonical one (role_map, by the role's
// display name). Whether PagerDuty lists only the changed assignment or all
// of the incident's is not documented, so the id is derived from incident,
// role and assignee, as for incident.io: the same assignment seen again
// (or redelivered) is stored once, at the first time it was seen.
func (d pagerDuty) roleAssignments(pe *pdEvent, t time.Time) ([]event.Event, error) {
	var evs []event.Event
	for _, ra := range pe.Data.RoleAssignments {
		if ra.Incident == nil || ra.Role == nil || ra.Assignee == nil || !isPDUser(ra.Assignee.Type) {
			continue // e.g. an unassignment, which names no assignee
		}
		if ra.Status != "" && !strings.EqualFold(ra.Status, "active") {
			continue
		}
		role := d.mp.role(ra.Role.Summary)
		who := d.mp.responder(ra.Assignee.ID, ra.Assignee.Summary)
		if role == "" || who == "" || ra.Incident.ID == "" {
			continue
		}
		e := event.Event{Source: PagerDuty, Type: event.IncidentRoleAssigned, Time: t,
			Data: event.Data{IncidentID: ra.Incident.ID, Role: role, Responder: who}}
		e.ID = PagerDutyID(&e)
		evs = append(evs, e)
	}
	if len(evs) == 0 {
		return nil, nil
	}
	return finish(evs, d.lim)
}

func isPDUser(refType string) bool { return strings.HasPrefix(refType, "user") }
