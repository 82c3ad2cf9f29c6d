package prometheus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// What the importer asks the server before the range queries: the
// evaluation interval of each alerting rule (GET /api/v1/rules), and the
// parts of the configuration that change what Alertmanager sees (GET
// /api/v1/status/config): external_labels, alert relabelling, the rule
// query offset and the global evaluation interval.

// serverConfig is the part of Prometheus's configuration file that the
// importer needs, as /api/v1/status/config returns it.
type serverConfig struct {
	Global struct {
		ExternalLabels     map[string]string `yaml:"external_labels"`
		EvaluationInterval model.Duration    `yaml:"evaluation_interval"`
		RuleQueryOffset    model.Duration    `yaml:"rule_query_offset"`
	} `yaml:"global"`
	Alerting struct {
		AlertRelabelConfigs []*relabel.Config `yaml:"alert_relabel_configs"`
		Alertmanagers       []amSet           `yaml:"alertmanagers"`
	} `yaml:"alerting"`
}

// amSet is one entry of alerting.alertmanagers.
type amSet struct {
	AlertRelabelConfigs []*relabel.Config `yaml:"alert_relabel_configs"`
}

// readConfig fetches and parses the server's configuration. A server that
// does not serve it (a Thanos or Mimir querier) gives ok = false and a
// warning: the import goes on without external labels or relabelling.
func (im *importer) readConfig(ctx context.Context) (serverConfig, bool) {
	var sc serverConfig
	res, err := im.api.Config(ctx)
	if err != nil {
		im.warnf("GET /api/v1/status/config: %v: alert labels taken without external labels or alert relabelling", err)
		return sc, false
	}
	if err := yaml.Unmarshal([]byte(res.YAML), &sc); err != nil {
		im.warnf("parse /api/v1/status/config: %v: alert labels taken without external labels or alert relabelling", err)
		return serverConfig{}, false
	}
	return sc, true
}

// labelRules builds the relabelling Prometheus applies before it sends an
// alert. Per-Alertmanager relabelling is applied when there is one
// Alertmanager set; with several, which one's webhook reaches pagerlens is
// unknown, so none is applied (a warning says so).
func (sc serverConfig) labelRules(im *importer) (labelRules, error) {
	b := labels.NewScratchBuilder(len(sc.Global.ExternalLabels))
	for k, v := range sc.Global.ExternalLabels {
		b.Add(k, v)
	}
	b.Sort()
	r := labelRules{external: b.Labels(), relabel: slices.Clone(sc.Alerting.AlertRelabelConfigs)}
	switch sets := sc.Alerting.Alertmanagers; {
	case len(sets) == 1:
		r.relabel = append(r.relabel, sets[0].AlertRelabelConfigs...)
	case len(sets) > 1:
		if slices.ContainsFunc(sets, func(s amSet) bool { return len(s.AlertRelabelConfigs) > 0 }) {
			im.warnf("%d alertmanagers sets with their own alert_relabel_configs: not applied", len(sets))
		}
	}
	for i, c := range r.relabel {
		if c == nil {
			return labelRules{}, fmt.Errorf("alert_relabel_configs[%d]: empty", i)
		}
		if err := c.Validate(model.UTF8Validation); err != nil {
			return labelRules{}, fmt.Errorf("alert_relabel_configs[%d]: %w", i, err)
		}
	}
	return r, nil
}

// rules are the alerting rules the server evaluates.
type rules struct {
	interval map[string]time.Duration // by alert name: its group's interval (the shortest if several)
	title    map[string]string        // by alert name: a plain-text summary annotation
}

func (im *importer) readRules(ctx context.Context) (rules, error) {
	out := rules{interval: map[string]time.Duration{}, title: map[string]string{}}
	res, err := im.api.Rules(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("GET /api/v1/rules: %w", err)
	}
	for _, g := range res.Groups {
		iv := time.Duration(math.Round(g.Interval*1000)) * time.Millisecond
		for _, r := range g.Rules {
			ar, ok := r.(v1.AlertingRule)
			if !ok || iv <= 0 {
				continue
			}
			if old, ok := out.interval[ar.Name]; !ok || iv < old {
				out.interval[ar.Name] = iv
			}
			if t := literalTitle(ar.Annotations); t != "" {
				out.title[ar.Name] = t
			}
		}
	}
	return out, nil
}

