package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Client configures Push.
type Client struct {
	// URL is Grafana's root URL, including any sub-path it is served under
	// (https://example.com/grafana).
	URL string
	// Token is a service-account token (Editor, or dashboards:write and
	// folders:create). It is sent as a bearer token and never appears in
	// errors or logs.
	Token string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Retries is how many times a request that failed with a 5xx, a 429 or a
	// network error is retried; 0 means the default of 3, negative none.
	Retries int
	// Backoff is the wait before the first retry, doubled before each next
	// one. Default 500 ms.
	Backoff time.Duration
}

// Errors Push wraps, for errors.Is.
var (
	ErrUnauthorized = errors.New("grafana answered 401 Unauthorized: the token is missing or wrong; check --token-file or GRAFANA_TOKEN")
	ErrForbidden    = errors.New("the token lacks permission (403): it needs the Editor role or dashboards:write and folders:create")
	ErrNotFound     = errors.New("not found (404): is the URL Grafana's root, including any sub-path?")
	ErrServer       = errors.New("grafana server error")
	ErrUnreachable  = errors.New("cannot reach grafana")
)

// APIError is an HTTP error answer from Grafana.
type APIError struct {
	Method, Path string
	StatusCode   int
	// Message is Grafana's "message" field, or the start of the body.
	Message string
	// Attempts made, more than one when the request was retried.
	Attempts int
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	if k := e.kind(); k != nil {
		s += " — " + k.Error()
	}
	return s
}

func (e *APIError) kind() error {
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.StatusCode == http.StatusForbidden:
		return ErrForbidden
	case e.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case e.StatusCode >= 500:
		return ErrServer
	}
	return nil
}

// Unwrap lets errors.Is(err, ErrUnauthorized) and friends work.
func (e *APIError) Unwrap() error { return e.kind() }

// Action is what Push did with one dashboard.
type Action string

const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
)

// PushResult reports one dashboard.
type PushResult struct {
	UID, Title string
	Action     Action
	// Version is Grafana's version of the dashboard after the push.
	Version int64
	URL     string
}

// Push creates the dashboards' folder if it is missing and upserts every
// dashboard by uid. A dashboard whose stored content and folder already
// match is not written again, so a second push changes nothing (not even
// Grafana's version counter).
func Push(ctx context.Context, c Client, opts Options) ([]PushResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("dashboard options: %w", err)
	}
	ds, err := Build(o)
	if err != nil {
		return nil, err
	}
	g, err := newGrafana(c)
	if err != nil {
		return nil, err
	}
	folderUID, err := g.ensureFolder(ctx, o.Folder)
	if err != nil {
		return nil, fmt.Errorf("folder %q: %w", o.Folder, err)
	}
	results := make([]PushResult, 0, len(ds))
	for _, d := range ds {
		r, err := g.upsert(ctx, d, folderUID)
		if err != nil {
			return results, fmt.Errorf("dashboard %s: %w", d.UID, err)
		}
		results = append(results, r)
	}
	return results, nil
}

type grafana struct {
	base    *url.URL
	token   string
	hc      *http.Client
	retries int
	backoff time.Duration
}

func newGrafana(c Client) (*grafana, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("grafana URL %q: want http(s)://host[:port][/path]", c.URL)
	}
	g := &grafana{base: u, token: c.Token, hc: c.HTTPClient, retries: c.Retries, backoff: c.Backoff}
	if g.hc == nil {
		g.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if g.retries == 0 {
		g.retries = 3
	}
	if g.retries < 0 {
		g.retries = 0
	}
	if g.backoff <= 0 {
		g.backoff = 500 * time.Millisecond
	}
	return g, nil
}

type folder struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
}

