package decode

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// OnCallID is the id of a canonical Grafana OnCall incident event, whichever
// way it came: an outgoing webhook (this package's decoder) or an alert
// group read from OnCall's public API (ingest/importers/oncall). Neither
// carries an id of the transition, so the id is derived from what both
// describe alike:
//
//   - incident.triggered: type and alert group id. A group is created once,
//     and both paths give its started_at as the time (the webhook's
//     alert_group.created_at, the API's created_at: the same serializer).
//   - incident.acknowledged, incident.resolved, incident.reopened: type,
//     group id, OnCall's webhook event type of the transition ("acknowledge",
//     "resolve", "unresolve") and the time as event.FormatTime writes it. An
//     acknowledge webhook's event.time is the group's acknowledged_at and a
//     resolve's its resolved_at (engine/apps/webhooks/tasks/trigger_webhook.py,
//     _build_payload: Python isoformat, to the microsecond), which the public
//     API lists as acknowledged_at and resolved_at (Django REST framework's
//     DateTimeField: isoformat, to the microsecond, +00:00 written Z): the
//     same instant, so the same id and the same time.
//
// This is the rule the decoder has always used (the event type's name was
// hashed as the webhook sent it, and each of these canonical types has one
// webhook type), so ids stored before it was shared are unchanged and no
// migration is needed. The one exception stays in the decoder: a trigger
// whose webhook carries no alert_group.created_at keeps its id of type,
// group, webhook event type and time (no import makes such a trigger).
//
// page.notified is not covered: the public API lists no notifications, so
// only the webhook makes pages (their id: type, group, user id, user name).
// Changing this function makes stored events come back as new ones: a new
// rule needs a store migration.
func OnCallID(e *event.Event) string {
	if e.Type == event.IncidentTriggered {
		return derivedID(OnCall, string(e.Type), e.Data.IncidentID)
	}
	return derivedID(OnCall, string(e.Type), e.Data.IncidentID, onCallWebhookType[e.Type], event.FormatTime(e.Time))
}

// onCallWebhookType is the OnCall webhook event type of each transition
// OnCallID hashes with its time (TRIGGER_TYPE_TO_LABEL in trigger_webhook.py).
var onCallWebhookType = map[event.Type]string{
	event.IncidentAcknowledged: "acknowledge",
	event.IncidentResolved:     "resolve",
	event.IncidentReopened:     "unresolve",
}

// OnCallGroup is what the OnCall mapping reads of an alert group: from a
// webhook (alert_group, integration, alert_payload) or from the public API
// (the alert group, its integration, its team's name, its first alert).
type OnCallGroup struct {
	ID, Title string
	// IntegrationType is OnCall's integration type (alertmanager,
	// grafana_alerting, direct_paging, …); IntegrationName its name and
	// IntegrationTeam its team's name ("" for none).
	IntegrationType, IntegrationName, IntegrationTeam string
	// Labels are the group's labels: an object of strings, or the public
	// API's list of {"key": {"id", "name"}, "value": {"id", "name"}}.
	Labels json.RawMessage
	// AlertPayload is the group's first alert's payload (what the
	// integration received), read for label:NAME after Labels.
	AlertPayload json.RawMessage
}

// OnCallMapper applies the OnCall mapping (Mappings.OnCall over its
// defaults, docs/sources.md) to an alert group, exactly as the webhook
// decoder does, so that an imported alert group and a webhook-delivered one
// carry the same team, service and severity.
type OnCallMapper struct{ mp mapper }

// NewOnCallMapper makes the mapper of ms.OnCall over the defaults.
func NewOnCallMapper(ms Mappings) (OnCallMapper, error) {
	if err := ms.Validate(); err != nil {
		return OnCallMapper{}, err
	}
	return OnCallMapper{mp: newMapper(ms.For(OnCall))}, nil
}

func (m OnCallMapper) resolve(g *OnCallGroup) resolved {
	groupLabels, payloadLabels := labelsOf(g.Labels), payloadLabelsOf(g.AlertPayload)
	return m.mp.resolve(func(sel string) string {
		switch sel {
		case "integration.team":
			return g.IntegrationTeam
		case "integration.name":
			return g.IntegrationName
		default:
			if name, ok := strings.CutPrefix(sel, "label:"); ok {
				if v := groupLabels[name]; v != "" {
					return v
				}
				return payloadLabels[name]
			}
		}
		return ""
	})
}

// Incident makes the canonical incident event of typ (incident.triggered,
// .acknowledged, .resolved or .reopened) of g at at, by the user (userID,
// username; both empty for none), with the id of OnCallID: the event the
// webhook decoder makes of the same transition. It is not validated.
func (m OnCallMapper) Incident(g *OnCallGroup, typ event.Type, at time.Time, userID, username string) event.Event {
	r := m.resolve(g)
	e := event.Event{Source: OnCall, Type: typ, Time: at.UTC(),
		Data: event.Data{IncidentID: g.ID, Title: g.Title, Service: r.Service, Team: r.Team, Severity: r.Severity}}
	switch typ {
	case event.IncidentTriggered:
		// Opened by an alert, unless paged by hand (direct paging, or the
		// manual integration of older OnCall versions).
		e.Data.DetectedBy = event.DetectedByAlert
		if g.IntegrationType == "direct_paging" || g.IntegrationType == "manual" {
			e.Data.DetectedBy = event.DetectedByHuman
		}
	case event.IncidentResolved:
		e.Data.Responder = m.mp.responder(userID, username)
		e.Data.ResolvedBy = event.ResolvedBySystem
		if e.Data.Responder != "" {
			e.Data.ResolvedBy = event.ResolvedByHuman
		}
	default:
		e.Data.Responder = m.mp.responder(userID, username)
	}
	e.ID = OnCallID(&e)
	return e
}

// Team maps a team name as an alert group's integration team would be
// mapped (for on-call shifts, whose schedule names the team).
func (m OnCallMapper) Team(name string) string {
	return m.mp.resolve(func(sel string) string {
		if sel == "integration.team" {
			return name
		}
		return ""
	}).Team
}

// Responder is the configured identity of a user (id or user name).
func (m OnCallMapper) Responder(id, username string) string { return m.mp.responder(id, username) }
