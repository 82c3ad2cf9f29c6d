package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// Log entry types (the LogEntry type enum of PagerDuty's REST API
// reference) with a canonical meaning, and those skipped as the webhook
// decoder skips their webhook counterparts (incident.annotated,
// incident.unacknowledged) or that have none (a snooze, the escalation
// policy looping or running out, field changes).
var skippedTypes = map[string]bool{
	"annotate_log_entry":                  true,
	"snooze_log_entry":                    true,
	"unacknowledge_log_entry":             true,
	"exhaust_escalation_path_log_entry":   true,
	"reach_ack_limit_log_entry":           true,
	"reach_trigger_limit_log_entry":       true,
	"repeat_escalation_path_log_entry":    true,
	"field_value_change_log_entry":        true,
	"custom_field_value_change_log_entry": true,
}

// typeOrder sorts entries of one instant as they happen.
var typeOrder = map[string]int{
	"trigger_log_entry": 0, "assign_log_entry": 1, "notify_log_entry": 2, "urgency_change_log_entry": 3,
	"escalate_log_entry": 4, "delegate_log_entry": 5, "acknowledge_log_entry": 6, "resolve_log_entry": 7,
}

// channels maps a notification's type to the canonical channel.
var channels = map[string]string{
	"sms_notification": "sms", "phone_notification": "phone", "email_notification": "email", "push_notification": "push",
	"sms": "sms", "phone": "phone", "email": "email", "push": "push",
}

type entry struct {
	apiLogEntry
	at  time.Time
	raw json.RawMessage
}

