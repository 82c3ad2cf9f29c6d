package decode

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(Opsgenie, func(o Options) Decoder {
		return opsgenie{lim: o.Limits, mp: newMapper(o.Mappings.For(Opsgenie)), opts: o}
	})
}

// opsgenie decodes Opsgenie's outgoing webhook: {"action": ..., "alert": {...}}.
//
// An Opsgenie alert is both the monitoring signal (deduplicated by alias) and
// the thing that pages, escalates and is acknowledged and closed by a person,
// which PagerDuty splits into alert and incident. So Create, Acknowledge and
// Close each yield two events: alert.* keyed by the alias (for alert-quality
// metrics) and incident.* keyed by the alertId (for MTTA/MTTR); the other
// actions concern the incident side only.
//
// The payload has no event id; ids are derived (docs/sources.md).
type opsgenie struct {
	lim  event.Limits
	mp   mapper
	opts Options
}

func (opsgenie) Format() string { return Opsgenie }

type ogMessage struct {
	Action           string    `json:"action"`
	Alert            *ogAlert  `json:"alert"`
	Source           ogSource  `json:"source"`
	IntegrationName  string    `json:"integrationName"`
	EscalationID     string    `json:"escalationId"`
	EscalationNotify *ogNotify `json:"escalationNotify"`
	EscalationTime   int64     `json:"escalationTime"`
	RepeatCount      int64     `json:"repeatCount"`
}

type ogAlert struct {
	AlertID  string     `json:"alertId"`
	Alias    string     `json:"alias"`
	Message  string     `json:"message"`
	Entity   string     `json:"entity"`
	Source   string     `json:"source"`
	Tags     []string   `json:"tags"`
	Teams    []string   `json:"teams"`
	Priority ogPriority `json:"priority"`
	Owner    string     `json:"owner"`
	Username string     `json:"username"`
	UserID   string     `json:"userId"`
	// Opsgenie sends createdAt in milliseconds and updatedAt in nanoseconds
	// since the epoch.
	CreatedAt int64 `json:"createdAt"`
	UpdatedAt int64 `json:"updatedAt"`
}

type ogSource struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type ogNotify struct {
	Entity string `json:"entity"`
	ID     string `json:"id"`
	Name   string `json:"name"`
}

// ogPriority is alert.priority, which Opsgenie has sent both as "P3" and,
// in older deliveries, as the bare level 3; the number n is read as "Pn" so
// that either maps through the same severity map.
type ogPriority string

// UnmarshalJSON implements json.Unmarshaler.
func (p *ogPriority) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*p = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = ogPriority(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		// encoding/json adds the field path to this error.
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[string]()}
	}
	if i, err := n.Int64(); err == nil {
		*p = ogPriority("P" + strconv.FormatInt(i, 10))
		return nil
	}
	*p = ogPriority(n.String()) // not a level: kept as sent, so it stays visible
	return nil
}

// jsonKind names the kind of a JSON value for a wrong_type message.
func jsonKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "value"
}

// ogSkipped are actions without a canonical meaning: they decode to no
// events. UnAcknowledge has none because the first ack still gives the time
// to acknowledge; the rest edit the alert's content.
var ogSkipped = map[string]bool{
	"UnAcknowledge": true, "AddNote": true, "Delete": true, "AddRecipient": true, "AddTeam": true,
	"AddTags": true, "RemoveTags": true, "AddDetails": true, "RemoveDetails": true,
	"Snooze": true, "SnoozeEnded": true, "UpdateMessage": true, "UpdateDescription": true,
	"AddResponder": true, "UpdateAlias": true,
}

// ogMapped are the actions Decode maps itself; ActionMap does not apply to
// them.
var ogMapped = map[string]bool{
	"Create": true, "Acknowledge": true, "Close": true, "Escalate": true, "EscalateToNext": true,
	"AssignOwnership": true, "TakeOwnership": true, "UpdatePriority": true,
}

// ogCustomActionSkipped is the warning counted for each action that is
// neither built in nor in ActionMap. Opsgenie sends a custom action under
// its own name ("action": "Restart service"), so any unknown name may be
// one: it is skipped, not dead-lettered, and counted so that it can be
// mapped.
const ogCustomActionSkipped = "custom_action_skipped"

