package opsgenie

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/importers"
)

// api reads Opsgenie's REST API (v2) with plain HTTP over the retrying
// transport, not through opsgenie-go-sdk-v2's client: that client takes a
// host rather than a URL (the scheme is https unless the host lacks "api"),
// drops the request's context (Exec calls retryablehttp's WithContext and
// discards the copy it returns, so a cancelled import would not stop), runs
// its own retries and logs to stderr through logrus, decodes a whole page
// into typed structs (one item of an unexpected shape loses the page and
// its ids), and its ListAlertResult has no paging at all. The item shapes
// below were checked against the SDK's types and Opsgenie's OpenAPI
// definitions (opsgenie/opsgenie-oas); docs/import.md says more.
type api struct {
	hc        *http.Client
	base      string
	token     string
	tokenFile string
	pageLimit int
	offsetCap int
	maxBody   int64
	onPage    func(n int)
}

// errCap says a listing would need an offset past the cap: the caller
// splits the time range.
var errCap = errors.New("listing reaches the offset cap")

// badPage is an answer that is not the documented shape: kept whole for a
// dead letter.
type badPage struct {
	path   string
	raw    []byte
	reason event.Reason
	msg    string
}

func (b *badPage) Error() string { return fmt.Sprintf("%s: %s", b.path, b.msg) }

// get makes one authenticated GET ("Authorization: GenieKey <key>", the
// API reference's "Authentication") and returns the body of a 2xx answer.
// A 401 (key invalid) or 403 (key without the right) names the token file;
// other statuses are *importers.StatusError.
func (a *api) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("opsgenie: %w", err)
	}
	req.Header.Set("Authorization", "GenieKey "+a.token)
	req.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("opsgenie: GET %s: %w", path, err)
	}
	if err := importers.CheckStatus(resp); err != nil {
		if errors.Is(err, importers.ErrUnauthorized) {
			return nil, fmt.Errorf("opsgenie: the API key in %s was refused: %w; check that the file holds the key of an API integration (or an API key) with read access, for this region's host (--api-url)", a.tokenFile, err)
		}
		return nil, fmt.Errorf("opsgenie: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("opsgenie: GET %s: read body: %w", path, err)
	}
	if int64(len(b)) > a.maxBody {
		return nil, &badPage{path: path, raw: b[:0], reason: event.ReasonTooLarge, msg: fmt.Sprintf("answer larger than %d bytes", a.maxBody)}
	}
	return b, nil
}

// envelope is Opsgenie's response format ("Response" in the API
// reference): the entity under data, paging links on lists.
type envelope struct {
	Data   json.RawMessage `json:"data"`
	Paging *struct {
		Next string `json:"next"`
	} `json:"paging"`
}

func (a *api) envelope(path string, b []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return env, &badPage{path: path, raw: b, reason: event.ReasonInvalidJSON, msg: "not a JSON object: " + err.Error()}
	}
	if env.Data == nil || string(env.Data) == "null" {
		return env, &badPage{path: path, raw: b, reason: event.ReasonMissingField, msg: `no "data"`}
	}
	return env, nil
}

// items reads the data array of an answer.
func (a *api) items(path string, b []byte) ([]json.RawMessage, envelope, error) {
	env, err := a.envelope(path, b)
	if err != nil {
		return nil, env, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(env.Data, &items); err != nil {
		return nil, env, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: `"data" is not an array of items`}
	}
	return items, env, nil
}