// mapIncident turns an incident's log entries into canonical events, with
// the fields the webhook decoder gives the same transitions.
func (r *run) mapIncident(ctx context.Context, inc *apiIncident, created time.Time, raws []json.RawMessage, b *importers.Batch) []event.Event {
	var es []entry
	seen := map[string]bool{} // a split listing may list an entry on its edge twice
	for _, raw := range raws {
		var le apiLogEntry
		if err := json.Unmarshal(raw, &le); err != nil {
			r.problem(b, "log_entry", idOf(raw), event.ReasonWrongType, "not a LogEntry object: "+err.Error(), raw)
			continue
		}
		if le.ID != "" {
			if seen[le.ID] {
				continue
			}
			seen[le.ID] = true
		}
		at, err := time.Parse(time.RFC3339Nano, le.CreatedAt)
		if err != nil {
			r.problem(b, "log_entry", le.ID, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an RFC 3339 time", le.CreatedAt), raw)
			continue
		}
		es = append(es, entry{le, at.UTC(), raw})
	}
	// PagerDuty may list them newest first; the mapping reads them in order.
	sort.SliceStable(es, func(i, j int) bool {
		if !es[i].at.Equal(es[j].at) {
			return es[i].at.Before(es[j].at)
		}
		oi, oki := typeOrder[es[i].Type]
		oj, okj := typeOrder[es[j].Type]
		if oki != okj {
			return oki
		}
		if oi != oj {
			return oi < oj
		}
		return es[i].ID < es[j].ID
	})
	// An urgency_change_log_entry does not say the new urgency, but there
	// are two (high, low): walking back from the incident's urgency now,
	// each change flips it.
	urgencyAt := make([]string, len(es)+1) // urgencyAt[i]: before entry i; [len]: now
	urgencyAt[len(es)] = inc.Urgency
	for i := len(es) - 1; i >= 0; i-- {
		u := urgencyAt[i+1]
		if es[i].Type == "urgency_change_log_entry" {
			switch u {
			case "high":
				u = "low"
			case "low":
				u = "high"
			}
		}
		urgencyAt[i] = u
	}
	base := decode.PagerDutyIncident{ID: inc.ID, Key: inc.IncidentKey, Title: inc.Title,
		Service: inc.Service, EscalationPolicy: inc.EscalationPolicy, Teams: inc.Teams}
	if inc.Priority != nil {
		p := decode.PagerDutyRef{ID: inc.Priority.ID, Type: inc.Priority.Type, Summary: inc.Priority.Summary}
		if p.Summary == "" {
			p.Summary = inc.Priority.Name
		}
		base.Priority = &p
	}
	incData := func(urgency string) event.Data {
		pi := base
		pi.Urgency = urgency
		team, service, severity := r.mp.Incident(&pi)
		return event.Data{IncidentID: inc.ID, AlertKey: inc.IncidentKey, Title: inc.Title,
			Service: service, Team: team, Severity: severity, Urgency: urgency}
	}
	user := func(a *ref) string {
		if a == nil || !r.mp.IsUser(a.Type) {
			return ""
		}
		return r.mp.Responder(a.ID, a.Summary)
	}
	first := func(as []ref) string {
		if len(as) == 0 {
			return ""
		}
		return r.mp.Responder(as[0].ID, as[0].Summary)
	}

	var evs []event.Event
	add := func(typ event.Type, at time.Time, d event.Data) {
		e := event.Event{Source: Source, Type: typ, Time: at, Data: d}
		e.ID = decode.PagerDutyID(&e)
		evs = append(evs, e)
	}
	triggered := false
	for i, le := range es {
		d := incData(urgencyAt[i+1]) // the urgency after this entry
		switch le.Type {
		case "trigger_log_entry":
			triggered = true
			// A service or integration opened it, or automation: an alert.
			// Only a user is a human (as the webhook decoder).
			d.DetectedBy = event.DetectedByAlert
			if user(le.Agent) != "" {
				d.DetectedBy = event.DetectedByHuman
			}
			add(event.IncidentTriggered, le.at, d)
		case "acknowledge_log_entry":
			d.Responder = user(le.Agent)
			d.ResponderTZ = r.zoneOf(ctx, d.Responder, le.Agent)
			add(event.IncidentAcknowledged, le.at, d)
		case "resolve_log_entry":
			d.Responder = user(le.Agent)
			d.ResolvedBy = event.ResolvedBySystem
			if d.Responder != "" {
				d.ResolvedBy = event.ResolvedByHuman
			}
			add(event.IncidentResolved, le.at, d)
		case "escalate_log_entry":
			d.Responder = first(le.Assignees) // whom it now sits with
			add(event.IncidentEscalated, le.at, d)
		case "delegate_log_entry":
			d.Responder = first(le.Assignees)
			add(event.IncidentReassigned, le.at, d)
		case "assign_log_entry":
			// A user moving the incident is a reassignment (webhook
			// incident.reassigned); the escalation policy assigning it at
			// trigger or escalation is not.
			if user(le.Agent) == "" {
				r.sum.Skipped++
				continue
			}
			d.Responder = first(le.Assignees)
			add(event.IncidentReassigned, le.at, d)
		case "urgency_change_log_entry":
			d.Responder = user(le.Agent)
			add(event.IncidentSeverityChanged, le.at, d)
		case "notify_log_entry":
			if le.User == nil || le.User.ID == "" {
				r.problem(b, "log_entry", le.ID, event.ReasonMissingField, "notify_log_entry without a user", le.raw)
				continue
			}
			who := r.mp.Responder(le.User.ID, le.User.Summary)
			ch := ""
			if le.Channel != nil {
				if le.Channel.Notification != nil {
					ch = channels[le.Channel.Notification.Type]
				}
				if ch == "" {
					ch = channels[le.Channel.Type]
				}
			}
			add(event.PageNotified, le.at, event.Data{IncidentID: inc.ID, Team: d.Team, Responder: who,
				Channel: ch, ResponderTZ: r.zone(ctx, who, le.User.ID)})
		default:
			if skippedTypes[le.Type] {
				r.sum.Skipped++
				continue
			}
			r.problem(b, "log_entry", le.ID, event.ReasonUnknownType, fmt.Sprintf("log entry type %q has no canonical mapping", le.Type), le.raw)
		}
	}
	if !triggered {
		// The trigger entry was not listed (an old incident's log may be
		// cut): the incident's creation is its trigger.
		d := incData(urgencyAt[0])
		d.DetectedBy = event.DetectedByAlert
		add(event.IncidentTriggered, created.UTC(), d)
	}
	return evs
}

// zoneOf is zone for an agent reference.
func (r *run) zoneOf(ctx context.Context, who string, a *ref) string {
	if who == "" || a == nil {
		return ""
	}
	return r.zone(ctx, who, a.ID)
}

// onCalls maps the on-call entries overlapping w to shift events, one
// shift per user and schedule (an on-call entry is per escalation policy
// and level too; the same shift seen through two policies, or in two
// windows, has one id). A shift's end is taken only when it is within the
// window: an entry may be cut at the range asked for (PagerDuty does not
// say), and the true end is then read with the next window. On-call entries
// without a schedule (a user named directly in an escalation policy: "If
// null, the on-call is a permanent user on-call") are not shifts.
func (r *run) onCalls(ctx context.Context, w importers.Window, b *importers.Batch) error {
	q := url.Values{"time_zone": {"UTC"}, "include[]": {"schedules"}}
	raws, _, err := r.api.listSplit(ctx, "/oncalls", q, "oncalls", w, func(q url.Values, w importers.Window) {
		q.Set("since", apiTime(w.Start))
		q.Set("until", apiTime(w.End.Add(time.Second)))
	})
	if err != nil {
		return r.pageError(b, "oncalls", err)
	}
	r.sum.AddItems("oncalls", len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		var oc apiOnCall
		if err := json.Unmarshal(raw, &oc); err != nil {
			r.problem(b, "oncall", "", event.ReasonWrongType, "not an Oncall object: "+err.Error(), raw)
			continue
		}
		if oc.User == nil || oc.User.ID == "" || oc.Schedule == nil || oc.Schedule.ID == "" || oc.Start == nil {
			r.sum.Skipped++
			continue
		}
		if r.teams != nil && !r.inTeams(oc.Schedule.Teams) {
			continue
		}
		id := oc.User.ID + "/" + oc.Schedule.ID
		start, err := time.Parse(time.RFC3339Nano, *oc.Start)
		if err != nil {
			r.problem(b, "oncall", id, event.ReasonBadTime, fmt.Sprintf("start %q is not an RFC 3339 time", *oc.Start), raw)
			continue
		}
		who := r.mp.Responder(oc.User.ID, oc.User.Summary)
		d := event.Data{Responder: who, ResponderTZ: r.zone(ctx, who, oc.User.ID), Schedule: oc.Schedule.Summary}
		if d.Schedule == "" {
			d.Schedule = oc.Schedule.Name
		}
		if len(oc.Schedule.Teams) > 0 {
			d.Team = r.mp.Team(oc.Schedule.Teams[0])
		}
		shift := func(typ event.Type, at time.Time) {
			e := event.Event{Source: Source, Type: typ, Time: at.UTC(), Data: d,
				ID: decode.DerivedID(Source, string(typ), oc.User.ID, oc.Schedule.ID, at.UTC().Format(time.RFC3339))}
			if seen[e.ID] {
				return
			}
			seen[e.ID] = true
			if err := event.Validate(&e, r.o.Limits); err != nil {
				r.problem(b, "oncall", id, reasonOf(err), err.Error(), raw)
				return
			}
			b.Rows = append(b.Rows, store.Row{Event: e, Topic: Topic})
			r.sum.Events++
		}
		shift(event.ShiftStarted, start)
		if oc.End != nil {
			end, err := time.Parse(time.RFC3339Nano, *oc.End)
			if err != nil {
				r.problem(b, "oncall", id, event.ReasonBadTime, fmt.Sprintf("end %q is not an RFC 3339 time", *oc.End), raw)
				continue
			}
			if !end.After(w.End) && !end.After(r.now) {
				shift(event.ShiftEnded, end)
			}
		}
	}
	return nil
}

func (r *run) inTeams(ts []ref) bool {
	for _, t := range ts {
		if r.teams[t.ID] {
			return true
		}
	}
	return false
}
