// Package prometheus imports alert history from a Prometheus server: the
// lives of its alerts, rebuilt from the ALERTS{alertstate="firing"} series
// by range queries, as the alert.triggered and alert.resolved events the
// Alertmanager webhook would have delivered (docs/import.md, "Prometheus
// (ALERTS history)"). Alertmanager keeps no history; Prometheus keeps
// ALERTS for its retention.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// Config says what to import from where.
type Config struct {
	// URL of the Prometheus server (or anything serving its HTTP API v1).
	URL string
	// Retry is the retrying transport's policy (importers.Transport: 5xx,
	// timeouts, network errors and 429s); a zero AttemptTimeout means 3
	// minutes, above Prometheus's default query timeout of 2. Base is the
	// transport under it (nil: http.DefaultTransport).
	Retry importers.RetryPolicy
	Base  http.RoundTripper
	// Since and Until bound the range: every life firing at some time in
	// it is imported, with its true start even if before Since (see
	// MaxLookback). Until zero means now.
	Since, Until time.Time
	// Match narrows the alerts with a series selector's matchers, e.g.
	// {severity=~"critical|warning"}.
	Match string
	// Step is the query resolution and the evaluation interval assumed for
	// every alert. Zero: each alert's own rule group interval (GET
	// /api/v1/rules), else the global evaluation_interval; the step is
	// the shortest interval of the alerts present.
	Step time.Duration
	// ExternalLabels, when not nil, replace the server's global
	// external_labels (for a querier that does not serve its
	// configuration, or one that is not the server that sent the alerts).
	ExternalLabels map[string]string
	// Decode are the alertmanager decoder's options: mappings and limits.
	Decode decode.Options
	// MaxPoints caps the step points per series of one range query; 0
	// means 10,000 (Prometheus refuses more than 11,000).
	MaxPoints int
	// MaxLookback bounds how far before Since the start of a life already
	// firing at Since is looked for; 0 means 90 days.
	MaxLookback time.Duration
	// Observer, if set, is told of progress after each query chunk (a
	// chunk is a window; Items counts the step points read).
	Observer importers.Observer
}

// Stats says what an import did.
type Stats struct {
	Step     time.Duration // query step
	StepFrom string        // "flag", "rules" or "config"
	// AlertNames: alert names with firing samples in the range.
	AlertNames int
	Queries    int   // range queries that answered
	Requests   int   // HTTP requests, retries included
	Retries    int   // of which retries
	Points     int64 // step points read
	Series     int   // ALERTS series (label sets)
	Lives      int   // alert lives found
	Firing     int   // of which still firing at Until (imported without a resolve)
	Before     int   // of which started before Since
	Events     int   // events decoded
	Stored     int   // new events stored
	Duplicates int   // events already stored (a re-import, or delivered by the webhook)
	// DeadLettered: lives the decoder refused, stored as dead letters.
	DeadLettered int
	// Skipped counts what was left out, by reason: bad_sample (a value
	// that is not a sample time), dropped_by_relabel (alert relabelling
	// drops the alert, as Prometheus does before sending it),
	// start_before_lookback (a life firing since before MaxLookback: its
	// trigger is at the oldest sample looked at).
	Skipped  map[string]int
	Warnings []string
}

// String is the one-line summary the CLI prints.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prometheus: %d alert lives (%d still firing, %d started before --since) of %d series, step %s (from %s), %d queries; %d events: %d stored, %d duplicates skipped, %d dead-lettered",
		s.Lives, s.Firing, s.Before, s.Series, s.Step, s.StepFrom, s.Queries, s.Events, s.Stored, s.Duplicates, s.DeadLettered)
	if s.Retries > 0 {
		fmt.Fprintf(&b, "; %d requests, %d retries", s.Requests, s.Retries)
	}
	reasons := make([]string, 0, len(s.Skipped))
	for r, n := range s.Skipped {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	slices.Sort(reasons)
	if len(reasons) > 0 {
		fmt.Fprintf(&b, "; skipped: %s", strings.Join(reasons, ", "))
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintf(&b, "; %d warnings (logged)", len(s.Warnings))
	}
	return b.String()
}

