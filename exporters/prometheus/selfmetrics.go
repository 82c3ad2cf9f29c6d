package prometheus

import (
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// RefreshMetrics are the analytics refresh's self-metrics: the duration of
// the last refresh, the time of the last good one and the failures. The
// other parts of the pipeline register their own on the same registry
// (ingest.NewMetrics, the webhook handler, the export scheduler).
type RefreshMetrics struct {
	duration    prom.Gauge
	lastRefresh prom.Gauge
	errors      prom.Counter
}

// NewRefreshMetrics builds the refresh metrics and registers them on r
// (nil: not registered).
func NewRefreshMetrics(r prom.Registerer) (*RefreshMetrics, error) {
	m := &RefreshMetrics{
		duration:    mn.NewGauge(mn.AnalyticsRefreshDurationSeconds),
		lastRefresh: mn.NewGauge(mn.AnalyticsLastRefreshTimestampSeconds),
		errors:      mn.NewCounter(mn.AnalyticsRefreshErrorsTotal),
	}
	if err := mn.Register(r, "analytics refresh", m.duration, m.lastRefresh, m.errors); err != nil {
		return nil, err
	}
	return m, nil
}

// refreshed records one refresh attempt.
func (m *RefreshMetrics) refreshed(start time.Time, took time.Duration, err error) {
	m.duration.Set(took.Seconds())
	if err != nil {
		m.errors.Inc()
		return
	}
	m.lastRefresh.Set(float64(start.Add(took).UnixNano()) / 1e9)
}
