package synth

import (
	"strconv"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// Channels of a first notification; a repeat (the escalation of the
// notification rule, not of the incident) is always a phone call.
var firstChannels = []string{"push", "push", "push", "sms", "email"}

func (g *gen) shift(at int64, typ event.Type, t *team, ri int) {
	r := &g.responders[ri]
	e := g.newEvent(at, typ)
	e.Data = event.Data{Team: t.name, Schedule: t.schedule, Responder: r.name, ResponderTZ: r.tz}
}

// handoff ends the current weekly shift and starts the next one, or, now
// and then, leaves the schedule uncovered for a few hours (a forgotten
// override, a holiday): a coverage gap.
func (g *gen) handoff(t *team, at int64) {
	if t.onCall >= 0 {
		g.shift(at, event.ShiftEnded, t, t.onCall)
	}
	t.rot = (t.rot + 1) % len(t.responders)
	if g.chance(g.cfg.Rates.CoverageGap) {
		t.onCall = -1
		g.schedule(at+g.between(3600, 8*3600), t.shiftStart)
	} else {
		t.onCall = t.responders[t.rot]
		g.shift(at, event.ShiftStarted, t, t.onCall)
	}
	g.schedule(at+week, t.handoff)
}

// secondary is who an escalation reaches: the next in the rotation.
func (g *gen) secondary(t *team) int {
	return t.responders[(t.rot+1)%len(t.responders)]
}

// member returns a random member of t other than not (−1 for anyone).
func (g *gen) member(t *team, not int) int {
	for {
		ri := t.responders[g.rng.IntN(len(t.responders))]
		if ri != not {
			return ri
		}
	}
}

// page notifies responder ri; sometimes the notification rule follows up
// with a phone call within 2 minutes (one interruption, two notifications).
func (g *gen) page(at int64, ri int, base *event.Data) {
	r := &g.responders[ri]
	ch := firstChannels[g.rng.IntN(len(firstChannels))]
	repeat := g.chance(g.cfg.Rates.RepeatPage)
	e := g.newEvent(at, event.PageNotified)
	e.Data = event.Data{IncidentID: base.IncidentID, AlertKey: base.AlertKey, Service: base.Service, Team: base.Team,
		Urgency: base.Urgency, Responder: r.name, ResponderTZ: r.tz, Channel: ch}
	if repeat {
		e := g.newEvent(at+g.between(30, 110), event.PageNotified)
		e.Data = event.Data{IncidentID: base.IncidentID, AlertKey: base.AlertKey, Service: base.Service, Team: base.Team,
			Urgency: base.Urgency, Responder: r.name, ResponderTZ: r.tz, Channel: "phone"}
	}
}

// incEvent queues an incident event carrying the incident's identity and
// ownership; severity travels only on the trigger and on severity changes,
// where metrics.md reads it.
func (g *gen) incEvent(at int64, typ event.Type, base *event.Data, ri int) *event.Event {
	e := g.newEvent(at, typ)
	e.Data = event.Data{IncidentID: base.IncidentID, Service: base.Service, Team: base.Team, Urgency: base.Urgency}
	if ri >= 0 {
		e.Data.Responder = g.responders[ri].name
		e.Data.ResponderTZ = g.responders[ri].tz
	}
	return e
}

// incident draws the whole life of one incident of service si arriving at a.
func (g *gen) incident(si int, a int64) {
	c := &g.cfg
	r := &c.Rates
	s := &g.services[si]
	t := &g.teams[s.team]
	u := g.rng.Float64() * g.sevCum[len(g.sevCum)-1]
	sev := 0
	for sev < len(g.sevCum)-1 && u >= g.sevCum[sev] {
		sev++
	}
	sp := &c.Severities[sev]
	major := sev < c.MajorSeverities

	g.incN++
	base := event.Data{
		IncidentID: g.incBase + strconv.FormatUint(g.incN, 10),
		Service:    s.name, Team: t.name, Urgency: sp.Urgency,
	}

	// Detection. Most incidents open from an alert; the rest are declared
	// by a human or reported by a customer, well after the impact began.
	detected := event.DetectedByAlert
	switch d := g.rng.Float64(); {
	case d < r.DetectedByHuman:
		detected = event.DetectedByHuman
	case d < r.DetectedByHuman+r.DetectedByCustomer:
		detected = event.DetectedByCustomer
	}
	T := a
	var ir *incidentRule
	shard := 0
	title := ""
	var lead int64
	switch detected {
	case event.DetectedByAlert:
		ir = &s.incs[g.rng.IntN(len(s.incs))]
		shard = ir.shard(s.name+"/"+ir.name, a)
		base.AlertKey = ir.keys[shard]
		T = a + g.between(0, 20) // the incident opens seconds after its alert
		e := g.newEvent(a, event.AlertTriggered)
		e.Data = event.Data{AlertKey: base.AlertKey, AlertName: ir.name, Service: s.name, Team: t.name,
			Urgency: sp.Urgency, Labels: s.labels}
		title = ir.name + " on " + s.name
		if g.chance(r.StartedAtKnown) {
			lead = g.lognormal(4*time.Minute, 0.8)
		}
	case event.DetectedByHuman:
		title = "Degraded " + s.name + " (declared)"
		lead = g.lognormal(15*time.Minute, 0.9)
	default:
		title = "Customers report errors on " + s.name
		lead = g.lognormal(40*time.Minute, 0.9)
	}
	e := g.incEvent(T, event.IncidentTriggered, &base, -1)
	e.Data.AlertKey = base.AlertKey
	if ir != nil {
		e.Data.AlertName = ir.name
	}
	e.Data.Title = title
	e.Data.Severity = sp.Name
	e.Data.DetectedBy = detected
	e.Data.Labels = s.labels
	if lead > 0 {
		st := time.Unix(T-lead, 0).UTC()
		e.Data.StartedAt = &st
	}

	primary := t.onCall // −1 in a coverage gap: nobody is paged until the escalation
	second := g.secondary(t)
	if primary >= 0 {
		g.page(T+g.between(1, 5), primary, &base)
	}

	// The core timeline. Both durations are drawn for every incident so the
	// measured distributions match the configured ones whatever else happens.
	ack := max(g.lognormal(sp.AckMedian, sp.AckSigma), 10)
	res := g.lognormal(sp.ResolveMedian, sp.ResolveSigma)
	auto := g.chance(sp.AutoResolve)
	esc := int64(sp.EscalateAfter / time.Second)
	escalate := func(at int64) {
		g.incEvent(at, event.IncidentEscalated, &base, second)
		g.page(at+g.between(1, 5), second, &base)
	}

	owner := -1 // who holds the incident: acknowledger, then reassignee
	var mitigated int64
	if auto {
		res = max(res, 60)
		switch {
		case primary < 0:
			escalate(T + min(60, res/2))
		case res > esc:
			escalate(T + esc)
		}
		e := g.incEvent(T+res, event.IncidentResolved, &base, -1)
		e.Data.ResolvedBy = event.ResolvedBySystem
	} else {
		owner = primary
		switch {
		case primary < 0:
			escalate(T + min(60, ack/2))
			owner = second
		case ack > esc:
			escalate(T + esc)
			if g.chance(0.8) { // usually the secondary answers; sometimes the primary wakes up late
				owner = second
			}
		}
		g.incEvent(T+ack, event.IncidentAcknowledged, &base, owner)
		if ir != nil {
			e := g.newEvent(T+ack+g.between(0, 2), event.AlertAcknowledged)
			e.Data = event.Data{AlertKey: base.AlertKey, AlertName: ir.name, Service: s.name, Team: t.name,
				Responder: g.responders[owner].name, ResponderTZ: g.responders[owner].tz}
		}
		// Clamp only the low tail (res below ack), which leaves the median alone.
		res = max(res, ack+60)
		work := res - ack
		if g.chance(r.SeverityChange) && len(c.Severities) > 1 {
			to := sev + 1 // mostly a downgrade once the impact is understood
			if sev == len(c.Severities)-1 || (sev > 0 && g.chance(0.3)) {
				to = sev - 1
			}
			e := g.incEvent(T+ack+work/5, event.IncidentSeverityChanged, &base, owner)
			e.Data.Severity = c.Severities[to].Name
		}
		if g.chance(r.Reassign) {
			other := g.member(t, owner)
			g.incEvent(T+ack+work/10+g.between(0, work*4/10), event.IncidentReassigned, &base, other)
			owner = other
		}
		if g.chance(sp.Mitigate) {
			mitigated = T + ack + work*3/10 + g.between(0, work*6/10)
			g.incEvent(mitigated, event.IncidentMitigated, &base, owner)
		}
		e := g.incEvent(T+res, event.IncidentResolved, &base, owner)
		e.Data.ResolvedBy = event.ResolvedByHuman
	}

	// The alert clears when the fix lands (mitigation or resolve); now and
	// then it outlives its incident.
	if ir != nil {
		clear, by := T+res, event.ResolvedBySystem
		switch {
		case g.chance(r.AlertOutlivesIncident):
			clear += g.lognormal(15*time.Minute, 0.8)
		case mitigated > 0:
			clear = min(mitigated+g.between(0, 180), T+res)
		case !auto && g.chance(0.3):
			by = event.ResolvedByHuman // resolved together with the incident
		}
		e := g.newEvent(clear, event.AlertResolved)
		e.Data = event.Data{AlertKey: base.AlertKey, AlertName: ir.name, Service: s.name, Team: t.name, ResolvedBy: by}
		ir.busy[shard] = clear
	}

	final := T + res
	if g.chance(r.Reopen) {
		ro := final + g.lognormal(90*time.Minute, 0.8)
		who := owner
		if who < 0 {
			who = second
		}
		g.incEvent(ro, event.IncidentReopened, &base, -1)
		g.page(ro+g.between(1, 5), who, &base)
		g.incEvent(ro+g.lognormal(5*time.Minute, 0.8), event.IncidentAcknowledged, &base, who)
		final = ro + 300 + g.lognormal(40*time.Minute, 0.8)
		e := g.incEvent(final, event.IncidentResolved, &base, who)
		e.Data.ResolvedBy = event.ResolvedByHuman
	}

	if major {
		g.command(t, &base, T, res, final, owner, sev == 0)
	}
}

// command draws the incident-command events of a major incident: a
// commander (usually), status updates until the resolve (with the odd long
// silence), a retrospective (usually) and its action items (some never done).
func (g *gen) command(t *team, base *event.Data, T, res, final int64, owner int, top bool) {
	r := &g.cfg.Rates
	lead := owner
	if g.chance(r.Commander) {
		at := T + g.lognormal(r.CommanderMedian, 0.7)
		if at >= T+res {
			at = T + res/2
		}
		lead = g.member(t, owner)
		e := g.incEvent(at, event.IncidentRoleAssigned, base, lead)
		e.Data.Role = "commander"
		if g.chance(0.4) {
			e := g.incEvent(at+g.between(60, 600), event.IncidentRoleAssigned, base, g.member(t, lead))
			e.Data.Role = "communications"
		}
		if owner >= 0 && g.chance(0.5) {
			e := g.incEvent(at+g.between(30, 300), event.IncidentRoleAssigned, base, owner)
			e.Data.Role = "technical_lead"
		}
	}

	silence := -1
	if g.chance(r.LongSilence) {
		silence = g.rng.IntN(3)
	}
	at := T
	for i := 0; i < 200; i++ {
		gap := g.lognormal(r.UpdateMedian, 0.5)
		if i == silence {
			gap *= 4
		}
		at += gap
		if at >= T+res {
			break
		}
		aud := "internal"
		switch u := g.rng.Float64(); {
		case u < 0.1 && top:
			aud = "public"
		case u < 0.45:
			aud = "stakeholders"
		}
		e := g.incEvent(at, event.IncidentStatusUpdate, base, lead)
		e.Data.Audience = aud
	}

	if !g.chance(r.Retrospective) {
		return
	}
	rt := final + g.lognormal(r.RetroMedian, 0.6)
	g.incEvent(rt, event.IncidentRetrospectiveCompleted, base, lead)
	if r.ActionItemsMax < 1 {
		return
	}
	n := 1 + g.rng.IntN(r.ActionItemsMax)
	for k := 1; k <= n; k++ {
		id := base.IncidentID + "-ai-" + strconv.Itoa(k)
		created := rt + g.between(0, 7200)
		e := g.newEvent(created, event.ActionItemCreated)
		e.Data = event.Data{IncidentID: base.IncidentID, ActionID: id, Service: base.Service, Team: base.Team}
		if g.chance(r.ActionCompleted) {
			e := g.newEvent(created+g.lognormal(r.ActionDoneMedian, 0.8), event.ActionItemCompleted)
			e.Data = event.Data{IncidentID: base.IncidentID, ActionID: id, Service: base.Service, Team: base.Team}
		}
	}
}

// fire draws one firing (or, for a flapping rule, one burst of firings) of a
// noise rule at a and returns when its last alert resolves: a key carries one
// live alert at a time.
func (g *gen) fire(ru *rule, a int64) int64 {
	s := &g.services[ru.svc]
	t := &g.teams[s.team]
	r := &g.cfg.Rates
	base := event.Data{AlertKey: ru.key, Service: s.name, Team: t.name}
	one := func(at, dur int64, pageP, ackP float64, urgency string, by string) {
		e := g.newEvent(at, event.AlertTriggered)
		e.Data = event.Data{AlertKey: ru.key, AlertName: ru.name, Service: s.name, Team: t.name, Urgency: urgency, Labels: s.labels}
		base.Urgency = urgency
		oc := t.onCall
		if oc >= 0 && g.chance(pageP) {
			g.page(at+g.between(1, 5), oc, &base)
		}
		if oc >= 0 && g.chance(ackP) {
			ack := min(g.lognormal(5*time.Minute, 0.8), dur-1)
			e := g.newEvent(at+max(ack, 1), event.AlertAcknowledged)
			e.Data = event.Data{AlertKey: ru.key, AlertName: ru.name, Service: s.name, Team: t.name,
				Responder: g.responders[oc].name, ResponderTZ: g.responders[oc].tz}
		}
		e = g.newEvent(at+dur, event.AlertResolved)
		e.Data = event.Data{AlertKey: ru.key, AlertName: ru.name, Service: s.name, Team: t.name, ResolvedBy: by}
	}
	switch ru.class {
	case ruleFlapping:
		at := a
		for range 3 + g.rng.IntN(5) {
			dur := g.between(60, 300)
			one(at, dur, 0.9, 0.1, "high", event.ResolvedBySystem)
			at += dur + g.between(120, 600)
		}
		return at
	case ruleTransient:
		dur := g.between(20, 290)
		if g.chance(r.TransientLongerThan) {
			dur = g.between(301, 1200)
		}
		one(a, dur, 0.5, 0, "high", event.ResolvedBySystem)
		return a + dur
	case ruleNoisy:
		dur := max(g.lognormal(40*time.Minute, 0.7), 360)
		one(a, dur, 0.3, 0.05, "low", event.ResolvedBySystem)
		return a + dur
	default:
		if g.chance(r.QuietAcknowledged) {
			dur := g.lognormal(45*time.Minute, 0.8) + 600
			by := event.ResolvedBySystem
			if g.chance(0.5) {
				by = event.ResolvedByHuman
			}
			one(a, dur, 1, 1, "high", by)
			return a + dur
		}
		dur := max(g.lognormal(30*time.Minute, 0.8), 360)
		one(a, dur, 1, 0, "high", event.ResolvedBySystem)
		return a + dur
	}
}
