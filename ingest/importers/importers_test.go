package importers_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/ingest/importers"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2025-12-01T00:00:00Z", want: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2025-12-01T01:00:00+01:00", want: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)},
		{in: "365d", want: now.Add(-365 * 24 * time.Hour)},
		{in: "2w", want: now.Add(-14 * 24 * time.Hour)},
		{in: "36h", want: now.Add(-36 * time.Hour)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "", bad: true},
		{in: "0d", bad: true},
		{in: "-5d", bad: true},
		{in: "1.5d", bad: true},
		{in: "yesterday", bad: true},
		{in: "2025-12-01", bad: true},
	}
	for _, tt := range tests {
		got, err := importers.ParseTime(tt.in, now)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseTime(%q) = %s, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitAndHalves(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ws := importers.Split(t0, t0.Add(50*time.Hour), 24*time.Hour)
	if len(ws) != 3 || !ws[0].Start.Equal(t0) || !ws[2].End.Equal(t0.Add(50*time.Hour)) || ws[2].Duration() != 2*time.Hour {
		t.Fatalf("Split = %v", ws)
	}
	for i := 1; i < len(ws); i++ {
		if !ws[i].Start.Equal(ws[i-1].End) {
			t.Fatalf("gap between %v and %v", ws[i-1], ws[i])
		}
	}
	if got := importers.Split(t0, t0, time.Hour); len(got) != 0 {
		t.Fatalf("empty range gave %v", got)
	}
	a, b, ok := importers.Window{Start: t0, End: t0.Add(3 * time.Second)}.Halves()
	if !ok || !a.End.Equal(b.Start) || !a.Start.Equal(t0) || !b.End.Equal(t0.Add(3*time.Second)) || a.Duration() != time.Second {
		t.Fatalf("Halves of 3 s = %v %v %v", a, b, ok)
	}
	if _, _, ok := (importers.Window{Start: t0, End: t0.Add(2 * time.Second)}).Halves(); ok {
		t.Fatal("a 2 s window was split")
	}
}

// TestTransport runs the retrying transport against a real HTTP server that
// answers each path with a scripted sequence of statuses.
func TestTransport(t *testing.T) {
	type step struct {
		code    int
		headers map[string]string
	}
	tests := []struct {
		name     string
		steps    []step
		want     int // final status
		requests int
		minWait  time.Duration
		policy   importers.RetryPolicy
	}{
		{"429 Retry-After then ok", []step{{429, map[string]string{"Retry-After": "1"}}, {200, nil}}, 200, 2, time.Second, importers.RetryPolicy{}},
		{"429 ratelimit-reset then ok", []step{{429, map[string]string{"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "1"}}, {200, nil}}, 200, 2, time.Second, importers.RetryPolicy{}},
		// Grafana OnCall's throttle (Django REST framework): a wait under a
		// second is Retry-After "0", and OnCall's RateLimit-Reset its ceiling.
		{"429 Retry-After 0 and RateLimit-Reset 1 then ok", []step{{429, map[string]string{"Retry-After": "0", "RateLimit-Reset": "1"}}, {200, nil}}, 200, 2, time.Second, importers.RetryPolicy{}},
		{"5xx then ok", []step{{503, nil}, {502, nil}, {200, nil}}, 200, 3, 0, importers.RetryPolicy{BaseDelay: time.Millisecond}},
		{"5xx exhausted", []step{{500, nil}, {500, nil}, {500, nil}}, 500, 3, 0, importers.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond}},
		{"401 not retried", []step{{401, nil}, {200, nil}}, 401, 1, 0, importers.RetryPolicy{}},
		{"404 not retried", []step{{404, nil}, {200, nil}}, 404, 1, 0, importers.RetryPolicy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				s := tt.steps[min(i, len(tt.steps)-1)]
				for k, v := range s.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(s.code)
				_, _ = w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			tr := importers.NewTransport(nil, tt.policy)
			start := time.Now()
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want || int(n.Load()) != tt.requests || int(tr.Requests.Load()) != tt.requests {
				t.Fatalf("status %d after %d requests (counted %d), want %d after %d", resp.StatusCode, n.Load(), tr.Requests.Load(), tt.want, tt.requests)
			}
			if el := time.Since(start); el < tt.minWait {
				t.Fatalf("took %s, want at least the %s the server asked for", el, tt.minWait)
			}
		})
	}
}

// TestTransportTimeout: an attempt that hangs past AttemptTimeout is retried.
func TestTransportTimeout(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	tr := importers.NewTransport(nil, importers.RetryPolicy{AttemptTimeout: 200 * time.Millisecond, BaseDelay: time.Millisecond})
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 2 || tr.Retries.Load() != 1 {
		t.Fatalf("status %d after %d requests, %d retries", resp.StatusCode, n.Load(), tr.Retries.Load())
	}
}

func TestCheckStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error":{"message":"Unauthorized","code":2006}}`))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/incidents?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	err = importers.CheckStatus(resp)
	var se *importers.StatusError
	if !errors.Is(err, importers.ErrUnauthorized) || !errors.As(err, &se) || se.Code != 401 || se.URL != srv.URL+"/incidents" {
		t.Fatalf("CheckStatus(401) = %v", err)
	}
}

// TestSummaryItems: PagerDuty's item kinds in their order, then any other
// vendor's sorted, with underscores as spaces.
func TestSummaryItems(t *testing.T) {
	s := importers.Summary{Source: "oncall"}
	s.AddItems("alert_groups", 3)
	s.AddItems("users", 2)
	s.AddItems("shifts", 5)
	s.AddItems("alerts", 1)
	if got, want := s.String(), ": 0/0 windows, 2 users, 3 alert groups, 1 alerts, 5 shifts; "; !strings.Contains(got, want) {
		t.Errorf("summary %q does not contain %q", got, want)
	}
}

// TestTransportRateLimitBody: a vendor that says in a 429's body when to
// try again (incident.io's rate_limit.retry_after) is waited on as long as
// the body or the headers ask, the longer, at most MaxDelay; without
// either, the backoff.
func TestTransportRateLimitBody(t *testing.T) {
	readWait := func(body []byte, _ time.Time) (time.Duration, bool) {
		ms, ok := strings.CutPrefix(string(body), "wait_ms=")
		if !ok {
			return 0, false
		}
		d, err := time.ParseDuration(ms + "ms")
		return d, err == nil
	}
	tests := []struct {
		name       string
		retryAfter string
		body       string
		maxDelay   time.Duration
		want       time.Duration // the wait asked of OnRetry; 0: a backoff under 10 ms
	}{
		{"body only", "", "wait_ms=300", 0, 300 * time.Millisecond},
		{"header longer", "1", "wait_ms=300", 0, time.Second},
		{"body longer", "0", "wait_ms=300", 0, 300 * time.Millisecond},
		{"capped", "", "wait_ms=5000", 200 * time.Millisecond, 200 * time.Millisecond},
		{"neither: backoff", "", "slow down", 0, 0},
		{"body past (a clock ahead): backoff", "", "wait_ms=-500", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(http.StatusTooManyRequests)
					_, _ = w.Write([]byte(tt.body))
					return
				}
				_, _ = w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			tr := importers.NewTransport(nil, importers.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: tt.maxDelay})
			tr.RateLimitBody = readWait
			var waited time.Duration
			tr.OnRetry = func(_ *http.Request, _ string, wait time.Duration) { waited = wait }
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || n.Load() != 2 {
				t.Fatalf("status %d after %d requests, want 200 after 2", resp.StatusCode, n.Load())
			}
			if tt.want == 0 && waited >= 10*time.Millisecond || tt.want != 0 && waited != tt.want {
				t.Errorf("waited %s, want %s", waited, tt.want)
			}
		})
	}
}
