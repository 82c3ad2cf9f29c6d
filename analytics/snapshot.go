// Package analytics defines every pagerlens metric, once, as SQL over the
// store, and returns the results as typed values (a Snapshot). Exporters,
// reports and the CLI only read Snapshots; none of them computes a metric.
package analytics

import "time"

// Snapshot is every figure for every window at one Now. Its JSON encoding is
// the stable machine format of docs/metrics.md ("Machine format"): field
// names are fixed; fields may be added.
type Snapshot struct {
	Now     time.Time `json:"now"`
	Windows []string  `json:"windows"`

	Incidents  []IncidentStats `json:"incidents"`
	Alerts     []AlertStats    `json:"alerts"`
	Responders []ResponderLoad `json:"responders"`
	Teams      []TeamLoad      `json:"teams"`

	// Not windowed: all incidents triggered up to Now (totals, open now,
	// duration histograms), and the oldest open incident per team.
	IncidentTotals []IncidentTotals `json:"incident_totals"`
	OldestOpen     []OldestOpen     `json:"oldest_open"`

	// Alert quality beyond the per-alertname counts.
	NoisiestAlerts    []NoisyAlert        `json:"noisiest_alerts"`
	AlertsPerIncident []AlertsPerIncident `json:"alerts_per_incident"`
	// More sections (command practice) are added by their files.
	CommandPractice // incident command practice: command, services, schedules (command.go)
	// Tuning is the alert-tuning simulations (tune.go) for one window:
	// DefaultTuneWindow when configured, else the longest window.
	Tuning *Tuning `json:"tuning,omitempty"`
}

// Stat summarises one duration sample set, in seconds. With no samples,
// Count is 0 and every other field is nil (JSON null), never 0.
type Stat struct {
	Count int64    `json:"count"`
	Sum   float64  `json:"sum"`
	Mean  *float64 `json:"mean"`
	P50   *float64 `json:"p50"`
	P90   *float64 `json:"p90"`
	P95   *float64 `json:"p95"`
	P99   *float64 `json:"p99"`
}