// ensureFolder returns the uid of the pagerlens folder: ours (FolderUID) if
// it exists, else an existing folder with the wanted title (one made by hand
// or by file provisioning under another uid), else a new one.
func (g *grafana) ensureFolder(ctx context.Context, title string) (string, error) {
	find := func() (string, error) {
		var fs []folder
		if err := g.do(ctx, http.MethodGet, "/api/folders?limit=1000", nil, &fs); err != nil {
			return "", err
		}
		for _, f := range fs {
			if f.UID == FolderUID {
				return f.UID, nil
			}
		}
		for _, f := range fs {
			if f.Title == title {
				return f.UID, nil
			}
		}
		return "", nil
	}
	uid, err := find()
	if err != nil || uid != "" {
		return uid, err
	}
	var created folder
	err = g.do(ctx, http.MethodPost, "/api/folders", folder{UID: FolderUID, Title: title}, &created)
	var apiErr *APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusConflict || apiErr.StatusCode == http.StatusPreconditionFailed) {
		// Someone (or our own retried request) created it meanwhile.
		if uid, ferr := find(); ferr == nil && uid != "" {
			return uid, nil
		}
	}
	if err != nil {
		return "", err
	}
	if created.UID == "" {
		return FolderUID, nil
	}
	return created.UID, nil
}

type storedDashboard struct {
	Dashboard map[string]any `json:"dashboard"`
	Meta      struct {
		FolderUID string `json:"folderUid"`
		URL       string `json:"url"`
	} `json:"meta"`
}

// upsert writes d unless Grafana already holds the same content in the same
// folder.
func (g *grafana) upsert(ctx context.Context, d Dashboard, folderUID string) (PushResult, error) {
	res := PushResult{UID: d.UID, Title: d.Title}
	body, err := d.JSON()
	if err != nil {
		return res, err
	}
	var want map[string]any
	if err := json.Unmarshal(body, &want); err != nil {
		return res, fmt.Errorf("decode own dashboard: %w", err)
	}

	var stored storedDashboard
	err = g.do(ctx, http.MethodGet, "/api/dashboards/uid/"+url.PathEscape(d.UID), nil, &stored)
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound:
		res.Action = Created
	case err != nil:
		return res, err
	case stored.Meta.FolderUID == folderUID && sameDashboard(stored.Dashboard, want):
		res.Action = Unchanged
		res.Version = toInt64(stored.Dashboard["version"])
		res.URL = stored.Meta.URL
		return res, nil
	default:
		res.Action = Updated
	}

	// id must be absent: Grafana then matches on uid, which is stable
	// across Grafana instances, and overwrite replaces whatever is there.
	delete(want, "id")
	req := map[string]any{
		"dashboard": want,
		"folderUid": folderUID,
		"overwrite": true,
		"message":   "pagerlens dashboards push",
	}
	var saved struct {
		Version int64  `json:"version"`
		URL     string `json:"url"`
	}
	if err := g.do(ctx, http.MethodPost, "/api/dashboards/db", req, &saved); err != nil {
		return res, err
	}
	res.Version = saved.Version
	res.URL = saved.URL
	return res, nil
}

// sameDashboard compares a stored dashboard with ours, ignoring the fields
// Grafana manages itself.
func sameDashboard(stored, want map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			switch k {
			case "id", "version":
				continue
			}
			out[k] = v
		}
		return out
	}
	return reflect.DeepEqual(strip(stored), strip(want))
}

func toInt64(v any) int64 {
	if f, ok := v.(float64); ok {
		return int64(f)
	}
	return 0
}

// do sends one API request with retries on 5xx, 429 and network errors,
// decoding a 2xx JSON answer into out.
func (g *grafana) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	target := g.base.String() + path
	wait := g.backoff
	var lastErr error
	for attempt := 1; ; attempt++ {
		retry, err := g.once(ctx, method, target, path, body, out, attempt)
		if err == nil {
			return nil
		}
		lastErr = err
		if !retry || attempt > g.retries || ctx.Err() != nil {
			return lastErr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %w)", lastErr, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// once makes one attempt; retry says whether a failure may pass on retry.
func (g *grafana) once(ctx context.Context, method, target, path string, body []byte, out any, attempt int) (retry bool, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g.token != "" {
		req.Header.Set("Authorization", "Bearer "+g.token)
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		// *url.Error names the URL and the cause (refused, DNS, TLS,
		// timeout), never the headers, so the token cannot leak here.
		return true, fmt.Errorf("%w at %s: %w", ErrUnreachable, g.base.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return true, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: apiMessage(data), Attempts: attempt}
		return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests, e
	}
	if out == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return false, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return false, nil
}

// apiMessage extracts Grafana's error message, else the start of the body.
func apiMessage(data []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &m) == nil && m.Message != "" {
		return m.Message
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
