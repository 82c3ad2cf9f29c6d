package metricnames

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The constructors of the live self-metrics. Every component that counts
// what it does (ingest, webhook, export, the exporter's refresher) builds its
// collectors with these, from the family's entry in All (name, help,
// labels), and registers them on the prometheus.Registerer it is given, as
// Alertmanager's components do (notify.NewMetrics(r)). An unknown name
// panics: a programming error that the component's first test finds.

// NewCounterVec is the counter family name, labelled as listed.
func NewCounterVec(name string) *prometheus.CounterVec {
	f := mustLookup(name, Counter)
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: f.Name, Help: f.Help}, f.Labels)
}

// NewCounter is the unlabelled counter family name.
func NewCounter(name string) prometheus.Counter {
	f := mustLookup(name, Counter)
	return prometheus.NewCounter(prometheus.CounterOpts{Name: f.Name, Help: f.Help})
}

// NewGaugeVec is the gauge family name, labelled as listed.
func NewGaugeVec(name string) *prometheus.GaugeVec {
	f := mustLookup(name, Gauge)
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: f.Name, Help: f.Help}, f.Labels)
}

// NewGauge is the unlabelled gauge family name.
func NewGauge(name string) prometheus.Gauge {
	f := mustLookup(name, Gauge)
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: f.Name, Help: f.Help})
}

// NewHistogramVec is the histogram family name with buckets, labelled as
// listed.
func NewHistogramVec(name string, buckets []float64) *prometheus.HistogramVec {
	f := mustLookup(name, Histogram)
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: f.Name, Help: f.Help, Buckets: buckets}, f.Labels)
}

// NewHistogram is the unlabelled histogram family name with buckets.
func NewHistogram(name string, buckets []float64) prometheus.Histogram {
	f := mustLookup(name, Histogram)
	return prometheus.NewHistogram(prometheus.HistogramOpts{Name: f.Name, Help: f.Help, Buckets: buckets})
}

// Register registers cs on r, the first error wrapped with what; a nil r
// registers nothing (the metrics still count, unexposed: a library use or
// a test that does not look at them).
func Register(r prometheus.Registerer, what string, cs ...prometheus.Collector) error {
	if r == nil {
		return nil
	}
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("%s: register metrics: %w", what, err)
		}
	}
	return nil
}

func mustLookup(name string, t Type) Family {
	f, ok := Lookup(name)
	if !ok || f.Type != t {
		panic(fmt.Sprintf("metricnames: no %s family %s", t, name))
	}
	return f
}