type importer struct {
	cfg    Config
	api    v1.API
	tr     *importers.Transport
	stats  Stats
	step   int64 // ms
	points int   // max step points per series of one query
	titles map[string]string
}

// Import reads the alert history of cfg.URL and writes it to st (topic
// import/prometheus). Events already stored are skipped, so a re-import
// stores nothing new; a life the decoder refuses is dead-lettered and
// counted. It returns an error only when the server cannot be queried or
// the store cannot be written; what it did so far stays stored.
func Import(ctx context.Context, st *store.Store, cfg Config) (Stats, error) {
	im, err := newImporter(cfg)
	if err != nil {
		return Stats{}, err
	}
	err = im.run(ctx, st)
	im.stats.Requests, im.stats.Retries = int(im.tr.Requests.Load()), int(im.tr.Retries.Load())
	return im.stats, err
}

func newImporter(cfg Config) (*importer, error) {
	if cfg.URL == "" {
		return nil, errors.New("prometheus import: no server URL")
	}
	if cfg.Until.IsZero() {
		cfg.Until = time.Now()
	}
	if !cfg.Since.Before(cfg.Until) {
		return nil, fmt.Errorf("prometheus import: since %s is not before until %s", cfg.Since.Format(time.RFC3339), cfg.Until.Format(time.RFC3339))
	}
	if cfg.Step < 0 || (cfg.Step > 0 && cfg.Step < time.Millisecond) {
		return nil, fmt.Errorf("prometheus import: step %s: want at least 1ms", cfg.Step)
	}
	if cfg.MaxPoints <= 0 {
		cfg.MaxPoints = 10000
	}
	cfg.MaxPoints = min(cfg.MaxPoints, maxResolution)
	if cfg.MaxLookback <= 0 {
		cfg.MaxLookback = 90 * 24 * time.Hour
	}
	if cfg.Retry.AttemptTimeout == 0 {
		cfg.Retry.AttemptTimeout = 3 * time.Minute
	}
	tr := importers.NewTransport(cfg.Base, cfg.Retry)
	tr.OnRetry = func(req *http.Request, why string, wait time.Duration) {
		slog.Warn("prometheus import: retrying", "path", req.URL.Path, "why", why, "wait", wait)
	}
	c, err := api.NewClient(api.Config{Address: cfg.URL, Client: &http.Client{Transport: tr}})
	if err != nil {
		return nil, fmt.Errorf("prometheus import: %s: %w", cfg.URL, err)
	}
	return &importer{cfg: cfg, api: v1.NewAPI(c), tr: tr, points: cfg.MaxPoints,
		stats: Stats{Skipped: map[string]int{}}}, nil
}

func (im *importer) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	im.stats.Warnings = append(im.stats.Warnings, msg)
	slog.Warn("prometheus import: " + msg)
}

func (im *importer) serverWarnings(ws v1.Warnings) {
	for _, w := range ws {
		if !slices.Contains(im.stats.Warnings, "server: "+w) {
			im.warnf("server: %s", w)
		}
	}
}

func (im *importer) skip(reason string, n int) { im.stats.Skipped[reason] += n }