func (d opsgenie) Decode(m Message) ([]event.Event, error) {
	var msg ogMessage
	if err := unmarshal(m.Value, &msg, d.lim); err != nil {
		return nil, withContext(err, "opsgenie")
	}
	if msg.Alert == nil {
		return nil, errf(event.ReasonUnknownFormat, "alert", "opsgenie: no alert object")
	}
	if msg.Action == "" {
		return nil, errf(event.ReasonMissingField, "action", "opsgenie: required")
	}
	target := ""
	if !ogMapped[msg.Action] {
		target = d.mp.action(msg.Action)
		switch {
		case target == ActionSkip:
			return nil, nil
		case target == "" && ogSkipped[msg.Action]:
			return nil, nil
		case target == "":
			d.opts.warn(Opsgenie, ogCustomActionSkipped)
			return nil, nil
		}
	}
	a := msg.Alert
	if a.AlertID == "" {
		return nil, errf(event.ReasonMissingField, "alert.alertId", "opsgenie %s: required", short(msg.Action))
	}
	oa := ogAlertOf(&msg)
	r := d.mp.resolve(func(sel string) string { return ogSelectAlert(oa, sel) })
	key := ogKey(oa) // the alias, else the alertId (Opsgenie's own default alias)
	base := event.Data{
		IncidentID: a.AlertID, AlertKey: key, Title: a.Message,
		Service: r.Service, Team: r.Team, Severity: r.Severity,
	}
	user := OpsgenieMapper{d.mp}.Responder(a.UserID, a.Username) // "System": Opsgenie's automation, no one

	// Time and the id's discriminator: the update's own nanosecond time,
	// unique per change of one alert, for every action but Create (whose
	// createdAt is the alert's birth) and Escalate (which carries no time).
	t, stamp := m.Time.UTC(), ""
	switch {
	case msg.Action == "Create" && a.CreatedAt != 0:
		t, stamp = time.UnixMilli(a.CreatedAt).UTC(), strconv.FormatInt(a.CreatedAt, 10)
	case a.UpdatedAt != 0:
		t, stamp = time.Unix(0, a.UpdatedAt).UTC(), strconv.FormatInt(a.UpdatedAt, 10)
	}
	mk := func(typ event.Type, data event.Data, extra ...string) event.Event {
		if OpsgenieByTransition(typ) {
			// Triggered, acknowledged, resolved: the REST API tells of these
			// too, to the millisecond but not necessarily the same one, so
			// both paths store them in whole seconds under OpsgenieID.
			e := event.Event{Source: Opsgenie, Type: typ, Time: t.Truncate(time.Second), Data: data}
			e.ID = OpsgenieID(&e)
			return e
		}
		fields := append([]string{string(typ), a.AlertID, msg.Action, stamp}, extra...)
		return event.Event{ID: derivedID(Opsgenie, fields...), Source: Opsgenie, Type: typ, Time: t, Data: data}
	}

	var evs []event.Event
	switch msg.Action {
	case "Create":
		al, inc := base, base
		al.IncidentID = ""
		inc.DetectedBy = event.DetectedByAlert
		if a.UserID != "" {
			inc.DetectedBy = event.DetectedByHuman // opened by hand in the UI or app
		}
		evs = append(evs, mk(event.AlertTriggered, al), mk(event.IncidentTriggered, inc))
	case "Acknowledge":
		al, inc := base, base
		al.IncidentID = ""
		al.Responder, inc.Responder = user, user
		evs = append(evs, mk(event.AlertAcknowledged, al), mk(event.IncidentAcknowledged, inc))
	case "Close":
		al, inc := base, base
		al.IncidentID = ""
		al.Responder, inc.Responder = user, user
		by := event.ResolvedBySystem
		if user != "" {
			by = event.ResolvedByHuman
		}
		al.ResolvedBy, inc.ResolvedBy = by, by
		evs = append(evs, mk(event.AlertResolved, al), mk(event.IncidentResolved, inc))
	case "Escalate":
		// The escalation step notified someone. Only a user is a responder;
		// a team or schedule target names no person, so there is no page to
		// record.
		n := msg.EscalationNotify
		if n == nil || !strings.EqualFold(n.Entity, "user") {
			return nil, nil
		}
		p := event.Data{IncidentID: a.AlertID, AlertKey: key, Team: r.Team, Responder: d.mp.responder(n.ID, n.Name)}
		evs = append(evs, mk(event.PageNotified, p, msg.EscalationID,
			strconv.FormatInt(msg.EscalationTime, 10), strconv.FormatInt(msg.RepeatCount, 10), n.Entity, n.ID, n.Name))
	case "EscalateToNext":
		evs = append(evs, mk(event.IncidentEscalated, base))
	case "AssignOwnership":
		inc := base
		inc.Responder = a.Owner // only a user name is given for the new owner
		evs = append(evs, mk(event.IncidentReassigned, inc))
	case "TakeOwnership":
		inc := base
		inc.Responder = user
		evs = append(evs, mk(event.IncidentReassigned, inc))
	case "UpdatePriority":
		inc := base
		inc.Responder = user
		evs = append(evs, mk(event.IncidentSeverityChanged, inc))
	default:
		// A custom (or skipped) action mapped by ActionMap to an incident
		// event: the acting user is the responder.
		inc := base
		inc.Responder = user
		if event.Type(target) == event.IncidentResolved {
			inc.ResolvedBy = event.ResolvedBySystem
			if user != "" {
				inc.ResolvedBy = event.ResolvedByHuman
			}
		}
		evs = append(evs, mk(event.Type(target), inc))
	}
	return finish(evs, d.lim)
}

// ogAlertOf is what the mapping reads of a delivery's alert.
func ogAlertOf(m *ogMessage) *OpsgenieAlert {
	a := m.Alert
	return &OpsgenieAlert{ID: a.AlertID, Alias: a.Alias, Message: a.Message, Entity: a.Entity, Source: a.Source,
		Priority: string(a.Priority), Teams: a.Teams, Tags: a.Tags, Integration: m.IntegrationName}
}
