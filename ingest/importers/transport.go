package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// RetryPolicy says how Transport retries. The zero value of a field means
// its default (DefaultRetryPolicy).
type RetryPolicy struct {
	// MaxRetries bounds the retries of a request that failed with a 5xx, a
	// network error or a timeout.
	MaxRetries int
	// MaxRateLimited bounds the waits of one request answered 429 again and
	// again: a vendor that keeps limiting is waited on, not given up on,
	// but not forever.
	MaxRateLimited int
	// BaseDelay is the first backoff (doubled each retry, with jitter);
	// MaxDelay caps a backoff and any wait a server asks for.
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt, the body read included.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy: 5 retries from 1 s (1, 2, 4, 8, 16 s), 30 rate-limit
// waits, no wait longer than 2 minutes, 60 s per attempt.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 5, MaxRateLimited: 30, BaseDelay: time.Second, MaxDelay: 2 * time.Minute, AttemptTimeout: time.Minute}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxRetries == 0 {
		p.MaxRetries = d.MaxRetries
	}
	if p.MaxRateLimited == 0 {
		p.MaxRateLimited = d.MaxRateLimited
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.AttemptTimeout == 0 {
		p.AttemptTimeout = d.AttemptTimeout
	}
	return p
}

// Transport is an http.RoundTripper that retries what a vendor API's
// outages and rate limits make fail, for requests without a body (the
// importers only GET):
//
//   - 429: waits as Retry-After (seconds or an HTTP date) or
//     ratelimit-reset (seconds: PagerDuty's and OnCall's header) says, the
//     longer if both, else backs off, then tries again, up to
//     MaxRateLimited times;
//   - 5xx, network errors and attempt timeouts: backs off exponentially
//     with jitter, up to MaxRetries times;
//   - anything else (2xx, 4xx such as 401/403) is returned as it is.
//
// When the retries are used up, the last response (or error) is returned.
// Requests and Retries count what it did; OnRetry, if set, is told of each
// retry before its wait.
type Transport struct {
	Base    http.RoundTripper
	Policy  RetryPolicy
	OnRetry func(req *http.Request, why string, wait time.Duration)
	// RateLimitBody, if set, reads a wait from a 429's body (up to 64 KiB),
	// for a vendor that says there when to try again (incident.io:
	// rate_limit.retry_after); the longer of it and the headers' wait is
	// waited, at most MaxDelay.
	RateLimitBody func(body []byte, now time.Time) (time.Duration, bool)

	Requests, Retries atomic.Int64
}

// NewTransport wraps base (http.DefaultTransport if nil).
func NewTransport(base http.RoundTripper, p RetryPolicy) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Base: base, Policy: p.withDefaults()}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return nil, fmt.Errorf("importers: %s %s: a request with a body cannot be retried", req.Method, req.URL.Path)
	}
	p := t.Policy.withDefaults()
	ctx := req.Context()
	failures, limited := 0, 0
	for {
		t.Requests.Add(1)
		resp, err := t.attempt(req, p)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		var wait time.Duration
		var why string
		switch {
		case err != nil:
			failures++
			if failures > p.MaxRetries {
				return nil, err
			}
			why, wait = "error: "+err.Error(), backoff(p, failures)
		case resp.StatusCode == http.StatusTooManyRequests:
			limited++
			if limited > p.MaxRateLimited {
				return resp, nil
			}
			why, wait = "429 rate limited", t.rateLimited(resp, p, limited)
		case resp.StatusCode >= 500:
			failures++
			if failures > p.MaxRetries {
				return resp, nil
			}
			why, wait = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), backoff(p, failures)
		default:
			return resp, nil
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		t.Retries.Add(1)
		if t.OnRetry != nil {
			t.OnRetry(req, why, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = b
		}
	}
}

// attempt makes one try, bounded by p.AttemptTimeout including the body:
// the attempt's context is cancelled when the body is closed.
func (t *Transport) attempt(req *http.Request, p RetryPolicy) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), p.AttemptTimeout)
	resp, err := t.Base.RoundTrip(req.Clone(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// backoff is BaseDelay·2^(n−1), capped, with ±20% jitter.
func backoff(p RetryPolicy, n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	jitter := time.Duration(rand.Int64N(int64(d)/5 + 1))
	if rand.IntN(2) == 0 {
		return d - jitter
	}
	return min(d+jitter, p.MaxDelay)
}

// rateLimited is how long to wait after the 429 resp: the headers' wait
// (rateLimitWait) and the body's (RateLimitBody), the longer.
func (t *Transport) rateLimited(resp *http.Response, p RetryPolicy, n int) time.Duration {
	now := time.Now()
	if t.RateLimitBody == nil {
		return rateLimitWait(resp.Header, now, p, n)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fromBody, okBody := t.RateLimitBody(body, now)
	// A time in the body is read against this machine's clock: one already
	// past (a clock ahead of the vendor's) says nothing, and the headers or
	// the backoff decide, so that a skewed clock never retries at once
	// again and again.
	okBody = okBody && fromBody > 0
	fromHeader, okHeader := headerWait(resp.Header, now)
	switch {
	case okBody && okHeader:
		return min(max(fromBody, fromHeader), p.MaxDelay)
	case okBody:
		return min(fromBody, p.MaxDelay)
	}
	return rateLimitWait(resp.Header, now, p, n)
}

// rateLimitWait reads how long a 429 asks to wait: Retry-After (RFC 9110:
// delay-seconds or an HTTP date) and ratelimit-reset (seconds until the
// limit resets: PagerDuty's REST API; Grafana OnCall's public API, rounded
// up), the longer of the two when both are given, else a backoff. At most
// MaxDelay. Both matter for OnCall: Django REST framework writes
// Retry-After as the throttle's wait rounded down ("0" for a wait under a
// second), OnCall's RateLimit-Reset rounds it up
// (common/api_helpers/mixins.py, RateLimitHeadersMixin).
func rateLimitWait(h http.Header, now time.Time, p RetryPolicy, n int) time.Duration {
	wait, ok := headerWait(h, now)
	if !ok {
		return backoff(p, n)
	}
	return min(wait, p.MaxDelay)
}

// headerWait is the wait Retry-After and ratelimit-reset ask for, the
// longer of the two; false when neither is given.
func headerWait(h http.Header, now time.Time) (time.Duration, bool) {
	wait, ok := time.Duration(0), false
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			wait, ok = time.Duration(s)*time.Second, true
		} else if t, err := http.ParseTime(v); err == nil {
			wait, ok = max(t.Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("Ratelimit-Reset")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			wait, ok = max(wait, time.Duration(s*float64(time.Second))), true
		}
	}
	return wait, ok
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StatusError is an API answer with a status that is not a success, after
// the transport's retries.
type StatusError struct {
	Method, URL string // URL without its query
	Code        int
	Body        string // the start of the body, for the message
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// ErrUnauthorized is wrapped by the error of a 401 or 403 answer.
var ErrUnauthorized = errors.New("the API refused the token")

// CheckStatus returns nil for a 2xx response, else a *StatusError (which
// wraps ErrUnauthorized for 401 and 403), having read and closed the body.
func CheckStatus(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	u := *resp.Request.URL
	u.RawQuery = ""
	se := &StatusError{Method: resp.Request.Method, URL: u.String(), Code: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w (%w)", ErrUnauthorized, se)
	}
	return se
}