// list reads every item of an offset-paginated list (List Alerts, List
// Users: offset and limit, at most 100 a page; the answer's paging.next is
// set while there is more). The next offset moves by the items actually
// returned; pagerlens does not follow the next URL itself (it names the
// vendor's host, and the key must go nowhere else). Before a request would
// cross offsetCap, list returns errCap.
func (a *api) list(ctx context.Context, path string, q url.Values) ([]json.RawMessage, error) {
	var out []json.RawMessage
	offset := 0
	limit := min(a.pageLimit, a.offsetCap)
	for {
		if offset+limit > a.offsetCap {
			return nil, errCap
		}
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("limit", strconv.Itoa(limit))
		pq.Set("offset", strconv.Itoa(offset))
		b, err := a.get(ctx, path, pq)
		if err != nil {
			return nil, err
		}
		items, env, err := a.items(path, b)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if a.onPage != nil {
			a.onPage(len(items))
		}
		if env.Paging == nil || env.Paging.Next == "" {
			return out, nil
		}
		if len(items) == 0 {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: fmt.Sprintf("paging.next is set on an empty page at offset %d", offset)}
		}
		offset += len(items)
	}
}

// alertsQuery is the search query of the alerts created in w: createdAt
// compares epoch milliseconds (the alerts search query help: "createdAt:
// Unix timestamp in milliseconds"); > start−1 is ≥ start in whole ms.
func alertsQuery(w importers.Window) string {
	return fmt.Sprintf("createdAt > %d AND createdAt < %d", w.Start.UnixMilli()-1, w.End.UnixMilli())
}

// listAlerts lists the alerts created in w, oldest first, halving w
// whenever the listing would pass the offset cap.
func (a *api) listAlerts(ctx context.Context, w importers.Window) ([]json.RawMessage, error) {
	q := url.Values{"query": {alertsQuery(w)}, "sort": {"createdAt"}, "order": {"asc"}}
	items, err := a.list(ctx, "/v2/alerts", q)
	if !errors.Is(err, errCap) {
		return items, err
	}
	l, r, ok := w.Halves()
	if !ok {
		return nil, fmt.Errorf("opsgenie: /v2/alerts: more than %d alerts created within %s, which cannot be split further", a.offsetCap, w)
	}
	li, err := a.listAlerts(ctx, l)
	if err != nil {
		return nil, err
	}
	ri, err := a.listAlerts(ctx, r)
	if err != nil {
		return nil, err
	}
	return append(li, ri...), nil
}

// alert reads one alert (GET /v2/alerts/{id}?identifierType=id): the list
// leaves out entity, description, details and actions. ok is false if
// there is none (deleted since it was listed).
func (a *api) alert(ctx context.Context, id string) (json.RawMessage, bool, error) {
	path := "/v2/alerts/" + url.PathEscape(id)
	b, err := a.get(ctx, path, url.Values{"identifierType": {"id"}})
	var se *importers.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	env, err := a.envelope(path, b)
	if err != nil {
		return nil, false, err
	}
	return env.Data, true, nil
}

// recipients reads an alert's recipients (GET
// /v2/alerts/{id}/recipients): one entry per user, not paged.
func (a *api) recipients(ctx context.Context, id string) ([]json.RawMessage, error) {
	path := "/v2/alerts/" + url.PathEscape(id) + "/recipients"
	b, err := a.get(ctx, path, url.Values{"identifierType": {"id"}})
	var se *importers.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	items, _, err := a.items(path, b)
	return items, err
}

// schedules lists the schedules (GET /v2/schedules: not paged).
func (a *api) schedules(ctx context.Context) ([]json.RawMessage, error) {
	b, err := a.get(ctx, "/v2/schedules", nil)
	if err != nil {
		return nil, err
	}
	items, _, err := a.items("/v2/schedules", b)
	return items, err
}

// timeline reads the schedule's timeline from w's start for a whole number
// of days (intervalUnit days) at least one day longer than w: a period the
// answer cuts at its end then ends a day or more after w, never within it,
// so an end within w is a true one.
func (a *api) timeline(ctx context.Context, scheduleID string, w importers.Window) (json.RawMessage, error) {
	path := "/v2/schedules/" + url.PathEscape(scheduleID) + "/timeline"
	days := int((w.Duration()+24*time.Hour-1)/(24*time.Hour)) + 1
	q := url.Values{"identifierType": {"id"}, "date": {w.Start.UTC().Format("2006-01-02T15:04:05.000Z")},
		"interval": {strconv.Itoa(days)}, "intervalUnit": {"days"}}
	b, err := a.get(ctx, path, q)
	if err != nil {
		return nil, err
	}
	env, err := a.envelope(path, b)
	if err != nil {
		return nil, err
	}
	return env.Data, nil
}

