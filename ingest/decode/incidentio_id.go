package decode

import (
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// IncidentIOID is the id of a canonical incident.io incident event, whichever
// way it came: a webhook (this package's decoder) or the REST API
// (ingest/importers/incidentio). The webhook's own id (the Svix webhook-id
// header) is unknown to the API, so the id is derived from what both
// describe alike:
//
//   - incident.triggered: type and incident id (an incident is created
//     once; both give its created_at, from the same serializer).
//   - incident.severity_changed: type, incident id and severity (the rule
//     the decoder always had: a severity is recorded once per incident).
//   - incident.role_assigned: type, incident id, role, responder and the
//     time in whole seconds. Every incident webhook carries the role
//     assignments as they are, not what changed, so an assignment is an
//     observation: "Ben is the lead as of T". incident_created_v2 dates it
//     at the incident's created_at, as the import does (the API gives no
//     time of an assignment); each later webhook that shows it again is
//     another observation at its time, and the commander figures take the
//     first. (Under the old rule the id had no time, so the later
//     observations were one id at several times, which the store's
//     duplicate check, keyed by id at one time, stored again anyway.)
//   - incident.resolved, .mitigated, .reopened and .status_update: type,
//     incident id and the time in whole seconds. The status webhook
//     (incident_status_updated_v2) carries no id of the incident update it
//     announces, only the incident, whose updated_at is the instant of the
//     change; the API lists the update (GET /v2/incident_updates) with its
//     created_at. incident.io does not document that the two are one clock
//     reading, so they are matched to the second, and the event's time is
//     the whole second (the store's duplicate check needs a duplicate at
//     its original's time). Two status changes of one kind on one incident
//     within one second are one event.
//
// The store's migration 7 (store/schema.go) recomputes this rule in SQL for
// the events stored under the old one (the webhook-id rule);
// TestIncidentIOIDMigration pins the two together. Changing this function
// makes stored events come back as new ones: a new rule needs a migration.
func IncidentIOID(e *event.Event) string {
	switch e.Type {
	case event.IncidentTriggered:
		return derivedID(IncidentIO, string(e.Type), e.Data.IncidentID)
	case event.IncidentSeverityChanged:
		return derivedID(IncidentIO, string(e.Type), e.Data.IncidentID, e.Data.Severity)
	case event.IncidentRoleAssigned:
		return derivedID(IncidentIO, string(e.Type), e.Data.IncidentID, e.Data.Role, e.Data.Responder, iioIDTime(e.Time))
	}
	return derivedID(IncidentIO, string(e.Type), e.Data.IncidentID, iioIDTime(e.Time))
}

// iioIDTime is the instant as IncidentIOID hashes it: UTC, whole seconds.
func iioIDTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// IncidentIOPageID is the id of an escalation event of the REST API
// (GET /v2/escalations: events[].id, unique) for one user: a page
// (notified_users) or an acknowledgement (acked). The webhook decoder does
// not decode escalation webhooks, so only the import makes these.
func IncidentIOPageID(typ event.Type, escalationEventID, userID string) string {
	return derivedID(IncidentIO, string(typ), "escalation_event", escalationEventID, userID)
}

// IncidentIOMapper applies the incident.io mapping (Mappings.IncidentIO over
// its defaults, docs/sources.md) to an incident, exactly as the webhook
// decoder does, so that an imported incident and a webhook-delivered one
// make the same events. The events are not validated.
type IncidentIOMapper struct {
	mp  mapper
	lim event.Limits
}

// NewIncidentIOMapper makes the mapper of ms.IncidentIO over the defaults.
func NewIncidentIOMapper(ms Mappings, lim event.Limits) (IncidentIOMapper, error) {
	if err := ms.Validate(); err != nil {
		return IncidentIOMapper{}, err
	}
	return IncidentIOMapper{mp: newMapper(ms.For(IncidentIO)), lim: lim}, nil
}

func (m IncidentIOMapper) base(inc *IncidentIOIncident) (event.Data, resolved) {
	r := m.mp.resolve(func(sel string) string {
		if sel == "severity" && inc.Severity != nil {
			return inc.Severity.Name
		}
		return ""
	})
	d := event.Data{IncidentID: inc.ID, Title: inc.Name, Service: r.Service, Team: r.Team, Severity: r.Severity}
	if inc.Reference != "" {
		d.Labels = map[string]string{"reference": inc.Reference}
	}
	return d, r
}

func (m IncidentIOMapper) mk(typ event.Type, d event.Data, at time.Time) event.Event {
	e := event.Event{Source: IncidentIO, Type: typ, Time: at.UTC(), Data: d}
	if typ != event.IncidentTriggered {
		e.Time = e.Time.Truncate(time.Second)
	}
	e.ID = IncidentIOID(&e)
	return e
}

// Triggered is incident.triggered at at (the incident's created_at), with
// the "Impact started" timestamp as started_at when it is set and in range.
func (m IncidentIOMapper) Triggered(inc *IncidentIOIncident, at time.Time) event.Event {
	d, _ := m.base(inc)
	e := m.mk(event.IncidentTriggered, d, at)
	if t, ok := inc.impactStarted(); ok && !t.Before(m.lim.MinTime) && t.Before(m.lim.MaxTime) {
		e.Data.StartedAt = &t
	}
	return e
}

// SeverityChanged is incident.severity_changed to the incident's mapped
// severity at at; false when it maps to none.
func (m IncidentIOMapper) SeverityChanged(inc *IncidentIOIncident, at time.Time) (event.Event, bool) {
	d, _ := m.base(inc)
	if d.Severity == "" {
		return event.Event{}, false
	}
	return m.mk(event.IncidentSeverityChanged, d, at), true
}

// StatusChanged is what a status change at at makes: the lifecycle event
// of the change (iioLifecycle), if any, and an incident.status_update (an
// incident update is posted to the responders' channel: audience
// internal). next nil means the incident's current status.
func (m IncidentIOMapper) StatusChanged(inc *IncidentIOIncident, prev, next *IncidentIOStatus, at time.Time) []event.Event {
	d, _ := m.base(inc)
	var evs []event.Event
	if typ := iioLifecycle(prev, next, inc.Status); typ != "" {
		evs = append(evs, m.mk(typ, d, at))
	}
	upd := d
	upd.Audience = "internal"
	return append(evs, m.mk(event.IncidentStatusUpdate, upd, at))
}

// StatusUpdate is the incident.status_update of an incident update posted
// at at without a change of status (only the API lists those: the status
// webhook is sent on a change).
func (m IncidentIOMapper) StatusUpdate(inc *IncidentIOIncident, at time.Time) event.Event {
	d, _ := m.base(inc)
	d.Audience = "internal"
	return m.mk(event.IncidentStatusUpdate, d, at)
}

// Roles are the incident's role assignments that map to a command role, as
// incident.role_assigned at at: observations of the assignment at that
// time (IncidentIOID); the figures take the first.
func (m IncidentIOMapper) Roles(inc *IncidentIOIncident, at time.Time) []event.Event {
	d, _ := m.base(inc)
	var evs []event.Event
	for _, ra := range inc.RoleAssignments {
		if ra.Role == nil || ra.Assignee == nil {
			continue
		}
		role := m.mp.role(ra.Role.RoleType, ra.Role.Name)
		who := m.mp.responder(ra.Assignee.ID, ra.Assignee.Name)
		if role == "" || who == "" {
			continue // e.g. the reporter: not an incident command role
		}
		evs = append(evs, m.mk(event.IncidentRoleAssigned, event.Data{IncidentID: inc.ID, Team: d.Team, Role: role, Responder: who}, at))
	}
	return evs
}

// Responder is the configured identity of a user (id or name).
func (m IncidentIOMapper) Responder(id, name string) string { return m.mp.responder(id, name) }

// Skipped reports whether the incident is one the decoder records nothing
// of: test and tutorial incidents.
func (inc *IncidentIOIncident) Skipped() bool {
	switch strings.ToLower(inc.Mode) {
	case "test", "tutorial":
		return true
	}
	return false
}