// selector is ALERTS{alertstate="firing", <the --match matchers>}.
func selector(match string) (string, error) {
	ms := []string{`__name__="ALERTS"`, `alertstate="firing"`}
	if strings.TrimSpace(match) != "" {
		parsed, err := parser.NewParser(parser.Options{}).ParseMetricSelector(match)
		if err != nil {
			return "", fmt.Errorf("--match %q: %w", match, err)
		}
		for _, m := range parsed {
			switch m.Name {
			case model.MetricNameLabel:
				if m.Type == labels.MatchEqual && m.Value == "ALERTS" {
					continue
				}
				return "", fmt.Errorf("--match %q: the selector is on ALERTS; leave out the metric name", match)
			case "alertstate":
				return "", fmt.Errorf("--match %q: alertstate is always \"firing\" (pending alerts never reached Alertmanager)", match)
			}
			ms = append(ms, m.String())
		}
	}
	return "{" + strings.Join(ms, ", ") + "}", nil
}

// withNames narrows sel to the given alert names.
func withNames(sel string, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return strings.TrimSuffix(sel, "}") + ", alertname=~" + strconv.Quote(strings.Join(q, "|")) + "}"
}

// alertNames lists the alert names with firing samples in [start, end].
func (im *importer) alertNames(ctx context.Context, sel string, start, end time.Time) ([]string, error) {
	vals, warns, _, err := im.api.LabelValues(ctx, "alertname", []string{sel}, start, end)
	im.serverWarnings(warns)
	if err != nil {
		return nil, fmt.Errorf("GET /api/v1/label/alertname/values: %w", err)
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		out = append(out, string(v))
	}
	slices.Sort(out)
	return out, nil
}

// maxResolution is Prometheus's limit on the points of one series in a
// range query ("exceeded maximum resolution of 11,000 points per
// timeseries", web/api/v1). The importer stays below it.
const maxResolution = 11000

// queryRange runs one range query of timestamp(sel) and returns the points
// of each series. A chunk the server refuses as too large (too many samples
// for query.max-samples, too many points, or its query timeout) is retried
// in halves, which also halves the chunks that follow.
func (im *importer) queryRange(ctx context.Context, sel string, from, to int64) (map[string]*seriesPoints, error) {
	out := map[string]*seriesPoints{}
	for lo := from; lo <= to; {
		hi := min(to, lo+int64(im.points-1)*im.step)
		val, warns, _, err := im.api.QueryRange(ctx, "timestamp("+sel+")",
			v1.Range{Start: msTime(lo), End: msTime(hi), Step: time.Duration(im.step) * time.Millisecond})
		im.serverWarnings(warns)
		if err != nil {
			var ae *v1.Error
			if errors.As(err, &ae) && tooLarge(ae) && im.points > 10 && ctx.Err() == nil {
				im.points /= 2
				slog.Debug("prometheus import: chunk too large, halving", "points", im.points, "err", err)
				continue
			}
			return nil, fmt.Errorf("query_range %s .. %s: %w", msTime(lo).Format(time.RFC3339), msTime(hi).Format(time.RFC3339), err)
		}
		im.stats.Queries++
		m, ok := val.(model.Matrix)
		if !ok {
			return nil, fmt.Errorf("query_range %s .. %s: result of type %s, want a matrix", msTime(lo).Format(time.RFC3339), msTime(hi).Format(time.RFC3339), val.Type())
		}
		for _, ss := range m {
			key := ss.Metric.String()
			sp := out[key]
			if sp == nil {
				sp = &seriesPoints{metric: ss.Metric}
				out[key] = sp
			}
			for _, v := range ss.Values {
				f := float64(v.Value)
				if math.IsNaN(f) || math.IsInf(f, 0) {
					im.skip("bad_sample", 1)
					continue
				}
				sp.points = append(sp.points, point{t: int64(v.Timestamp), v: int64(math.Round(f * 1000))})
			}
			im.stats.Points += int64(len(ss.Values))
		}
		lo = hi + im.step
	}
	return out, nil
}

type seriesPoints struct {
	metric model.Metric
	points []point
}

// tooLarge: the server refused a chunk for its size, or ran out of time
// on it (its query timeout, after the transport's retries).
func tooLarge(e *v1.Error) bool {
	return e.Type == v1.ErrTimeout || strings.Contains(e.Msg, "too many samples") ||
		strings.Contains(e.Msg, "exceeded maximum resolution")
}
