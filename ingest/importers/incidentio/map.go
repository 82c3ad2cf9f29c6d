package incidentio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// incidentOver reports whether an incident in status category c can change
// no more in a way pagerlens records: closed, or never a real incident
// (declined, merged, canceled). Others (triage, live, learning, paused) are
// read again on the next run.
func incidentOver(s *decode.IncidentIOStatus) bool {
	if s == nil {
		return false
	}
	switch s.Category {
	case "closed", "declined", "merged", "canceled":
		return true
	}
	return false
}

// incident maps one incident to the events the webhook decoder makes of
// its webhooks:
//
//   - incident.triggered at created_at, as incident_created_v2;
//   - incident.role_assigned for each command role assigned now. The API
//     gives no time of an assignment, so it is dated at created_at: the
//     figures then count the incident as commanded from its start
//     (docs/import.md, "incident.io");
//   - for each incident update (GET /v2/incident_updates, oldest first):
//     an incident.status_update, and on a change of status the lifecycle
//     event incident_status_updated_v2 would give (closed → resolved,
//     learning → mitigated, back to live → reopened); on a change of
//     severity an incident.severity_changed.
func (r *run) incident(ctx context.Context, inc *decode.IncidentIOIncident, created time.Time, raw json.RawMessage, b *importers.Batch) error {
	if inc.Skipped() {
		r.sum.Skipped++ // a test or tutorial incident, as the decoder skips it
		return nil
	}
	if !incidentOver(inc.Status) {
		b.Open = append(b.Open, pendingIncident+inc.ID)
	}
	evs := []event.Event{r.mp.Triggered(inc, created)}
	evs = append(evs, r.mp.Roles(inc, created)...)
	raws, err := r.api.list(ctx, "/v2/incident_updates", "incident_updates", url.Values{"incident_id": {inc.ID}}, maxPageUpdates)
	if err != nil {
		if perr := r.pageError(b, "incident_updates", err); perr != nil {
			return perr
		}
		b.Open = append(b.Open, pendingIncident+inc.ID) // its updates are read again next run
		r.add(b, "incident", inc.ID, raw, evs...)
		return nil
	}
	r.sum.AddItems("incident_updates", len(raws))
	type update struct {
		u  apiUpdate
		at time.Time
	}
	var ups []update
	for _, uraw := range raws {
		var u apiUpdate
		if err := json.Unmarshal(uraw, &u); err != nil || u.ID == "" || u.NewStatus == nil {
			msg := "not an incident update object with a new_incident_status"
			if err != nil {
				msg += ": " + err.Error()
			}
			r.problem(b, "incident_update", idOf(uraw), event.ReasonWrongType, msg, uraw)
			continue
		}
		if u.IncidentID != "" && u.IncidentID != inc.ID {
			continue // not this incident's (the filter was not applied)
		}
		at, err := parseTime(u.CreatedAt)
		if err != nil {
			r.problem(b, "incident_update", u.ID, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an RFC 3339 time", u.CreatedAt), uraw)
			continue
		}
		ups = append(ups, update{u, at})
	}
	sort.SliceStable(ups, func(i, j int) bool {
		if !ups[i].at.Equal(ups[j].at) {
			return ups[i].at.Before(ups[j].at)
		}
		return ups[i].u.ID < ups[j].u.ID
	})
	var prev *decode.IncidentIOStatus
	sev := ""
	for _, up := range ups {
		next := up.u.NewStatus
		if prev == nil || prev.Name != next.Name || prev.Category != next.Category {
			evs = append(evs, r.mp.StatusChanged(inc, prev, next, up.at)...)
		} else {
			evs = append(evs, r.mp.StatusUpdate(inc, up.at))
		}
		prev = next
		if s := up.u.NewSeverity; s != nil && s.ID != sev {
			sev = s.ID
			c := *inc
			c.Severity = s
			if e, ok := r.mp.SeverityChanged(&c, up.at); ok {
				evs = append(evs, e)
			}
		}
	}
	r.add(b, "incident", inc.ID, raw, evs...)
	return nil
}

// escalationOver reports whether an escalation notifies and is acknowledged
// no more: acked, resolved, expired or cancelled. Others (pending,
// triggered, snoozed, delayed, pending_repeat) are read again.
func escalationOver(status string) bool {
	switch status {
	case "acked", "resolved", "expired", "cancelled":
		return true
	}
	return false
}

// escalation maps one escalation's events: each user of a notified_users
// event is a page.notified (with its urgency), each user of an acked event
// an incident.acknowledged of the escalation's incident (incident.io
// incidents have no acknowledgement of their own: an acknowledgement is of
// a page). A page belongs to the escalation's first related incident; an
// escalation of no incident (an alert not, or not yet, an incident; a page
// by hand) gives pages keyed by its first related alert, else by the
// escalation, and its acknowledgements are skipped (no incident to time).
// Other events (triggered, notified_channels, resolved, …) are no
// canonical event.
func (r *run) escalation(esc *apiEscalation, raw json.RawMessage, b *importers.Batch) {
	if !escalationOver(esc.Status) {
		b.Open = append(b.Open, pendingEscalation+esc.ID)
	}
	incID, alertKey := "", ""
	if len(esc.RelatedIncidents) > 0 && esc.RelatedIncidents[0].ID != "" {
		incID = esc.RelatedIncidents[0].ID
	} else if len(esc.RelatedAlerts) > 0 && esc.RelatedAlerts[0].ID != "" {
		alertKey = esc.RelatedAlerts[0].ID
	} else {
		alertKey = "escalation/" + esc.ID
	}
	var evs []event.Event
	for _, ev := range esc.Events {
		if ev.Event != "notified_users" && ev.Event != "acked" {
			continue
		}
		at, err := parseTime(ev.OccurredAt)
		if err != nil {
			r.problem(b, "escalation", esc.ID, event.ReasonBadTime, fmt.Sprintf("event %s occurred_at %q is not an RFC 3339 time", ev.ID, ev.OccurredAt), raw)
			continue
		}
		for _, u := range ev.Users {
			who := r.mp.Responder(u.ID, u.Name)
			if who == "" {
				continue
			}
			typ := event.PageNotified
			d := event.Data{IncidentID: incID, AlertKey: alertKey, Responder: who, ResponderTZ: r.zone(who, u.ID)}
			if ev.Event == "acked" {
				if incID == "" {
					r.sum.Skipped++
					continue
				}
				typ = event.IncidentAcknowledged
				d = event.Data{IncidentID: incID, Responder: who, ResponderTZ: d.ResponderTZ}
			} else if ev.Urgency == "high" || ev.Urgency == "low" {
				d.Urgency = ev.Urgency
			}
			evs = append(evs, event.Event{ID: decode.IncidentIOPageID(typ, ev.ID, u.ID), Source: Source, Type: typ, Time: at, Data: d})
		}
	}
	r.add(b, "escalation", esc.ID, raw, evs...)
}

// shifts maps every schedule's final entries over w to shift events, one
// shift.started and one shift.ended per entry: a start in [w.Start, w.End)
// and an end in (w.Start, w.End] (an entry overlapping two windows is
// listed by both, and each takes its edge). An entry already running at the
// start of the range imported (--since, or the start of an older part)
// starts at w.Start: its true start is outside the range. The zone is the
// roster's, else the schedule's (users carry none).
func (r *run) shifts(ctx context.Context, w importers.Window, b *importers.Batch) error {
	rangeStart := w.Start.Equal(r.o.Since)
	for _, sc := range r.schedules {
		raws, err := r.api.entries(ctx, sc.ID, w.Start, w.End)
		if errors.Is(err, errNotFound) {
			continue // deleted since the schedules were read
		}
		if err != nil {
			if perr := r.pageError(b, "schedule_entries", err); perr != nil {
				return perr
			}
			continue
		}
		r.sum.AddItems("schedule_entries", len(raws))
		seen := map[string]bool{}
		for _, raw := range raws {
			var e apiEntry
			if err := json.Unmarshal(raw, &e); err != nil {
				r.problem(b, "schedule_entry", sc.ID, event.ReasonWrongType, "not a schedule entry object: "+err.Error(), raw)
				continue
			}
			if e.User == nil || e.User.ID == "" {
				r.sum.Skipped++ // nobody on call: a gap
				continue
			}
			id := e.User.ID + "/" + sc.ID
			start, err := parseTime(e.StartAt)
			if err != nil {
				r.problem(b, "schedule_entry", id, event.ReasonBadTime, fmt.Sprintf("start_at %q is not an RFC 3339 time", e.StartAt), raw)
				continue
			}
			end, err := parseTime(e.EndAt)
			if err != nil {
				r.problem(b, "schedule_entry", id, event.ReasonBadTime, fmt.Sprintf("end_at %q is not an RFC 3339 time", e.EndAt), raw)
				continue
			}
			if !start.Before(w.End) || !end.After(w.Start) {
				continue // another window's
			}
			who := r.mp.Responder(e.User.ID, e.User.Name)
			tz := sc.Timezone
			if z := r.o.Zones[who]; z != "" {
				tz = z
			}
			d := event.Data{Responder: who, ResponderTZ: tz, Schedule: sc.Name}
			shift := func(typ event.Type, at time.Time) {
				ev := event.Event{Source: Source, Type: typ, Time: at.UTC(), Data: d,
					ID: decode.DerivedID(Source, string(typ), e.User.ID, sc.ID, at.UTC().Format(time.RFC3339Nano))}
				if seen[ev.ID] {
					return
				}
				seen[ev.ID] = true
				if err := event.Validate(&ev, r.o.Limits); err != nil {
					r.problem(b, "schedule_entry", id, reasonOf(err), err.Error(), raw)
					return
				}
				b.Rows = append(b.Rows, store.Row{Event: ev, Topic: Topic})
				r.sum.Events++
			}
			switch {
			case !start.Before(w.Start):
				shift(event.ShiftStarted, start)
			case rangeStart:
				shift(event.ShiftStarted, w.Start)
			}
			if !end.After(w.End) {
				shift(event.ShiftEnded, end)
			}
		}
	}
	return nil
}
