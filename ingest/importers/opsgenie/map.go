package opsgenie

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// notPaged are recipient states of a user who was not notified: Opsgenie's
// example answer of List Alert Recipients has "notactive" (with no method)
// beside "action" (method Acknowledge).
var notPaged = map[string]bool{"notactive": true}

// responder names a user the way the webhook decoder names "the user"
// (alert.userId / alert.username): the REST API's report gives the
// username only (acknowledgedBy, closedBy), so the id comes from the users
// list when the mapping prefers ids; "System" is Opsgenie's automation.
func (r *run) responder(username string) (who, userID string) {
	if u, ok := r.byName[strings.ToLower(username)]; ok {
		userID = u.ID
	}
	return r.mp.Responder(userID, username), userID
}

// mapAlert turns an alert and its recipients into canonical events, with
// the fields the webhook decoder gives Create, Acknowledge and Close, and a
// page per recipient that was notified.
func (r *run) mapAlert(a *apiAlert, created time.Time, raw json.RawMessage, rcps []json.RawMessage, b *importers.Batch) []event.Event {
	oa := &decode.OpsgenieAlert{ID: a.ID, Alias: a.Alias, Message: a.Message, Entity: a.Entity, Source: a.Source,
		Priority: a.Priority, Tags: a.Tags}
	for _, rp := range a.Responders {
		if rp.Type == "team" && rp.ID != "" {
			oa.Teams = append(oa.Teams, rp.ID)
		}
	}
	team, service, severity := r.mp.Alert(oa)
	key := a.Alias
	if key == "" {
		key = a.ID
	}
	base := event.Data{IncidentID: a.ID, AlertKey: key, Title: a.Message, Service: service, Team: team, Severity: severity}

	var evs []event.Event
	// both adds the alert.* and incident.* pair, as the decoder does for
	// Create, Acknowledge and Close, in whole seconds (decode.OpsgenieID).
	both := func(alertType, incType event.Type, at time.Time, al, inc event.Data) {
		al.IncidentID = ""
		for _, e := range []event.Event{
			{Source: Source, Type: alertType, Time: at.Truncate(time.Second), Data: al},
			{Source: Source, Type: incType, Time: at.Truncate(time.Second), Data: inc},
		} {
			e.ID = decode.OpsgenieID(&e)
			evs = append(evs, e)
		}
	}
	inc := base
	// The REST API does not say who created an alert (the webhook's Create
	// has userId for one opened by hand): an alert is detected by an alert.
	inc.DetectedBy = event.DetectedByAlert
	both(event.AlertTriggered, event.IncidentTriggered, created, base, inc)

	rep := a.Report
	if rep != nil && (rep.AckTime != nil || rep.AcknowledgedBy != "") {
		var ms int64
		if rep.AckTime != nil {
			ms = *rep.AckTime
		}
		if ms < 0 {
			r.problem(b, "alert", a.ID, event.ReasonBadValue, fmt.Sprintf("report.ackTime %d is negative", ms), raw)
		} else {
			d := base
			d.Responder, _ = r.responder(rep.AcknowledgedBy)
			both(event.AlertAcknowledged, event.IncidentAcknowledged, created.Add(time.Duration(ms)*time.Millisecond), d, d)
		}
	}
	switch {
	case rep != nil && (rep.CloseTime != nil || rep.ClosedBy != ""):
		var ms int64
		if rep.CloseTime != nil {
			ms = *rep.CloseTime
		}
		if ms < 0 {
			r.problem(b, "alert", a.ID, event.ReasonBadValue, fmt.Sprintf("report.closeTime %d is negative", ms), raw)
			break
		}
		d := base
		d.Responder, _ = r.responder(rep.ClosedBy)
		d.ResolvedBy = event.ResolvedBySystem
		if d.Responder != "" {
			d.ResolvedBy = event.ResolvedByHuman
		}
		both(event.AlertResolved, event.IncidentResolved, created.Add(time.Duration(ms)*time.Millisecond), d, d)
	case a.Status == "closed":
		r.problem(b, "alert", a.ID, event.ReasonMissingField, "closed, but report.closeTime and report.closedBy are missing", raw)
	}

	seen := map[string]bool{}
	for _, rr := range rcps {
		var rc apiRecipient
		if err := json.Unmarshal(rr, &rc); err != nil {
			r.problem(b, "recipient", a.ID, event.ReasonWrongType, "not an AlertRecipient object: "+err.Error(), rr)
			continue
		}
		if rc.User == nil || (rc.User.ID == "" && rc.User.Username == "") {
			r.problem(b, "recipient", a.ID, event.ReasonMissingField, "recipient without a user", rr)
			continue
		}
		if notPaged[strings.ToLower(rc.State)] {
			r.sum.Skipped++
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, rc.CreatedAt)
		if err != nil {
			r.problem(b, "recipient", a.ID+"/"+rc.User.ID, event.ReasonBadTime, fmt.Sprintf("createdAt %q is not an RFC 3339 time", rc.CreatedAt), rr)
			continue
		}
		who := r.mp.Responder(rc.User.ID, rc.User.Username)
		if who == "" || seen[who] {
			continue
		}
		seen[who] = true
		e := event.Event{Source: Source, Type: event.PageNotified, Time: at.UTC().Truncate(time.Second),
			Data: event.Data{IncidentID: a.ID, AlertKey: key, Team: team, Responder: who, ResponderTZ: r.zone(who, rc.User.ID)}}
		e.ID = decode.OpsgeniePageID(a.ID, who, e.Time)
		evs = append(evs, e)
	}
	return evs
}