// The item shapes read (opsgenie-oas definitions/alert.yaml BaseAlert,
// Alert, AlertReport, AlertRecipient; definitions/user.yaml User;
// definitions/schedule.yaml Schedule, ScheduleTimeline, TimelinePeriod;
// the SDK's alert.Alert, alert.AlertRecipient, user.User,
// schedule.TimelineResult): only the fields pagerlens uses.

type apiResponder struct {
	Type string `json:"type"` // user, team, escalation, schedule
	ID   string `json:"id"`
}

// apiAlert is an Alert (GET) or BaseAlert (list).
type apiAlert struct {
	ID         string         `json:"id"`
	Alias      string         `json:"alias"`
	Message    string         `json:"message"`
	Status     string         `json:"status"` // open, closed
	Tags       []string       `json:"tags"`
	CreatedAt  string         `json:"createdAt"`
	Source     string         `json:"source"`
	Priority   string         `json:"priority"` // P1..P5
	Responders []apiResponder `json:"responders"`
	Report     *struct {
		AckTime        *int64 `json:"ackTime"`   // ms after createdAt
		CloseTime      *int64 `json:"closeTime"` // ms after createdAt
		AcknowledgedBy string `json:"acknowledgedBy"`
		ClosedBy       string `json:"closedBy"`
	} `json:"report"`
	Entity string `json:"entity"` // GET only
}

// apiRecipient is an AlertRecipient.
type apiRecipient struct {
	User *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
	State     string `json:"state"`  // e.g. action, notactive
	Method    string `json:"method"` // the action taken, e.g. Acknowledge
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// apiUser is a User.
type apiUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	FullName string `json:"fullName"`
	TimeZone string `json:"timeZone"`
}

// apiSchedule is a Schedule.
type apiSchedule struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	OwnerTeam *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"ownerTeam"`
}

// apiTimeline is a ScheduleTimeline's final timeline.
type apiTimeline struct {
	FinalTimeline *struct {
		Rotations []struct {
			ID      string      `json:"id"`
			Name    string      `json:"name"`
			Periods []apiPeriod `json:"periods"`
		} `json:"rotations"`
	} `json:"finalTimeline"`
}

// apiPeriod is a TimelinePeriod.
type apiPeriod struct {
	StartDate string `json:"startDate"`
	EndDate   string `json:"endDate"`
	Type      string `json:"type"`
	Recipient *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"` // user, team, escalation, none
	} `json:"recipient"`
}

// idOf reads the id of an item that did not decode, for the report.
func idOf(raw json.RawMessage) string {
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil || v.ID == nil {
		return ""
	}
	if s, ok := v.ID.(string); ok {
		return s
	}
	return fmt.Sprint(v.ID)
}

// periodHint turns Opsgenie's rate-limit answer into the wait the retrying
// transport honours: a 429 carries X-RateLimit-State (THROTTLED),
// X-RateLimit-Reason and X-RateLimit-Period-In-Sec, the period whose limit
// was passed (60 or 1: Opsgenie counts requests per minute and per second
// in rolling windows, "Rate Limiting" in the API reference), and no
// Retry-After. Waiting one period lets the window roll past the burst.
type periodHint struct{ base http.RoundTripper }

func (p periodHint) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
		return resp, err
	}
	if v := strings.TrimSpace(resp.Header.Get("X-RateLimit-Period-In-Sec")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			resp.Header.Set("Retry-After", strconv.Itoa(s))
		}
	}
	return resp, nil
}
