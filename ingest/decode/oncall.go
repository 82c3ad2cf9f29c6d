package decode

import (
	"encoding/json"
	"strings"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(OnCall, func(o Options) Decoder {
		return onCall{lim: o.Limits, oc: OnCallMapper{mp: newMapper(o.Mappings.For(OnCall))}}
	})
}

// onCall decodes a Grafana OnCall outgoing webhook with "forward all" (the
// whole context as the body). An OnCall alert group is what pages,
// escalates and is acknowledged and resolved, so it maps to an incident.
// Every webhook lists the users notified so far (notified_users); each
// becomes a page.notified whose id ignores the webhook, so the same
// notification listed again by a later webhook dedups. The incident events
// are made by OnCallMapper.Incident, as the public API importer makes them
// (same mapping, same ids: OnCallID).
type onCall struct {
	lim event.Limits
	oc  OnCallMapper
}

func (onCall) Format() string { return OnCall }

type ocMessage struct {
	Event *struct {
		Type string `json:"type"`
		Time string `json:"time"`
	} `json:"event"`
	User          *ocUser  `json:"user"`
	AlertGroup    *ocGroup `json:"alert_group"`
	AlertGroupID  string   `json:"alert_group_id"`
	NotifiedUsers []ocUser `json:"notified_users"`
	Integration   *struct {
		Type string `json:"type"`
		Name string `json:"name"`
		Team string `json:"team"`
	} `json:"integration"`
	// The alert payload is whatever the integration received, and labels
	// have had more than one shape across OnCall versions: both are read
	// leniently (labelsOf) so an odd payload never dead-letters the message.
	AlertPayload json.RawMessage `json:"alert_payload"`
}

type ocUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

type ocGroup struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	CreatedAt string          `json:"created_at"`
	Labels    json.RawMessage `json:"labels"`
}

// ocTypes maps OnCall's webhook trigger types to incident events. OnCall
// names the "alert group created" trigger differently across versions.
var ocTypes = map[string]event.Type{
	"alert group created": event.IncidentTriggered,
	"alert_group_created": event.IncidentTriggered,
	"firing":              event.IncidentTriggered,
	"acknowledge":         event.IncidentAcknowledged,
	"resolve":             event.IncidentResolved,
	"unresolve":           event.IncidentReopened,
}

// ocPagesOnly are trigger types with no incident event of their own; their
// notified_users still yield pages.
var ocPagesOnly = map[string]bool{
	"escalation": true, "silence": true, "unsilence": true, "unacknowledge": true,
	"status change": true, "status_change": true, "personal notification": true, "personal_notification": true,
}

func (d onCall) Decode(m Message) ([]event.Event, error) {
	var msg ocMessage
	if err := unmarshal(m.Value, &msg, d.lim); err != nil {
		return nil, withContext(err, "oncall")
	}
	if msg.Event == nil || msg.AlertGroup == nil {
		return nil, errf(event.ReasonUnknownFormat, "", "oncall: want event and alert_group (a \"forward all\" body)")
	}
	g := msg.AlertGroup
	if g.ID == "" {
		g.ID = msg.AlertGroupID
	}
	if g.ID == "" {
		return nil, errf(event.ReasonMissingField, "alert_group.id", "oncall: required")
	}
	evType := strings.ToLower(msg.Event.Type)
	typ, isIncident := ocTypes[evType]
	if !isIncident && !ocPagesOnly[evType] {
		if evType == "" {
			return nil, errf(event.ReasonMissingField, "event.type", "oncall: required")
		}
		return nil, errf(event.ReasonUnknownType, "event.type", "oncall: %q has no canonical mapping", short(msg.Event.Type))
	}
	// OnCall sets event.time only for alert group created, acknowledge,
	// resolve, silence, escalation and personal notification (engine/apps/
	// webhooks/tasks/trigger_webhook.py, _build_payload); unresolve,
	// unacknowledge, unsilence (and a bare status change) carry none. Their
	// time is the delivery's: the webhook's arrival, or the Kafka record's
	// timestamp, which a bridge sets when it produces the delivery.
	t, ok, err := parseTime("event.time", msg.Event.Time)
	if err != nil {
		return nil, withContext(err, "oncall %s", short(g.ID))
	}
	if !ok {
		if m.Time.IsZero() {
			return nil, errf(event.ReasonMissingField, "event.time", "oncall %s: no event.time and no delivery time", short(g.ID))
		}
		t = m.Time.UTC()
	}
	grp := OnCallGroup{ID: g.ID, Title: g.Title, Labels: g.Labels, AlertPayload: msg.AlertPayload}
	if msg.Integration != nil {
		grp.IntegrationType, grp.IntegrationName, grp.IntegrationTeam = msg.Integration.Type, msg.Integration.Name, msg.Integration.Team
	}
	team := d.oc.resolve(&grp).Team

	var evs []event.Event
	if isIncident {
		var userID, username string
		if msg.User != nil {
			userID, username = msg.User.ID, msg.User.Username
		}
		at := t
		created, hasCreated, _ := parseTime("alert_group.created_at", g.CreatedAt)
		if typ == event.IncidentTriggered && hasCreated {
			// The group's creation time is when it was opened, which an
			// "alert group created" webhook may trail.
			at = created
		}
		e := d.oc.Incident(&grp, typ, at, userID, username)
		if typ == event.IncidentTriggered && !hasCreated {
			// No created_at: the time is the webhook's, and the id the one
			// such a trigger always had (type, group, webhook event type,
			// time), not OnCallID's; no import makes such a trigger.
			e.ID = derivedID(OnCall, string(typ), g.ID, evType, event.FormatTime(t))
		}
		evs = append(evs, e)
	}
	for _, u := range msg.NotifiedUsers {
		who := d.oc.Responder(u.ID, u.Username)
		if who == "" {
			continue
		}
		evs = append(evs, event.Event{
			// Not the webhook's time: later webhooks list the same users.
			ID: derivedID(OnCall, string(event.PageNotified), g.ID, u.ID, u.Username), Source: OnCall,
			Type: event.PageNotified, Time: t,
			Data: event.Data{IncidentID: g.ID, Responder: who, Team: team},
		})
	}
	return finish(evs, d.lim)
}

// labelsOf reads labels leniently, ignoring what is not a string: an
// object of strings, as OnCall sends alert group labels when its labels
// feature is on (get_alert_group_labels_dict), or the public API's list of
// {"key": {"id", "name"}, "value": {"id", "name"}} (AlertGroupLabelSerializer),
// which the alert group carries otherwise.
func labelsOf(raw json.RawMessage) map[string]string {
	var list []struct {
		Key, Value struct {
			Name any `json:"name"`
		}
	}
	if len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &list) == nil {
		out := map[string]string{}
		for _, l := range list {
			k, kok := l.Key.Name.(string)
			v, vok := l.Value.Name.(string)
			if kok && vok && k != "" {
				out[k] = v
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	var obj map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// payloadLabelsOf reads labels, then commonLabels (an Alertmanager-shaped
// payload), from the alert payload.
func payloadLabelsOf(raw json.RawMessage) map[string]string {
	var p struct {
		Labels       json.RawMessage `json:"labels"`
		CommonLabels json.RawMessage `json:"commonLabels"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return nil
	}
	out := labelsOf(p.CommonLabels)
	for k, v := range labelsOf(p.Labels) {
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}
