// Package event holds pagerlens's canonical event model: the CloudEvents 1.0
// envelope with pagerlens's data schema, its validation and its JSON codec.
//
// Every source format is decoded into these events; everything downstream
// (store, analytics) sees only them.
package event

import (
	"strings"
	"time"
)

// SpecVersion is the CloudEvents version pagerlens reads and writes.
const SpecVersion = "1.0"

// Type is the CloudEvents type of an event, always "<kind>.<action>".
type Type string

// The canonical event types (docs/sources.md, "The canonical event").
const (
	AlertTriggered    Type = "alert.triggered"
	AlertAcknowledged Type = "alert.acknowledged"
	AlertResolved     Type = "alert.resolved"

	IncidentTriggered              Type = "incident.triggered"
	IncidentAcknowledged           Type = "incident.acknowledged"
	IncidentMitigated              Type = "incident.mitigated"
	IncidentResolved               Type = "incident.resolved"
	IncidentReopened               Type = "incident.reopened"
	IncidentEscalated              Type = "incident.escalated"
	IncidentReassigned             Type = "incident.reassigned"
	IncidentSeverityChanged        Type = "incident.severity_changed"
	IncidentRoleAssigned           Type = "incident.role_assigned"
	IncidentStatusUpdate           Type = "incident.status_update"
	IncidentRetrospectiveCompleted Type = "incident.retrospective_completed"

	PageNotified Type = "page.notified"

	ShiftStarted Type = "shift.started"
	ShiftEnded   Type = "shift.ended"

	ActionItemCreated   Type = "action_item.created"
	ActionItemCompleted Type = "action_item.completed"
)

// Kind is the part of a Type before the dot.
type Kind string

// The kinds of event.
const (
	KindAlert      Kind = "alert"
	KindIncident   Kind = "incident"
	KindPage       Kind = "page"
	KindShift      Kind = "shift"
	KindActionItem Kind = "action_item"
)

// Types lists every known type, in a stable order (docs, tests, fuzz seeds).
var Types = []Type{
	AlertTriggered, AlertAcknowledged, AlertResolved,
	IncidentTriggered, IncidentAcknowledged, IncidentMitigated, IncidentResolved,
	IncidentReopened, IncidentEscalated, IncidentReassigned, IncidentSeverityChanged,
	IncidentRoleAssigned, IncidentStatusUpdate, IncidentRetrospectiveCompleted,
	PageNotified, ShiftStarted, ShiftEnded, ActionItemCreated, ActionItemCompleted,
}

var knownTypes = func() map[Type]bool {
	m := make(map[Type]bool, len(Types))
	for _, t := range Types {
		m[t] = true
	}
	return m
}()

// Known reports whether t is one of the canonical types.
func (t Type) Known() bool { return knownTypes[t] }

// Kind returns the kind part of the type ("incident" for "incident.resolved").
func (t Type) Kind() Kind {
	k, _, _ := strings.Cut(string(t), ".")
	return Kind(k)
}

// Values of the enumerated data fields.
const (
	ResolvedBySystem = "system"
	ResolvedByHuman  = "human"

	DetectedByAlert    = "alert"
	DetectedByHuman    = "human"
	DetectedByCustomer = "customer"
)

// Roles of incident.role_assigned.
var Roles = []string{"commander", "communications", "scribe", "technical_lead"}

// Audiences of incident.status_update.
var Audiences = []string{"internal", "stakeholders", "public"}

// Event is one canonical event.
type Event struct {
	// ID is unique per event; it makes every write idempotent.
	ID string
	// Source names the system the event came from ("pagerduty", "alertmanager", …).
	Source string
	Type   Type
	// Time is when the event happened (not when it was received), in UTC.
	Time time.Time
	Data Data
}

// Data is the payload of an event. Which fields a type requires is checked by
// Validate; every other field is optional.
type Data struct {
	IncidentID  string `json:"incident_id,omitempty"`
	AlertKey    string `json:"alert_key,omitempty"`
	AlertName   string `json:"alert_name,omitempty"`
	Title       string `json:"title,omitempty"`
	Service     string `json:"service,omitempty"`
	Team        string `json:"team,omitempty"`
	Severity    string `json:"severity,omitempty"`
	Urgency     string `json:"urgency,omitempty"`
	Responder   string `json:"responder,omitempty"`
	ResponderTZ string `json:"responder_tz,omitempty"`
	Channel     string `json:"channel,omitempty"`
	Schedule    string `json:"schedule,omitempty"`
	// StartedAt is the start of customer impact (incident.triggered only).
	StartedAt  *time.Time        `json:"-"`
	DetectedBy string            `json:"detected_by,omitempty"`
	ResolvedBy string            `json:"resolved_by,omitempty"`
	Role       string            `json:"role,omitempty"`
	Audience   string            `json:"audience,omitempty"`
	ActionID   string            `json:"action_id,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}
