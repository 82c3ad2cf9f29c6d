package ingest

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// Metrics are the ingest pipeline's self-metrics (docs/prometheus.md):
// messages by topic and outcome, dead letters by reason, the batch
// duration, consumer lag and decode warnings. It is the Observer to give the
// consumer, the direct writer and the file backfill.
type Metrics struct {
	messages      *prometheus.CounterVec
	deadLetters   *prometheus.CounterVec
	batchDuration prometheus.Histogram
	lag           *prometheus.GaugeVec
	warnings      *prometheus.CounterVec
}

var _ Observer = (*Metrics)(nil)

// BatchDurationBuckets span a tiny batch (a few ms) to a large one stuck on
// a slow disk (a minute).
var BatchDurationBuckets = prometheus.ExponentialBuckets(0.005, 2, 14)

// NewMetrics builds the ingest metrics and registers them on r (nil: not
// registered).
func NewMetrics(r prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		messages:      mn.NewCounterVec(mn.IngestMessagesTotal),
		deadLetters:   mn.NewCounterVec(mn.IngestDeadLettersTotal),
		batchDuration: mn.NewHistogram(mn.IngestBatchDurationSeconds, BatchDurationBuckets),
		lag:           mn.NewGaugeVec(mn.IngestConsumerLag),
		warnings:      mn.NewCounterVec(mn.IngestDecodeWarningsTotal),
	}
	if err := mn.Register(r, "ingest", m.messages, m.deadLetters, m.batchDuration, m.lag, m.warnings); err != nil {
		return nil, err
	}
	return m, nil
}

// Init sets every series whose labels are known before the first message
// to 0: each of topics × outcome, each dead-letter reason and each decode
// warning. A fresh serve then shows 0 rather than no data, and rate() and
// increase() count the first dead letter from 0.
func (m *Metrics) Init(topics []string) {
	for _, t := range topics {
		for _, o := range []string{OutcomeStored, OutcomeDuplicate, OutcomeDeadLettered} {
			m.messages.WithLabelValues(t, o)
		}
	}
	for _, r := range event.Reasons() {
		m.deadLetters.WithLabelValues(string(r))
	}
	for _, w := range decode.Warnings() {
		m.warnings.WithLabelValues(w.Format, w.What)
	}
}

// BatchCommitted implements Observer.
func (m *Metrics) BatchCommitted(s BatchStats) {
	for topic, outcomes := range s.ByTopic {
		for outcome, n := range outcomes {
			m.messages.WithLabelValues(topic, outcome).Add(float64(n))
		}
	}
	for reason, n := range s.DeadReasons {
		m.deadLetters.WithLabelValues(reason).Add(float64(n))
	}
	m.batchDuration.Observe(s.Duration.Seconds())
}

// Lag implements Observer.
func (m *Metrics) Lag(topic string, partition int, lag int64) {
	m.lag.WithLabelValues(topic, strconv.Itoa(partition)).Set(float64(lag))
}

// DecodeWarning implements Observer: the decoder's format is the source
// label and what it warned about the reason.
func (m *Metrics) DecodeWarning(format, what string) {
	m.warnings.WithLabelValues(format, what).Inc()
}

// OnBatch returns an Observer that calls f after each committed batch (the
// exporter's refresher is poked this way).
func OnBatch(f func()) Observer { return onBatch{f: f} }

type onBatch struct {
	NopObserver
	f func()
}

func (o onBatch) BatchCommitted(BatchStats) { o.f() }

// MessageCounter is an Observer that counts the messages of committed
// batches, for a caller that waits for a stream to be stored (the demo's
// history, the benchmarks).
type MessageCounter struct {
	NopObserver
	mu      sync.Mutex
	n       int64
	waiters []counterWaiter
}

type counterWaiter struct {
	target int64
	done   chan struct{}
}

// BatchCommitted implements Observer.
func (c *MessageCounter) BatchCommitted(s BatchStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += int64(s.Messages)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if c.n >= w.target {
			close(w.done)
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// Count is the messages counted so far.
func (c *MessageCounter) Count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Reached is closed once target messages have been counted.
func (c *MessageCounter) Reached(target int64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	done := make(chan struct{})
	if c.n >= target {
		close(done)
		return done
	}
	c.waiters = append(c.waiters, counterWaiter{target: target, done: done})
	return done
}