func (im *importer) run(ctx context.Context, st *store.Store) error {
	cfg := im.cfg
	dec, err := decode.New(decode.Alertmanager, cfg.Decode)
	if err != nil {
		return fmt.Errorf("prometheus import: %w", err)
	}
	sel, err := selector(cfg.Match)
	if err != nil {
		return fmt.Errorf("prometheus import: %w", err)
	}
	sc, _ := im.readConfig(ctx)
	if cfg.ExternalLabels != nil {
		sc.Global.ExternalLabels = cfg.ExternalLabels
	}
	lr, err := sc.labelRules(im)
	if err != nil {
		return fmt.Errorf("prometheus import: server configuration: %w", err)
	}
	offset := time.Duration(sc.Global.RuleQueryOffset).Milliseconds()

	names, err := im.alertNames(ctx, sel, cfg.Since, cfg.Until)
	if err != nil {
		return fmt.Errorf("prometheus import: %w", err)
	}
	im.stats.AlertNames = len(names)
	if len(names) == 0 {
		return nil
	}
	intervalOf, err := im.intervals(ctx, names, time.Duration(sc.Global.EvaluationInterval))
	if err != nil {
		return fmt.Errorf("prometheus import: %w", err)
	}

	step := im.step
	gridStart := ceilTo(cfg.Since.UnixMilli(), step)
	gridEnd := cfg.Until.UnixMilli() / step * step
	if gridStart > gridEnd {
		return nil
	}
	type series struct {
		cut    *cutter
		labels map[string]string // as Alertmanager gets them; nil: dropped
		title  string
		start  int64 // start of a life firing at gridStart, once traced back
	}
	all := map[string]*series{}
	get := func(key string, m model.Metric) *series {
		s := all[key]
		if s == nil {
			name := string(m[model.AlertNameLabel])
			ls, keep := lr.alertLabels(m)
			if !keep {
				im.skip("dropped_by_relabel", 1)
			}
			s = &series{cut: newCutter(step, intervalOf(name), gridStart), labels: ls, title: im.titles[name]}
			all[key] = s
		}
		return s
	}
	flush := func(runs map[*series][]run) error {
		var b store.Batch
		for s, rs := range runs {
			if s.labels == nil {
				continue
			}
			for _, r := range rs {
				l := life{labels: s.labels, title: s.title, start: r.first + offset}
				if r.fromEdge && s.start != 0 {
					l.start = s.start + offset
				}
				if !r.open {
					l.end = r.last + s.cut.interval + offset
				} else {
					im.stats.Firing++
				}
				im.stats.Lives++
				if l.start < cfg.Since.UnixMilli() {
					im.stats.Before++
				}
				rows, dl := decodeLife(dec, l)
				if dl != nil {
					b.DeadLetters = append(b.DeadLetters, *dl)
					continue
				}
				im.stats.Events += len(rows)
				b.Rows = append(b.Rows, rows...)
			}
		}
		if len(b.Rows) == 0 && len(b.DeadLetters) == 0 {
			return nil
		}
		res, err := st.WriteBatch(ctx, b)
		if err != nil {
			return fmt.Errorf("prometheus import: write: %w", err)
		}
		im.stats.Stored += res.Stored
		im.stats.Duplicates += res.Duplicates
		im.stats.DeadLettered += res.DeadLettered
		return nil
	}

	chunks := int((gridEnd-gridStart)/(int64(im.points)*step)) + 1
	for k, lo := 1, gridStart; lo <= gridEnd; k++ {
		hi := min(gridEnd, lo+int64(im.points-1)*step)
		res, err := im.queryRange(ctx, sel, lo, hi)
		if err != nil {
			return fmt.Errorf("prometheus import: %w", err)
		}
		if lo == gridStart {
			starts, err := im.traceBack(ctx, sel, gridStart, res, func(key string, m model.Metric) int64 {
				return get(key, m).cut.gap()
			})
			if err != nil {
				return fmt.Errorf("prometheus import: %w", err)
			}
			for key, t := range starts {
				all[key].start = t
			}
		}
		runs := map[*series][]run{}
		for key, sp := range res {
			s := get(key, sp.metric)
			for _, p := range sp.points {
				if !s.cut.add(p) {
					im.skip("bad_sample", 1)
				}
			}
			if rs := s.cut.take(); len(rs) > 0 {
				runs[s] = rs
			}
		}
		im.stats.Series = len(all)
		if err := flush(runs); err != nil {
			return err
		}
		if cfg.Observer != nil {
			cfg.Observer.Progress(importers.Progress{Source: Source, WindowsDone: k, WindowsTotal: max(k, chunks),
				Items: int(im.stats.Points), Window: importers.Window{Start: msTime(lo), End: msTime(hi + step)}})
		}
		lo = hi + step
	}
	runs := map[*series][]run{}
	for _, s := range all {
		if rs := s.cut.finish(gridEnd); len(rs) > 0 {
			runs[s] = rs
		}
	}
	im.stats.Series = len(all)
	return flush(runs)
}

