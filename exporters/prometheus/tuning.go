package prometheus

import (
	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// The tuning area: what each simulated change would have spared
// (analytics.Tuning, one window), per team, service and alertname behind
// the same alertname limit as the alert-quality families, so that both
// fold the same names into "other". Every change of a row is exported,
// 0 when it does not apply, so that a panel can tell "nothing to gain"
// from "not computed".
func init() {
	registerArea("tuning", []string{mn.AlertTuningSuppressibleAlerts}, func(d descs) area { return tuningArea{d} })
}

type tuningArea struct{ d descs }

func (a tuningArea) build(snap *analytics.Snapshot, opts Options, b *builder) {
	if snap.Tuning == nil {
		return
	}
	// The alertname guard ranks names by their alerts over all windows,
	// as the alerts area does: a name kept there is kept here.
	keys := make([]alertKey, 0, len(snap.Alerts)+len(snap.Tuning.Rules))
	counts := make([]int64, 0, cap(keys))
	for _, s := range snap.Alerts {
		keys = append(keys, alertKey{orUnknown(s.Team), orUnknown(s.Service), orUnknown(s.AlertName)})
		counts = append(counts, s.Alerts)
	}
	if len(snap.Alerts) == 0 {
		for _, r := range snap.Tuning.Rules {
			keys = append(keys, alertKey{orUnknown(r.Team), orUnknown(r.Service), orUnknown(r.AlertName)})
			counts = append(counts, r.Alerts)
		}
	}
	name := alertnameNames(keys, counts, opts.MaxAlertnames)
	var rows ordered[alertKey, [4]int64]
	for _, r := range snap.Tuning.Rules {
		k := alertKey{orUnknown(r.Team), orUnknown(r.Service), orUnknown(r.AlertName)}
		k.alertname = name(k)
		v := rows.at(k)
		for i, n := range spared(r) {
			v[i] += n
		}
	}
	for i, k := range rows.keys {
		for j, change := range mn.TuningChanges {
			b.gauge(a.d.get(mn.AlertTuningSuppressibleAlerts), float64(rows.vals[i][j]), k.team, k.service, k.alertname, change)
		}
	}
}

// spared is a rule's figure per change, in mn.TuningChanges order.
func spared(r analytics.TuneRule) [4]int64 {
	var out [4]int64
	if s := r.RecommendedForSeconds; s != nil {
		for _, o := range r.For {
			if o.Seconds == *s {
				out[0] = o.Suppressed
			}
		}
	}
	if s := r.RecommendedKeepFiringForSeconds; s != nil {
		for _, o := range r.KeepFiringFor {
			if o.Seconds == *s {
				out[1] = o.Merged
			}
		}
	}
	if len(r.InhibitedBy) > 0 {
		out[2] = r.InhibitedBy[0].Suppressed // the strongest; several inhibitors overlap
	}
	if d := r.DeferToBusinessHours; d != nil {
		out[3] = d.AlertsDeferred
	}
	return out
}
