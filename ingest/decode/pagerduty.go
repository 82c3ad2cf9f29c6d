package decode

import (
	"strings"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(PagerDuty, func(o Options) Decoder {
		return pagerDuty{lim: o.Limits, mp: newMapper(o.Mappings.For(PagerDuty))}
	})
}

// pagerDuty decodes PagerDuty Webhooks V3: {"event": {...}}, one event per
// message. PagerDuty gives every webhook event an id, so the canonical id is
// "pagerduty-" + event.id and a redelivery dedups.
type pagerDuty struct {
	lim event.Limits
	mp  mapper
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

// pdData is the union of the data shapes we read: an incident for most event
// types, an incident_responder for responder.added, a status_update for
// status_update_published.
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
	// incident_responder and status_update
	Incident *ref `json:"incident"`
	User     *ref `json:"user"`
	Sender   *ref `json:"sender"`
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
	"incident.urgency_updated":         event.IncidentSeverityChanged,
	"incident.responder.added":         event.PageNotified,
	"incident.status_update_published": event.IncidentStatusUpdate,
}

// pdSkipped are incident event types PagerDuty sends that have no canonical
// meaning; they decode to no events (not a dead letter), because an account
// subscribed to all incident events sends them all the time.
// incident.unacknowledged is PagerDuty's ack timeout putting the incident
// back to triggered: the model has no "unacknowledged", and the first ack
// still gives the time to acknowledge.
var pdSkipped = map[string]bool{
	"incident.unacknowledged":              true,
	"incident.annotated":                   true,
	"incident.responder.replied":           true,
	"incident.conference_bridge.updated":   true,
	"incident.custom_field_values.updated": true,
	"incident.incident_type.changed":       true,
}

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
	e := event.Event{ID: "pagerduty-" + pe.ID, Source: PagerDuty, Type: typ, Time: t}
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
		return finish([]event.Event{e}, d.lim)
	case event.IncidentStatusUpdate:
		if pd.Incident == nil {
			return nil, errf(event.ReasonMissingField, "event.data.incident", "pagerduty %s: required", short(pe.ID))
		}
		// Status updates go to the incident's subscribers: stakeholders.
		e.Data = event.Data{IncidentID: pd.Incident.ID, Audience: "stakeholders"}
		if pd.Sender != nil {
			e.Data.Responder = d.mp.responder(pd.Sender.ID, pd.Sender.Summary)
		}
		return finish([]event.Event{e}, d.lim)
	}

	r := d.mp.resolve(func(sel string) string { return pdSelect(pd, sel) })
	e.Data = event.Data{
		IncidentID: pd.ID, AlertKey: pd.IncidentKey, Title: pd.Title,
		Service: r.Service, Team: r.Team, Severity: r.Severity, Urgency: pd.Urgency,
	}
	switch typ {
	case event.IncidentTriggered:
		if pe.Agent != nil {
			if isPDUser(pe.Agent.Type) {
				e.Data.DetectedBy = event.DetectedByHuman
			} else if pe.Agent.Type != "" {
				e.Data.DetectedBy = event.DetectedByAlert // a service or integration opened it
			}
		}
	case event.IncidentReassigned, event.IncidentEscalated:
		// The responder is whom the incident now sits with, not who moved it.
		if len(pd.Assignees) > 0 {
			e.Data.Responder = d.mp.responder(pd.Assignees[0].ID, pd.Assignees[0].Summary)
		}
	case event.IncidentResolved:
		e.Data.Responder = agentUser
		if pe.Agent != nil && pe.Agent.Type != "" {
			e.Data.ResolvedBy = event.ResolvedBySystem
			if isPDUser(pe.Agent.Type) {
				e.Data.ResolvedBy = event.ResolvedByHuman
			}
		}
	default: // acknowledged, reopened, severity changes: who did it
		e.Data.Responder = agentUser
	}
	return finish([]event.Event{e}, d.lim)
}

func isPDUser(refType string) bool { return strings.HasPrefix(refType, "user") }

// pdSelect answers the PagerDuty mapping selectors (docs/sources.md).
func pdSelect(d *pdData, sel string) string {
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