// timeline maps the final timeline of schedule s over w to shift events:
// one shift per user period (a period for a team, an escalation or no one
// names no person and is skipped). A period's start is read as given: one
// running into w from before starts before w, or, where the answer cuts
// periods at the date asked for, at w's start (a second shift.started of
// the same shift, as the PagerDuty importer's cut on-call entries give;
// the on-call figures count the time once). Its end is taken only when it
// is within w and not after now (api.timeline asks for a day more than w,
// so an end the answer cut is never within w); a later end is read with
// the window it falls in.
func (r *run) timeline(ctx context.Context, s apiSchedule, w importers.Window, b *importers.Batch) error {
	raw, err := r.api.timeline(ctx, s.ID, w)
	if err != nil {
		return r.pageError(b, "timeline", err)
	}
	var tl apiTimeline
	if err := json.Unmarshal(raw, &tl); err != nil {
		b.Bad = true
		r.problem(b, "timeline", s.ID, event.ReasonWrongType, "not a ScheduleTimeline object: "+err.Error(), raw)
		return nil
	}
	if tl.FinalTimeline == nil {
		return nil
	}
	team := ""
	if s.OwnerTeam != nil && s.OwnerTeam.ID != "" {
		team = r.mp.Team(s.OwnerTeam.ID)
	}
	seen := map[string]bool{}
	for _, rot := range tl.FinalTimeline.Rotations {
		r.sum.AddItems("periods", len(rot.Periods))
		for _, p := range rot.Periods {
			if p.Recipient == nil || p.Recipient.Type != "user" || (p.Recipient.ID == "" && p.Recipient.Name == "") {
				r.sum.Skipped++
				continue
			}
			id := s.ID + "/" + rot.ID + "/" + p.Recipient.ID
			start, err := time.Parse(time.RFC3339Nano, p.StartDate)
			if err != nil {
				r.problem(b, "period", id, event.ReasonBadTime, fmt.Sprintf("startDate %q is not an RFC 3339 time", p.StartDate), raw)
				continue
			}
			end, err := time.Parse(time.RFC3339Nano, p.EndDate)
			if err != nil {
				r.problem(b, "period", id, event.ReasonBadTime, fmt.Sprintf("endDate %q is not an RFC 3339 time", p.EndDate), raw)
				continue
			}
			if !end.After(w.Start) || !start.Before(w.End) {
				continue // outside w: another window's
			}
			userKey := p.Recipient.ID
			if userKey == "" {
				userKey = p.Recipient.Name
			}
			who := r.mp.Responder(p.Recipient.ID, p.Recipient.Name)
			d := event.Data{Responder: who, ResponderTZ: r.zone(who, p.Recipient.ID), Schedule: s.Name, Team: team}
			shift := func(typ event.Type, at time.Time) {
				e := event.Event{Source: Source, Type: typ, Time: at.UTC().Truncate(time.Second), Data: d}
				e.ID = decode.DerivedID(Source, string(typ), userKey, s.ID, e.Time.Format(time.RFC3339))
				if seen[e.ID] {
					return
				}
				seen[e.ID] = true
				if err := event.Validate(&e, r.o.Limits); err != nil {
					r.problem(b, "period", id, reasonOf(err), err.Error(), raw)
					return
				}
				b.Rows = append(b.Rows, store.Row{Event: e, Topic: Topic})
				r.sum.Events++
			}
			shift(event.ShiftStarted, start)
			if !end.After(w.End) && !end.After(r.now) {
				shift(event.ShiftEnded, end)
			}
		}
	}
	return nil
}
