package decode

import (
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// OpsgenieByTransition reports whether events of type t get their id from
// the transition (OpsgenieID) rather than from the webhook's own fields:
// the types that both the outgoing webhook (Create, Acknowledge, Close) and
// the REST API's alert (createdAt, report.ackTime, report.closeTime) tell
// of, so that one transition delivered by webhook and imported
// (ingest/importers/opsgenie) is stored once.
func OpsgenieByTransition(t event.Type) bool {
	switch t {
	case event.AlertTriggered, event.AlertAcknowledged, event.AlertResolved,
		event.IncidentTriggered, event.IncidentAcknowledged, event.IncidentResolved:
		return true
	}
	return false
}

// OpsgenieID is the id of an Opsgenie event of a type OpsgenieByTransition
// accepts, whichever way it came: type, the key (alert_key for alert.*,
// incident_id — the alertId — for incident.*), and the time in whole
// seconds. The webhook and the REST API carry no common event id; what both
// describe alike is the alert and the instant: the webhook's createdAt (ms)
// and updatedAt (ns), the REST API's createdAt (an RFC 3339 time with ms)
// plus report.ackTime and report.closeTime (ms after createdAt). Opsgenie
// does not document that updatedAt at an acknowledgement and createdAt +
// ackTime are one clock reading, so the two are matched to the second, and
// the event's time is the whole second as well (the store's duplicate
// check needs a duplicate at its original's time; see Decode).
//
// Consequences: two transitions of one kind on one alert within one second
// are stored once (an alert acknowledged, unacknowledged and acknowledged
// again in one second); two alerts of one alias triggered within one
// second give one alert.triggered (Opsgenie keeps one open alert per alias,
// so this needs a close and a new alert within that second).
//
// The store's migration 6 (store/schema.go) recomputes this rule in SQL for
// the events stored under the old rule; TestOpsgenieIDMigration pins the
// two together. Changing this function makes stored events come back as
// new ones: a new rule needs a new migration.
func OpsgenieID(e *event.Event) string {
	key := e.Data.IncidentID
	if strings.HasPrefix(string(e.Type), "alert.") {
		key = e.Data.AlertKey
	}
	return derivedID(Opsgenie, string(e.Type), key, ogIDTime(e.Time))
}

// ogIDTime is the instant as OpsgenieID hashes it: UTC, whole seconds.
func ogIDTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// OpsgeniePageID is the id of a notification read from the REST API
// (GET /v2/alerts/{id}/recipients: one entry per user with the time the
// user was made a recipient). The webhook's Escalate action carries no
// time at all (the delivery's is used), so its pages cannot share an id
// with these; see docs/import.md.
func OpsgeniePageID(alertID, responder string, at time.Time) string {
	return derivedID(Opsgenie, string(event.PageNotified), "recipient", alertID, responder, ogIDTime(at))
}

// OpsgenieAlert is what the Opsgenie mapping reads of an alert: the
// webhook's alert object or an alert of the REST API.
type OpsgenieAlert struct {
	ID, Alias, Message, Entity, Source, Priority string
	// Teams are team ids: the webhook's alert.teams; from the REST API the
	// alert's responders of type team, in their order.
	Teams []string
	Tags  []string
	// Integration is the webhook delivery's integrationName (the outgoing
	// integration); the REST API has no such field, so it is empty there.
	Integration string
}

// OpsgenieMapper applies the Opsgenie mapping (Mappings.Opsgenie over its
// defaults, docs/sources.md) to what the REST API returns, exactly as the
// webhook decoder applies it to a delivery.
type OpsgenieMapper struct{ mp mapper }

// NewOpsgenieMapper makes the mapper of ms.Opsgenie over the defaults.
func NewOpsgenieMapper(ms Mappings) (OpsgenieMapper, error) {
	if err := ms.Validate(); err != nil {
		return OpsgenieMapper{}, err
	}
	return OpsgenieMapper{mp: newMapper(ms.For(Opsgenie))}, nil
}

// Alert returns team, service and severity of a.
func (m OpsgenieMapper) Alert(a *OpsgenieAlert) (team, service, severity string) {
	r := m.mp.resolve(func(sel string) string { return ogSelectAlert(a, sel) })
	return r.Team, r.Service, r.Severity
}

// Team maps a team id as the alert mapping would if it were an alert's
// first team (for on-call shifts, whose schedule has an owner team).
func (m OpsgenieMapper) Team(id string) string {
	return m.mp.resolve(func(sel string) string {
		if sel == "team" {
			return id
		}
		return ""
	}).Team
}

// Responder is the configured identity of a user (id or name), as the
// decoder picks it: "System" without an id is Opsgenie's automation, not a
// person, and gives "".
func (m OpsgenieMapper) Responder(id, name string) string {
	if id == "" && strings.EqualFold(name, "System") {
		return ""
	}
	return m.mp.responder(id, name)
}

// ogKey is the alert key: the alias, else the alertId (Opsgenie's own
// default alias).
func ogKey(a *OpsgenieAlert) string {
	if a.Alias != "" {
		return a.Alias
	}
	return a.ID
}

// ogSelectAlert answers the Opsgenie mapping selectors (docs/sources.md).
func ogSelectAlert(a *OpsgenieAlert, sel string) string {
	switch sel {
	case "team":
		if len(a.Teams) > 0 {
			return a.Teams[0]
		}
	case "entity":
		return a.Entity
	case "source":
		return a.Source
	case "priority":
		return a.Priority
	case "integration":
		return a.Integration
	default:
		// "tag:team" reads a tag written "team:payments" (or "team=payments").
		if name, ok := strings.CutPrefix(sel, "tag:"); ok && name != "" {
			for _, tag := range a.Tags {
				for _, sep := range []string{":", "="} {
					if v, ok := strings.CutPrefix(tag, name+sep); ok {
						return v
					}
				}
			}
		}
	}
	return ""
}
