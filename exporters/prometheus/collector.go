package prometheus

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/metricnames"
)

// Options configure the Collector. The zero value is usable: every field
// documents its default.
type Options struct {
	// Responders is the cardinality guard of the responder label; zero is
	// the default top 200 per team (DefaultResponderLabel).
	Responders ResponderLabel
	// MaxAlertnames bounds the alertname values per team and service; the
	// rest are summed into alertname="other". 0 means 100; negative means
	// no limit.
	MaxAlertnames int
	// FatigueWeights recompute the pager fatigue score of a folded
	// responder group ("other", "all") from its summed interruptions; zero
	// means analytics' default weights. Pass analytics.Config's weights so
	// that folded and unfolded scores agree.
	FatigueWeights analytics.FatigueWeights
	// Disabled names areas ("incidents", "alerts", "oncall", "command") not to export.
	Disabled []string
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultMaxAlertnames is the alertname limit per team and service.
const DefaultMaxAlertnames = 100

func (o Options) withDefaults() Options {
	if o.Responders.Mode == "" {
		o.Responders = DefaultResponderLabel
	}
	if o.MaxAlertnames == 0 {
		o.MaxAlertnames = DefaultMaxAlertnames
	}
	if o.FatigueWeights == (analytics.FatigueWeights{}) {
		o.FatigueWeights = analytics.DefaultConfig(time.Time{}).FatigueWeights
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// An area turns one part of a Snapshot into const metrics. Each area lives
// in its own file and registers itself in init, so that a new area is a new
// file (node_exporter's collector registry, without the goroutines: areas
// only read memory).
type area interface {
	// build appends the area's metrics for snap to b.
	build(snap *analytics.Snapshot, opts Options, b *builder)
}

type areaReg struct {
	name     string
	families []string // the metricnames families it emits
	newArea  func(d descs) area
}

var areas []areaReg

func registerArea(name string, families []string, newArea func(d descs) area) {
	areas = append(areas, areaReg{name, families, newArea})
}

// descs are the descriptors of every family, built once from metricnames.
type descs map[string]*prom.Desc

func (d descs) get(name string) *prom.Desc {
	if desc, ok := d[name]; ok {
		return desc
	}
	// A programming error (a family used but not registered by its area):
	// the golden tests catch it before a release.
	panic(fmt.Sprintf("exporters/prometheus: family %s not registered", name))
}

// newDesc builds the descriptor of a metricnames family.
func newDesc(name string) (*prom.Desc, error) {
	f, ok := metricnames.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("family %s is not in metricnames", name)
	}
	return prom.NewDesc(f.Name, f.Help, f.Labels, nil), nil
}

// Collector serves the last analytics Snapshot as const metrics. It is safe
// for concurrent scrapes and SetSnapshot calls.
type Collector struct {
	opts  Options
	descs []*prom.Desc
	areas []namedArea

	mu      sync.RWMutex
	snap    *analytics.Snapshot
	metrics []prom.Metric
}

type namedArea struct {
	name string
	area area
}

// NewCollector builds every descriptor once. It serves nothing until the
// first SetSnapshot.
func NewCollector(opts Options) (*Collector, error) {
	opts = opts.withDefaults()
	if err := opts.Responders.validate(); err != nil {
		return nil, err
	}
	disabled := map[string]bool{}
	for _, n := range opts.Disabled {
		disabled[n] = true
	}
	known := map[string]bool{}
	c := &Collector{opts: opts}
	for _, a := range areas {
		known[a.name] = true
		if disabled[a.name] {
			continue
		}
		d := descs{}
		for _, f := range a.families {
			desc, err := newDesc(f)
			if err != nil {
				return nil, fmt.Errorf("area %s: %w", a.name, err)
			}
			d[f] = desc
			c.descs = append(c.descs, desc)
		}
		c.areas = append(c.areas, namedArea{a.name, a.newArea(d)})
	}
	for n := range disabled {
		if !known[n] {
			return nil, fmt.Errorf("disabled area %q: no such area", n)
		}
	}
	return c, nil
}

// Describe implements prom.Collector.
func (c *Collector) Describe(ch chan<- *prom.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prom.Collector: it sends the metrics of the last
// Snapshot. No SQL, no folding: that was done once in SetSnapshot.
func (c *Collector) Collect(ch chan<- prom.Metric) {
	c.mu.RLock()
	ms := c.metrics
	c.mu.RUnlock()
	for _, m := range ms {
		ch <- m
	}
}

// SetSnapshot makes snap the one served. The const metrics are built here,
// once per snapshot rather than once per scrape: they are immutable, the
// cardinality guard and label merging are not free, and a refresh happens
// every 30 s while several Prometheus replicas may scrape more often. An
// area that panics (a bug) is logged and skipped; the others are served.
func (c *Collector) SetSnapshot(snap *analytics.Snapshot) {
	var b builder
	if snap != nil {
		for _, a := range c.areas {
			c.buildArea(a, snap, &b)
		}
	}
	c.mu.Lock()
	c.snap, c.metrics = snap, b.out
	c.mu.Unlock()
}

func (c *Collector) buildArea(a namedArea, snap *analytics.Snapshot, b *builder) {
	n := len(b.out)
	defer func() {
		if r := recover(); r != nil {
			b.out = b.out[:n]
			c.opts.Logger.Error("prometheus exporter: area failed; serving the others", "area", a.name, "panic", r)
		}
	}()
	a.area.build(snap, c.opts, b)
}

// Snapshot is the snapshot served, nil before the first.
func (c *Collector) Snapshot() *analytics.Snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.snap
}

// Series is the number of const metrics (families' label sets) served.
func (c *Collector) Series() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.metrics)
}

// builder accumulates const metrics.
type builder struct{ out []prom.Metric }

func (b *builder) gauge(d *prom.Desc, v float64, lvs ...string) {
	b.out = append(b.out, prom.MustNewConstMetric(d, prom.GaugeValue, v, lvs...))
}

func (b *builder) counter(d *prom.Desc, v float64, lvs ...string) {
	b.out = append(b.out, prom.MustNewConstMetric(d, prom.CounterValue, v, lvs...))
}

// summary emits a Stat as a const summary. With no samples the quantiles are
// left out (count and sum are 0): a quantile of nothing is not 0.
func (b *builder) summary(d *prom.Desc, s mergedStat, lvs ...string) {
	var q map[float64]float64
	if s.Count > 0 && !s.merged {
		q = make(map[float64]float64, 4)
		for _, p := range []struct {
			q float64
			v *float64
		}{{0.5, s.P50}, {0.9, s.P90}, {0.95, s.P95}, {0.99, s.P99}} {
			if p.v != nil {
				q[p.q] = *p.v
			}
		}
	}
	b.out = append(b.out, prom.MustNewConstSummary(d, uint64(max(s.Count, 0)), s.Sum, q, lvs...))
}

// histogram emits a cumulative all-time histogram.
func (b *builder) histogram(d *prom.Desc, h analytics.Histogram, lvs ...string) {
	buckets := make(map[float64]uint64, len(h.Buckets))
	for _, bk := range h.Buckets {
		buckets[bk.LE] = uint64(max(bk.Count, 0))
	}
	b.out = append(b.out, prom.MustNewConstHistogram(d, uint64(max(h.Count, 0)), h.Sum, buckets, lvs...))
}
