package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// promAPI is the part of Prometheus's HTTP API the test uses: instant queries.
type promAPI struct {
	base string // http://127.0.0.1:port
}

// sample is one element of an instant query result.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query evaluates expr as an instant query at now, as a Grafana stat panel
// does, and returns the samples (a scalar result is one sample).
func (p promAPI) query(ctx context.Context, expr string) ([]sample, error) {
	form := url.Values{"query": {expr}, "time": {strconv.FormatInt(time.Now().Unix(), 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/api/v1/query", strings.NewReader(form.Encode()))
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
		// A bad query (400/422) is a dashboard bug, not "no data yet".
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
		out := make([]sample, 0, len(vs))
		for _, v := range vs {
			f, err := promFloat(v.Value[1])
			if err != nil {
				return nil, fmt.Errorf("query %q: %w", expr, err)
			}
			out = append(out, sample{Metric: v.Metric, Value: f})
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
		return []sample{{Value: f}}, nil
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

// scalar evaluates expr and returns its single value, or ok=false when the
// result is empty (the series is not there yet).
func (p promAPI) scalar(ctx context.Context, expr string) (v float64, ok bool, err error) {
	ss, err := p.query(ctx, expr)
	if err != nil {
		return 0, false, err
	}
	if len(ss) == 0 || math.IsNaN(ss[0].Value) {
		return 0, false, nil
	}
	return ss[0].Value, true, nil
}
