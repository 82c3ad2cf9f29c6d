package prometheus

import (
	"strconv"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/ingest"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// SelfMetrics are the pipeline's own health: ingest counters, the batch
// duration histogram, consumer lag and the analytics refresh. Unlike the
// analytics families they are live client_golang metrics, because they
// count events of this process. It implements ingest.Observer.
type SelfMetrics struct {
	messages      *prom.CounterVec
	deadLetters   *prom.CounterVec
	batchDuration prom.Histogram
	lag           *prom.GaugeVec
	warnings      *prom.CounterVec

	refreshDuration prom.Gauge
	lastRefresh     prom.Gauge
	refreshErrors   prom.Counter

	// onBatch is called after each committed batch (the refresher's Poke).
	onBatch func()
}

var _ ingest.Observer = (*SelfMetrics)(nil)

// BatchDurationBuckets span a tiny batch (a few ms) to a large one stuck on
// a slow disk (a minute).
var BatchDurationBuckets = prom.ExponentialBuckets(0.005, 2, 14)

func family(name string) (help string, labels []string) {
	f, ok := mn.Lookup(name)
	if !ok {
		panic("exporters/prometheus: family " + name + " not in metricnames")
	}
	return f.Help, f.Labels
}

func counterVec(name string) *prom.CounterVec {
	help, labels := family(name)
	return prom.NewCounterVec(prom.CounterOpts{Name: name, Help: help}, labels)
}

func gauge(name string) prom.Gauge {
	help, _ := family(name)
	return prom.NewGauge(prom.GaugeOpts{Name: name, Help: help})
}

// NewSelfMetrics builds the self-metrics; register them with Register.
func NewSelfMetrics() *SelfMetrics {
	lagHelp, lagLabels := family(mn.IngestConsumerLag)
	batchHelp, _ := family(mn.IngestBatchDurationSeconds)
	errHelp, _ := family(mn.AnalyticsRefreshErrorsTotal)
	m := &SelfMetrics{
		messages:    counterVec(mn.IngestMessagesTotal),
		deadLetters: counterVec(mn.IngestDeadLettersTotal),
		batchDuration: prom.NewHistogram(prom.HistogramOpts{Name: mn.IngestBatchDurationSeconds, Help: batchHelp,
			Buckets: BatchDurationBuckets}),
		lag:             prom.NewGaugeVec(prom.GaugeOpts{Name: mn.IngestConsumerLag, Help: lagHelp}, lagLabels),
		warnings:        counterVec(mn.IngestDecodeWarningsTotal),
		refreshDuration: gauge(mn.AnalyticsRefreshDurationSeconds),
		lastRefresh:     gauge(mn.AnalyticsLastRefreshTimestampSeconds),
		refreshErrors:   prom.NewCounter(prom.CounterOpts{Name: mn.AnalyticsRefreshErrorsTotal, Help: errHelp}),
	}
	return m
}

// Register adds the self-metrics to reg.
func (m *SelfMetrics) Register(reg prom.Registerer) error {
	for _, c := range []prom.Collector{m.messages, m.deadLetters, m.batchDuration, m.lag, m.warnings,
		m.refreshDuration, m.lastRefresh, m.refreshErrors} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// BatchCommitted implements ingest.Observer.
func (m *SelfMetrics) BatchCommitted(s ingest.BatchStats) {
	for topic, outcomes := range s.ByTopic {
		for outcome, n := range outcomes {
			m.messages.WithLabelValues(topic, outcome).Add(float64(n))
		}
	}
	for reason, n := range s.DeadReasons {
		m.deadLetters.WithLabelValues(reason).Add(float64(n))
	}
	m.batchDuration.Observe(s.Duration.Seconds())
	if m.onBatch != nil {
		m.onBatch()
	}
}

// Lag implements ingest.Observer.
func (m *SelfMetrics) Lag(topic string, partition int, lag int64) {
	m.lag.WithLabelValues(topic, strconv.Itoa(partition)).Set(float64(lag))
}

// DecodeWarning implements ingest.Observer: the decoder's format is the
// source label and what it warned about the reason.
func (m *SelfMetrics) DecodeWarning(format, what string) {
	m.warnings.WithLabelValues(format, what).Inc()
}

// refreshed records one refresh attempt.
func (m *SelfMetrics) refreshed(start time.Time, took time.Duration, err error) {
	m.refreshDuration.Set(took.Seconds())
	if err != nil {
		m.refreshErrors.Inc()
		return
	}
	m.lastRefresh.Set(float64(start.Add(took).UnixNano()) / 1e9)
}
