package oncall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// group maps one alert group to the incident events the webhook decoder
// makes of its webhooks: incident.triggered at created_at, and, where the
// group has them now, incident.acknowledged at acknowledged_at by
// acknowledged_by and incident.resolved at resolved_at by resolved_by. An
// alert group keeps only its latest acknowledgement and resolution (an
// unacknowledge or unresolve clears them, engine/apps/alerts/models/
// alert_group.py), so earlier ones and every unresolve (incident.reopened)
// are only known from webhooks.
func (r *run) group(ctx context.Context, g *apiAlertGroup, created time.Time, raw json.RawMessage, b *importers.Batch) error {
	if g.ResolvedAt == nil && g.State != "resolved" {
		b.Open = append(b.Open, g.ID) // read again until resolved
	}
	grp := decode.OnCallGroup{ID: g.ID, Labels: g.Labels}
	if g.Title != nil {
		grp.Title = *g.Title
	}
	if in, ok := r.integrations[g.IntegrationID]; ok {
		grp.IntegrationType, grp.IntegrationName = in.Type, in.Name
	}
	if g.TeamID != nil {
		// The alert group's team_id is its integration's team
		// (channel.team), whose name the webhook sends as integration.team.
		grp.IntegrationTeam = r.teams[*g.TeamID]
	}
	if g.LastAlert != nil {
		grp.AlertPayload = g.LastAlert.Payload
	}
	if r.needPayload && g.AlertsCount > 1 {
		// The webhook's alert_payload is the first alert's; the list gives
		// the last.
		p, err := r.api.firstAlert(ctx, g.ID, g.AlertsCount)
		if err != nil {
			if perr := r.pageError(b, "alerts", err); perr != nil {
				return perr
			}
			b.Open = append(b.Open, g.ID) // read again next run
			return nil
		}
		r.sum.AddItems("alerts", 1)
		if p != nil {
			grp.AlertPayload = p
		}
	}
	user := func(id *string) (string, string) {
		if id == nil || *id == "" {
			return "", ""
		}
		return *id, r.users[*id].Username
	}
	var evs []event.Event
	evs = append(evs, r.mp.Incident(&grp, event.IncidentTriggered, created, "", ""))
	for _, tr := range []struct {
		typ   event.Type
		field string
		at    *string
		by    *string
	}{
		{event.IncidentAcknowledged, "acknowledged_at", g.AcknowledgedAt, g.AcknowledgedBy},
		{event.IncidentResolved, "resolved_at", g.ResolvedAt, g.ResolvedBy},
	} {
		if tr.at == nil {
			continue
		}
		at, err := parseTime(*tr.at)
		if err != nil {
			r.problem(b, "alert_group", g.ID, event.ReasonBadTime, fmt.Sprintf("%s %q is not an ISO 8601 time", tr.field, *tr.at), raw)
			continue
		}
		id, name := user(tr.by)
		evs = append(evs, r.mp.Incident(&grp, tr.typ, at, id, name))
	}
	for i := range evs {
		if err := event.Validate(&evs[i], r.o.Limits); err != nil {
			r.problem(b, "alert_group", g.ID, reasonOf(err), fmt.Sprintf("%s: %v", evs[i].Type, err), raw)
			continue
		}
		b.Rows = append(b.Rows, store.Row{Event: evs[i], Topic: Topic})
		r.sum.Events++
	}
	return nil
}

// shifts maps every schedule's final shifts over w to shift events, one
// shift.started and one shift.ended per user and final shift. final_shifts
// cuts a shift to the period asked (its start and end at the period's
// edges), and takes the period to the minute, so the period asked is w
// with at least a minute more on each side: a start before w.Start or an
// end after w.End is then a cut one (or another window's), and only a start
// in [w.Start, w.End) and an end in (w.Start, w.End] are taken. A shift
// already running at the start of the range imported (--since, or the start
// of an older part) starts at w.Start: its true start is outside the range.
func (r *run) shifts(ctx context.Context, w importers.Window, b *importers.Batch) error {
	q := url.Values{
		"start_date": {shiftDate(w.Start.Truncate(time.Minute).Add(-time.Minute))},
		"end_date":   {shiftDate(w.End.Truncate(time.Minute).Add(time.Minute))},
	}
	rangeStart := w.Start.Equal(r.o.Since)
	for _, sc := range r.schedules {
		path := "/api/v1/schedules/" + url.PathEscape(sc.ID) + "/final_shifts"
		raws, err := r.api.list(ctx, path, q)
		if errors.Is(err, errNotFound) {
			continue // deleted since the schedules were read
		}
		if err != nil {
			if perr := r.pageError(b, "final_shifts", err); perr != nil {
				return perr
			}
			continue
		}
		r.sum.AddItems("shifts", len(raws))
		team := ""
		if sc.TeamID != nil {
			team = r.mp.Team(r.teams[*sc.TeamID])
		}
		seen := map[string]bool{}
		for _, raw := range raws {
			var s apiShift
			if err := json.Unmarshal(raw, &s); err != nil {
				r.problem(b, "shift", sc.ID, event.ReasonWrongType, "not a final shift object: "+err.Error(), raw)
				continue
			}
			if s.UserPK == "" {
				r.sum.Skipped++
				continue
			}
			id := s.UserPK + "/" + sc.ID
			start, err := parseTime(s.ShiftStart)
			if err != nil {
				r.problem(b, "shift", id, event.ReasonBadTime, fmt.Sprintf("shift_start %q is not an ISO 8601 time", s.ShiftStart), raw)
				continue
			}
			end, err := parseTime(s.ShiftEnd)
			if err != nil {
				r.problem(b, "shift", id, event.ReasonBadTime, fmt.Sprintf("shift_end %q is not an ISO 8601 time", s.ShiftEnd), raw)
				continue
			}
			if !start.Before(w.End) || !end.After(w.Start) {
				continue // another window's
			}
			who := r.mp.Responder(s.UserPK, s.UserUsername)
			d := event.Data{Responder: who, ResponderTZ: r.zone(who, s.UserPK), Schedule: sc.Name, Team: team}
			shift := func(typ event.Type, at time.Time) {
				e := event.Event{Source: Source, Type: typ, Time: at.UTC(), Data: d,
					ID: decode.DerivedID(Source, string(typ), s.UserPK, sc.ID, at.UTC().Format(time.RFC3339Nano))}
				if seen[e.ID] {
					return
				}
				seen[e.ID] = true
				if err := event.Validate(&e, r.o.Limits); err != nil {
					r.problem(b, "shift", id, reasonOf(err), err.Error(), raw)
					return
				}
				b.Rows = append(b.Rows, store.Row{Event: e, Topic: Topic})
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
