package prometheus

import (
	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// The incidents area: windowed MTTx summaries and counts, open incidents,
// and the all-time counter and duration histograms.
func init() {
	registerArea("incidents", []string{
		mn.IncidentDetectSeconds, mn.IncidentAckSeconds, mn.IncidentMitigateSeconds, mn.IncidentResolveSeconds,
		mn.Incidents, mn.IncidentsEscalated, mn.IncidentsAutoResolved, mn.IncidentsReassigned,
		mn.IncidentsMajor, mn.IncidentsMissedByAlerting,
		mn.IncidentsOpen, mn.IncidentOldestOpenAgeSeconds,
		mn.IncidentsTotal, mn.IncidentAckDurationSeconds, mn.IncidentResolveDurationSeconds,
	}, func(d descs) area { return incidentsArea{d} })
}

type incidentsArea struct{ d descs }

type incidentKey struct{ window, team, service, severity string }

type incidentRow struct {
	counts                         [6]int64
	detect, ack, mitigate, resolve mergedStat
}

type totalsKey struct{ team, service, severity string }

type totalsRow struct {
	incidents, open int64
	ack, resolve    analytics.Histogram
}

type oldestRow struct {
	age float64
	set bool
}

func (a incidentsArea) build(snap *analytics.Snapshot, _ Options, b *builder) {
	d := a.d
	var rows ordered[incidentKey, incidentRow]
	for _, s := range snap.Incidents {
		r := rows.at(incidentKey{s.Window, orUnknown(s.Team), orUnknown(s.Service), orUnknown(s.Severity)})
		for i, v := range [...]int64{s.Count, s.Escalated, s.AutoResolved, s.Reassigned, s.Major, s.MissedByAlerting} {
			r.counts[i] += v
		}
		r.detect.add(s.Detect)
		r.ack.add(s.Ack)
		r.mitigate.add(s.Mitigate)
		r.resolve.add(s.Resolve)
	}
	countDescs := [...]string{mn.Incidents, mn.IncidentsEscalated, mn.IncidentsAutoResolved, mn.IncidentsReassigned, mn.IncidentsMajor, mn.IncidentsMissedByAlerting}
	for i, k := range rows.keys {
		r := &rows.vals[i]
		lvs := []string{k.team, k.service, k.severity, k.window}
		b.summary(d.get(mn.IncidentDetectSeconds), r.detect, lvs...)
		b.summary(d.get(mn.IncidentAckSeconds), r.ack, lvs...)
		b.summary(d.get(mn.IncidentMitigateSeconds), r.mitigate, lvs...)
		b.summary(d.get(mn.IncidentResolveSeconds), r.resolve, lvs...)
		for j, name := range countDescs {
			b.gauge(d.get(name), float64(r.counts[j]), lvs...)
		}
	}

	var totals ordered[totalsKey, totalsRow]
	for _, t := range snap.IncidentTotals {
		r := totals.at(totalsKey{orUnknown(t.Team), orUnknown(t.Service), orUnknown(t.Severity)})
		r.incidents += t.Incidents
		r.open += t.Open
		addHistogram(&r.ack, t.AckDuration)
		addHistogram(&r.resolve, t.ResolveDuration)
	}
	for i, k := range totals.keys {
		r := &totals.vals[i]
		lvs := []string{k.team, k.service, k.severity}
		b.gauge(d.get(mn.IncidentsOpen), float64(r.open), lvs...)
		// A counter rebuilt from the store at every refresh: it never
		// resets on restart because the store remembers every incident.
		b.counter(d.get(mn.IncidentsTotal), float64(r.incidents), lvs...)
		b.histogram(d.get(mn.IncidentAckDurationSeconds), r.ack, lvs...)
		b.histogram(d.get(mn.IncidentResolveDurationSeconds), r.resolve, lvs...)
	}

	var oldest ordered[string, oldestRow]
	for _, o := range snap.OldestOpen {
		r := oldest.at(orUnknown(o.Team))
		if !r.set || o.AgeSeconds > r.age {
			r.age, r.set = o.AgeSeconds, true
		}
	}
	for i, team := range oldest.keys {
		b.gauge(d.get(mn.IncidentOldestOpenAgeSeconds), oldest.vals[i].age, team)
	}
}
