package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tool returns the path of an external binary (prometheus, promtool).
// Without it the test is skipped on a workstation but fails in CI, which
// installs it: a check that silently never runs is worse than none.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s not on PATH in CI: %v", name, err)
		}
		tb.Skipf("%s not on PATH: %v", name, err)
	}
	return p
}

// Prom is the part of Prometheus's HTTP API the tests that run a real
// Prometheus use: instant queries.
type Prom struct {
	URL string // http://127.0.0.1:port
}

// PromSample is one element of an instant query result.
type PromSample struct {
	Metric map[string]string
	Value  float64
}

// Query evaluates expr as an instant query at now, as a Grafana stat panel
// does, and returns the samples (a scalar result is one sample). A query
// Prometheus rejects (400/422) is an error, not "no data yet".
func (p Prom) Query(ctx context.Context, expr string) ([]PromSample, error) {
	form := url.Values{"query": {expr}, "time": {strconv.FormatInt(time.Now().Unix(), 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("query %q: read response: %w", expr, err)
	}
	var r struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: %s: decode response: %w", expr, resp.Status, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s: %s: %s", expr, resp.Status, r.ErrorType, r.Error)
	}
	switch r.Data.ResultType {
	case "vector":
		var vs []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vs); err != nil {
			return nil, fmt.Errorf("query %q: decode vector: %w", expr, err)
		}
		out := make([]PromSample, 0, len(vs))
		for _, v := range vs {
			f, err := promFloat(v.Value[1])
			if err != nil {
				return nil, fmt.Errorf("query %q: %w", expr, err)
			}
			out = append(out, PromSample{Metric: v.Metric, Value: f})
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			return nil, fmt.Errorf("query %q: decode scalar: %w", expr, err)
		}
		f, err := promFloat(v[1])
		if err != nil {
			return nil, fmt.Errorf("query %q: %w", expr, err)
		}
		return []PromSample{{Value: f}}, nil
	}
	return nil, fmt.Errorf("query %q: result type %q, want vector or scalar", expr, r.Data.ResultType)
}

// promFloat parses a sample value, which the API sends as a string ("NaN",
// "+Inf" included).
func promFloat(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("sample value %q: %w", s, err)
	}
	return f, nil
}

// Scalar evaluates expr and returns its single value, or ok=false when the
// result is empty or NaN (the series is not there yet).
func (p Prom) Scalar(ctx context.Context, expr string) (v float64, ok bool, err error) {
	ss, err := p.Query(ctx, expr)
	if err != nil {
		return 0, false, err
	}
	if len(ss) == 0 || math.IsNaN(ss[0].Value) {
		return 0, false, nil
	}
	return ss[0].Value, true, nil
}
