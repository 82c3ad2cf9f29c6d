package prometheus

import (
	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// The alerts area: alert quality counts per alertname (behind the alertname
// limit) and flapping keys per service.
func init() {
	registerArea("alerts", []string{
		mn.Alerts, mn.AlertsAcknowledged, mn.AlertsActionable, mn.AlertsTransient,
		mn.AlertsAutoResolved, mn.AlertsOffHours, mn.AlertsSleepHours, mn.AlertsFlapping,
	}, func(d descs) area { return alertsArea{d} })
}

type alertsArea struct{ d descs }

type alertSeriesKey struct {
	window string
	alertKey
}

type flapKey struct{ window, team, service string }

func (a alertsArea) build(snap *analytics.Snapshot, opts Options, b *builder) {
	d := a.d
	keys := make([]alertKey, len(snap.Alerts))
	counts := make([]int64, len(snap.Alerts))
	for i, s := range snap.Alerts {
		keys[i] = alertKey{orUnknown(s.Team), orUnknown(s.Service), orUnknown(s.AlertName)}
		counts[i] = s.Alerts
	}
	name := alertnameNames(keys, counts, opts.MaxAlertnames)
	var rows ordered[alertSeriesKey, [7]int64]
	var flapping ordered[flapKey, int64]
	for i, s := range snap.Alerts {
		k := keys[i]
		k.alertname = name(k)
		r := rows.at(alertSeriesKey{s.Window, k})
		for j, v := range [...]int64{s.Alerts, s.Acknowledged, s.Actionable, s.Transient, s.AutoResolved, s.OffHours, s.SleepHours} {
			r[j] += v
		}
		// A key's lives normally share one alertname, so summing over
		// names counts each flapping key once.
		*flapping.at(flapKey{s.Window, k.team, k.service}) += s.FlappingKeys
	}
	names := [...]string{mn.Alerts, mn.AlertsAcknowledged, mn.AlertsActionable, mn.AlertsTransient, mn.AlertsAutoResolved, mn.AlertsOffHours, mn.AlertsSleepHours}
	for i, k := range rows.keys {
		for j, n := range names {
			b.gauge(d.get(n), float64(rows.vals[i][j]), k.team, k.service, k.alertname, k.window)
		}
	}
	for i, k := range flapping.keys {
		b.gauge(d.get(mn.AlertsFlapping), float64(flapping.vals[i]), k.team, k.service, k.window)
	}
}
