// Package api is serve's HTTP API beside /metrics: one process owns the
// DuckDB file, everything else asks it. It serves the analytics snapshot
// (GET /api/v1/snapshot), the pager-fatigue report (GET /report/fatigue),
// one export streamed (GET /api/v1/export), read-only ad-hoc SQL when
// configured (POST /api/v1/sql, sql.go) and an HTML index at /. TLS and
// basic auth are the server's (exporter-toolkit's web config), as for
// /metrics. The requests that query the store are bounded (MaxConcurrent,
// 503 beyond) and each runs on its own connection: DuckDB's readers never
// block the writer, so ingestion and the /metrics refresh go on.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// Defaults of the api: config section.
const (
	// DefaultMaxRows caps a SQL result.
	DefaultMaxRows = 100000
	// DefaultTimeout cancels a SQL query.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxConcurrent bounds the requests that query the store at
	// once: on 2 cores, a few reports in parallel already take every core.
	DefaultMaxConcurrent = 4
)

// The endpoint label values of the API's self-metrics.
const (
	EndpointSnapshot = "snapshot"
	EndpointReport   = "report"
	EndpointExport   = "export"
	EndpointSQL      = "sql"
	EndpointIndex    = "index"
)

// Options configure the API.
type Options struct {
	Store *store.Store
	// Analytics is serve's checked analytics config (roster, thresholds,
	// windows); each request sets Now and its window.
	Analytics analytics.Config
	// Cached returns the snapshot /metrics serves (nil before the first
	// refresh): GET /api/v1/snapshot without now answers from it.
	Cached func() *analytics.Snapshot
	// SQL turns on POST /api/v1/sql (404 otherwise). The store is then
	// locked down (store.Lockdown) by New.
	SQL     bool
	MaxRows int
	Timeout time.Duration
	// MaxConcurrent bounds the requests that query the store at once.
	MaxConcurrent int
	Registerer    prometheus.Registerer
	Logger        *slog.Logger
}

// API serves the endpoints.
type API struct {
	o        Options
	slots    chan struct{}
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	sql      *sandbox
}

// New builds the API and registers its self-metrics on o.Registerer.
func New(o Options) (*API, error) {
	if o.Store == nil {
		return nil, errors.New("api: no store")
	}
	if o.MaxRows == 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxRows < 0 || o.Timeout < 0 || o.MaxConcurrent < 0 {
		return nil, fmt.Errorf("api: max_rows %d, timeout %s, max_concurrent %d: want positive values", o.MaxRows, o.Timeout, o.MaxConcurrent)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Cached == nil {
		o.Cached = func() *analytics.Snapshot { return nil }
	}
	a := &API{o: o, slots: make(chan struct{}, o.MaxConcurrent)}
	a.requests = metricnames.NewCounterVec(metricnames.APIRequestsTotal)
	// From a cached snapshot (a millisecond) to a SQL query at its timeout.
	a.duration = metricnames.NewHistogramVec(metricnames.APIRequestDurationSeconds,
		[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60})
	ok := strconv.Itoa(http.StatusOK)
	for _, e := range a.endpoints() {
		a.requests.WithLabelValues(e, ok)
		a.duration.WithLabelValues(e)
	}
	if o.Registerer != nil {
		if err := metricnames.Register(o.Registerer, "api", a.requests, a.duration); err != nil {
			return nil, err
		}
	}
	if o.SQL {
		sb, err := newSandbox(o.Store, o.MaxRows, o.Timeout)
		if err != nil {
			return nil, err
		}
		a.sql = sb
	}
	return a, nil
}

func (a *API) endpoints() []string {
	es := []string{EndpointIndex, EndpointSnapshot, EndpointReport, EndpointExport}
	if a.o.SQL {
		es = append(es, EndpointSQL)
	}
	return es
}

// Mount registers the endpoints on mux (a *http.ServeMux or the pagerlens
// server).
func (a *API) Mount(mux interface{ Handle(string, http.Handler) }) {
	index := a.wrap(EndpointIndex, false, a.index)
	if s, ok := mux.(interface{ SetIndex(http.Handler) }); ok {
		s.SetIndex(index) // the server answers / itself until told
	} else {
		mux.Handle("GET /{$}", index)
	}
	// The snapshot takes a slot only when it computes (snapshot.go): the
	// cached one is served even when the API is busy.
	mux.Handle("GET /api/v1/snapshot", a.wrap(EndpointSnapshot, false, a.snapshot))
	mux.Handle("GET /report/fatigue", a.wrap(EndpointReport, true, a.report))
	mux.Handle("GET /api/v1/export", a.wrap(EndpointExport, true, a.export))
	if a.sql != nil {
		mux.Handle("POST /api/v1/sql", a.wrap(EndpointSQL, true, a.sqlQuery))
	} else {
		// Not counted: an endpoint that is off has no series.
		mux.Handle("/api/v1/sql", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "the SQL API is off: set api.sql: true in serve's config (docs/operations.md)", http.StatusNotFound)
		}))
	}
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets a streamed answer reach the client as it is written.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// wrap counts and times h; bounded requests take one of MaxConcurrent
// slots or are answered 503 at once, so that a burst never queues work
// behind the store.
func (a *API) wrap(endpoint string, bounded bool, h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			a.requests.WithLabelValues(endpoint, strconv.Itoa(code)).Inc()
			a.duration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		}()
		if bounded {
			release, err := a.acquire(sw)
			if err != nil {
				http.Error(sw, err.Error(), http.StatusServiceUnavailable)
				return
			}
			defer release()
		}
		if err := h(sw, r); err != nil {
			var he *httpError
			if errors.As(err, &he) {
				http.Error(sw, he.msg, he.code)
				return
			}
			if r.Context().Err() != nil {
				return // the client left
			}
			a.o.Logger.Warn("api request failed", "endpoint", endpoint, "err", err)
			if sw.code == 0 {
				http.Error(sw, err.Error(), http.StatusInternalServerError)
			}
		}
	})
}

// acquire takes one of MaxConcurrent slots, or says busy (503, with
// Retry-After set on w) at once.
func (a *API) acquire(w http.ResponseWriter) (release func(), err error) {
	select {
	case a.slots <- struct{}{}:
		return func() { <-a.slots }, nil
	default:
		w.Header().Set("Retry-After", "1")
		return nil, &httpError{code: http.StatusServiceUnavailable,
			msg: fmt.Sprintf("busy: %d API requests are running (api.max_concurrent); retry shortly", cap(a.slots))}
	}
}

// httpError is an answer other than 500: a bad parameter (400), a refused
// statement.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}