// intervals sets the query step and returns each alert name's evaluation
// interval (docs/import.md, "What ALERTS shows, and the step").
func (im *importer) intervals(ctx context.Context, names []string, global time.Duration) (func(string) int64, error) {
	im.titles = map[string]string{}
	if im.cfg.Step > 0 {
		im.step = im.cfg.Step.Milliseconds()
		im.stats.Step, im.stats.StepFrom = im.cfg.Step, "flag"
		s := im.step
		return func(string) int64 { return s }, nil
	}
	rl, err := im.readRules(ctx)
	if err != nil {
		im.warnf("%v", err)
	}
	im.titles = rl.title
	var step time.Duration
	var unknown []string
	for _, n := range names {
		iv, ok := rl.interval[n]
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		if step == 0 || iv < step {
			step = iv
		}
	}
	im.stats.StepFrom = "rules"
	if len(unknown) > 0 {
		if global <= 0 {
			return nil, fmt.Errorf("no alerting rule evaluates %v and the server's evaluation_interval is unknown: pass --step (the rule evaluation interval)", unknown)
		}
		im.warnf("no alerting rule evaluates %v (removed or renamed since?): taking the global evaluation_interval %s", unknown, global)
		if step == 0 || global < step {
			step = global
			im.stats.StepFrom = "config"
		}
	}
	im.step = step.Milliseconds()
	im.stats.Step = step
	return func(name string) int64 {
		if iv, ok := rl.interval[name]; ok {
			return iv.Milliseconds()
		}
		return global.Milliseconds()
	}, nil
}

// traceBack finds the start of each life already firing at gridStart
// (first holds the chunk's points): it walks back one chunk at a time, with
// the query narrowed to those alerts' names, until each life's run breaks,
// at most cfg.MaxLookback. It returns the start (first sample) by series.
func (im *importer) traceBack(ctx context.Context, sel string, gridStart int64, first map[string]*seriesPoints, gapOf func(string, model.Metric) int64) (map[string]int64, error) {
	pending := map[string]*backTrace{}
	names := map[string]bool{}
	for key, sp := range first {
		if len(sp.points) == 0 || sp.points[0].t != gridStart || sp.points[0].v > gridStart {
			continue
		}
		pending[key] = &backTrace{step: im.step, gap: gapOf(key, sp.metric), next: gridStart, first: sp.points[0].v}
		names[string(sp.metric[model.AlertNameLabel])] = true
	}
	out := map[string]int64{}
	if len(pending) == 0 {
		return out, nil
	}
	nameList := make([]string, 0, len(names))
	for n := range names {
		nameList = append(nameList, n)
	}
	slices.Sort(nameList)
	narrowed := withNames(sel, nameList)
	limit := gridStart - ceilTo(im.cfg.MaxLookback.Milliseconds(), im.step)
	for next := gridStart; len(pending) > 0; {
		to := next - im.step
		if to < limit {
			break
		}
		from := max(limit, to-int64(im.points-1)*im.step)
		res, err := im.queryRange(ctx, narrowed, from, to)
		if err != nil {
			return nil, fmt.Errorf("looking for the start of alerts firing at --since: %w", err)
		}
		for key, b := range pending {
			var pts []point
			if sp := res[key]; sp != nil {
				pts = sp.points
			}
			if b.chunk(from, pts) {
				out[key] = b.first
				delete(pending, key)
			}
		}
		next = from
	}
	for key, b := range pending {
		out[key] = b.first
		im.skip("start_before_lookback", 1)
	}
	return out, nil
}

// ceilTo rounds t up to a multiple of step.
func ceilTo(t, step int64) int64 {
	if r := t % step; r != 0 {
		if t > 0 {
			return t - r + step
		}
		return t - r
	}
	return t
}
