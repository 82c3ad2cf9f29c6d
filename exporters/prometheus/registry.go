package prometheus

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/pagerlens/pagerlens/analytics"
)

// RegistryOptions configure a Registry.
type RegistryOptions struct {
	Collector Options
	// Runtime adds the Go and process collectors (serve: yes; a one-shot
	// `pagerlens metrics` print: no, its process is gone by the time
	// anyone reads the numbers).
	Runtime bool
	// MaxRequestsInFlight caps concurrent scrapes; 0 means 4.
	MaxRequestsInFlight int
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Registry is everything serve exposes on /metrics, on registries of its
// own (never the global one): the analytics Collector on one, the pipeline
// self-metrics and optionally the Go and process collectors on the other,
// Self (node_exporter keeps its self-metrics apart the same way). Each part
// of the pipeline registers its own self-metrics on Self.
//
// The analytics part changes only when a snapshot is set, so it is encoded
// (and gzip-compressed) then, once, and every scrape just writes those
// bytes: at the scale of 100 teams × 10 services × 4 severities × 3
// windows that is half a million samples, which take a second to gather
// and encode but a few milliseconds to copy. The self-metrics are live and
// gathered at each scrape.
type Registry struct {
	// Self is the registry of the self-metrics and runtime collectors.
	Self      *prom.Registry
	Collector *Collector
	// Refresh are the analytics refresh's self-metrics, on Self.
	Refresh *RefreshMetrics

	analytics *prom.Registry
	cached    atomic.Pointer[exposition]
	inflight  chan struct{}
	log       *slog.Logger
}

// exposition is the encoded analytics part of /metrics.
type exposition struct {
	text, gz []byte
	series   int
}

// NewRegistry assembles the registries.
func NewRegistry(opts RegistryOptions) (*Registry, error) {
	col, err := NewCollector(opts.Collector)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	n := opts.MaxRequestsInFlight
	if n <= 0 {
		n = 4
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{Self: prom.NewRegistry(), Collector: col,
		analytics: prom.NewPedanticRegistry(), inflight: make(chan struct{}, n), log: log}
	if err := r.analytics.Register(col); err != nil {
		return nil, fmt.Errorf("prometheus exporter: register analytics collector: %w", err)
	}
	if r.Refresh, err = NewRefreshMetrics(r.Self); err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	if opts.Runtime {
		for _, c := range []prom.Collector{
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		} {
			if err := r.Self.Register(c); err != nil {
				return nil, fmt.Errorf("prometheus exporter: register runtime collector: %w", err)
			}
		}
	}
	return r, nil
}

// Gatherer gathers everything the registry serves (for tests and tools;
// scrapes use the cached analytics exposition).
func (r *Registry) Gatherer() prom.Gatherer { return prom.Gatherers{r.analytics, r.Self} }

// SetSnapshot serves snap: the collector builds its const metrics and the
// registry encodes them once. An encoding failure (a bug: the pedantic
// registry found an inconsistent family) keeps the previous exposition.
func (r *Registry) SetSnapshot(snap *analytics.Snapshot) {
	r.Collector.SetSnapshot(snap)
	var text bytes.Buffer
	if err := encodeText(&text, r.analytics); err != nil {
		r.log.Error("prometheus exporter: encode analytics; serving the previous exposition", "err", err)
		return
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed) // a valid level never errors
	_, _ = zw.Write(text.Bytes())                     // writes to a bytes.Buffer never fail
	_ = zw.Close()
	r.cached.Store(&exposition{text: text.Bytes(), gz: gz.Bytes(), series: r.Collector.Series()})
}

// Series is the number of analytics metrics served.
func (r *Registry) Series() int { return r.Collector.Series() }

// NewRefresher returns a refresher of the registry that also records the
// refresh self-metrics. Poke it after each ingested batch.
func (r *Registry) NewRefresher(src Source, opts RefresherOptions) *Refresher {
	return NewRefresher(src, r, r.Refresh, opts)
}

// Handler serves /metrics in the text format (every Prometheus accepts it),
// gzip-compressed when the scraper asks for it, as Prometheus does.
func (r *Registry) Handler() http.Handler { return http.HandlerFunc(r.serveHTTP) }

func (r *Registry) serveHTTP(w http.ResponseWriter, req *http.Request) {
	select {
	case r.inflight <- struct{}{}:
		defer func() { <-r.inflight }()
	default:
		http.Error(w, "too many concurrent scrapes", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	var out io.Writer = w
	e := r.cached.Load()
	if acceptsGzip(req) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		if e != nil {
			// A gzip stream may hold several members; every reader
			// (Go's, curl's, Prometheus's) reads them in sequence.
			if _, err := w.Write(e.gz); err != nil {
				return
			}
		}
		zw := gzip.NewWriter(w)
		defer zw.Close()
		out = zw
	} else if e != nil {
		if _, err := w.Write(e.text); err != nil {
			return
		}
	}
	// The live part. A failing collector must not hide the others: what
	// was gathered is served and the error logged.
	if err := encodeText(out, r.Self); err != nil {
		r.log.Error("prometheus exporter: self-metrics", "err", err)
	}
}

func acceptsGzip(req *http.Request) bool {
	for _, part := range strings.Split(req.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// encodeText gathers g and writes the text exposition format. Families
// gathered before an error are still written.
func encodeText(w io.Writer, g prom.Gatherer) error {
	mfs, gatherErr := g.Gather()
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encode %s: %w", mf.GetName(), err)
		}
	}
	if gatherErr != nil {
		return fmt.Errorf("gather: %w", gatherErr)
	}
	return nil
}

// WriteText writes snap as the text exposition format (the analytics
// families only, no self-metrics), through a pedantic registry so that an
// inconsistent family fails loudly here rather than in Prometheus. It is
// `pagerlens metrics --format prometheus`, e.g. for node_exporter's textfile
// collector.
func WriteText(w io.Writer, snap *analytics.Snapshot, opts Options) error {
	col, err := NewCollector(opts)
	if err != nil {
		return fmt.Errorf("prometheus exposition: %w", err)
	}
	col.SetSnapshot(snap)
	reg := prom.NewPedanticRegistry()
	if err := reg.Register(col); err != nil {
		return fmt.Errorf("prometheus exposition: %w", err)
	}
	if err := encodeText(w, reg); err != nil {
		return fmt.Errorf("prometheus exposition: %w", err)
	}
	return nil
}
