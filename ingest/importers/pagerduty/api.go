package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
)

// api reads PagerDuty's REST API v2 through go-pagerduty's client, which
// sets the headers PagerDuty asks for (Authorization: Token token=…, the
// versioned Accept), over the retrying transport. Lists are paged here, not
// with go-pagerduty's List* calls: those decode a whole page into typed
// structs at once, so one item of an unexpected shape loses the page and
// its id, and LogEntry's channel decoder panics on a non-string type.
// Here each item is kept raw and decoded on its own.
type api struct {
	c         *pd.Client
	base      string
	tokenFile string
	pageLimit int
	offsetCap int
	maxBody   int64
	onPage    func(n int)
}

// errCap says a listing would need an offset past PagerDuty's cap: the
// caller splits the time range.
var errCap = errors.New("listing reaches the pagination offset cap")

// badPage is an answer that is not the documented shape: kept whole for a
// dead letter.
type badPage struct {
	path   string
	raw    []byte
	reason event.Reason
	msg    string
}

func (b *badPage) Error() string { return fmt.Sprintf("%s: %s", b.path, b.msg) }

// get makes one authenticated GET and returns the body of a 2xx answer. A
// 401/403 names the token file; other statuses are *importers.StatusError.
func (a *api) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("pagerduty: %w", err)
	}
	resp, err := a.c.Do(req, true)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("pagerduty: GET %s: %w", path, err)
	}
	if err := importers.CheckStatus(resp); err != nil {
		if errors.Is(err, importers.ErrUnauthorized) {
			return nil, fmt.Errorf("pagerduty: the API token in %s was refused: %w; check that the file holds a valid REST API key with read access", a.tokenFile, err)
		}
		return nil, fmt.Errorf("pagerduty: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("pagerduty: GET %s: read body: %w", path, err)
	}
	if int64(len(b)) > a.maxBody {
		return nil, &badPage{path: path, raw: b[:0], reason: event.ReasonTooLarge, msg: fmt.Sprintf("answer larger than %d bytes", a.maxBody)}
	}
	return b, nil
}

// list reads every item of a classic-paginated list (PagerDuty's
// developer docs, REST API "Pagination"): offset/limit until more is false,
// the next offset moved by the items actually returned (a server may answer
// fewer than the limit). The docs cap offset+limit at 10000 (an answer 400
// past it); before a request would cross the cap, and when the first page
// reports a total above it, list returns errCap.
func (a *api) list(ctx context.Context, path string, q url.Values, key string) ([]json.RawMessage, error) {
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
		if offset == 0 {
			pq.Set("total", "true")
		}
		b, err := a.get(ctx, path, pq)
		if err != nil {
			return nil, err
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal(b, &env); err != nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonInvalidJSON, msg: "not a JSON object: " + err.Error()}
		}
		var items []json.RawMessage
		if err := json.Unmarshal(env[key], &items); err != nil || env[key] == nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: fmt.Sprintf("%q is not an array of items", key)}
		}
		var more bool
		if raw, ok := env["more"]; ok {
			if err := json.Unmarshal(raw, &more); err != nil {
				return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: `"more" is not a boolean`}
			}
		}
		if offset == 0 {
			var total *int
			if raw, ok := env["total"]; ok && json.Unmarshal(raw, &total) == nil && total != nil && *total > a.offsetCap {
				return nil, errCap
			}
		}
		out = append(out, items...)
		if a.onPage != nil {
			a.onPage(len(items))
		}
		if !more {
			return out, nil
		}
		if len(items) == 0 {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: fmt.Sprintf(`"more" is true on an empty page at offset %d`, offset)}
		}
		offset += len(items)
	}
}

// listSplit lists path over w (since/until set by setRange), halving w
// whenever a listing would pass the offset cap.
func (a *api) listSplit(ctx context.Context, path string, q url.Values, key string, w importers.Window, setRange func(url.Values, importers.Window)) ([]json.RawMessage, int, error) {
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	setRange(wq, w)
	items, err := a.list(ctx, path, wq, key)
	if !errors.Is(err, errCap) {
		return items, 0, err
	}
	l, r, ok := w.Halves()
	if !ok {
		return nil, 0, fmt.Errorf("pagerduty: %s: more than %d items within %s, which cannot be split further", path, a.offsetCap, w)
	}
	li, ls, err := a.listSplit(ctx, path, q, key, l, setRange)
	if err != nil {
		return nil, 0, err
	}
	ri, rs, err := a.listSplit(ctx, path, q, key, r, setRange)
	if err != nil {
		return nil, 0, err
	}
	return append(li, ri...), 1 + ls + rs, nil
}

func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// The item shapes read, from PagerDuty's REST API reference (PagerDuty/
// api-schema reference/REST/openapiv3.json): only the fields pagerlens
// uses, so that a change elsewhere in an item does not make it unreadable.

type ref = decode.PagerDutyRef

// apiIncident is an Incident.
type apiIncident struct {
	ID               string `json:"id"`
	Title            string `json:"title"`
	CreatedAt        string `json:"created_at"`
	Status           string `json:"status"` // triggered, acknowledged, resolved
	IncidentKey      string `json:"incident_key"`
	Urgency          string `json:"urgency"` // high, low
	Service          *ref   `json:"service"`
	EscalationPolicy *ref   `json:"escalation_policy"`
	Teams            []ref  `json:"teams"`
	Priority         *struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Summary string `json:"summary"`
		Name    string `json:"name"`
	} `json:"priority"`
}

// apiLogEntry is a LogEntry: the common fields and those of the types
// mapped (assignees of assign/escalate/delegate, user of notify).
type apiLogEntry struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"created_at"`
	Agent     *ref   `json:"agent"`
	Channel   *struct {
		Type         string `json:"type"`
		Notification *struct {
			Type string `json:"type"` // sms_notification, email_notification, phone_notification, push_notification
		} `json:"notification"`
	} `json:"channel"`
	User      *ref  `json:"user"`
	Assignees []ref `json:"assignees"`
	Incident  *ref  `json:"incident"`
}

// apiOnCall is an Oncall; with include[]=schedules the schedule is the
// whole Schedule, whose teams name the team of the shift.
type apiOnCall struct {
	User     *ref `json:"user"`
	Schedule *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
		Name    string `json:"name"`
		Teams   []ref  `json:"teams"`
	} `json:"schedule"`
	EscalationPolicy *ref    `json:"escalation_policy"`
	EscalationLevel  int     `json:"escalation_level"`
	Start            *string `json:"start"`
	End              *string `json:"end"`
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

// users reads every user's name and time zone (the User's time_zone: "If
// null, the account's time zone will be used", which the API does not give
// here, so such a user has none and analytics falls back to the roster).
func (a *api) users(ctx context.Context) (map[string]pd.User, []json.RawMessage, error) {
	items, err := a.list(ctx, "/users", url.Values{}, "users")
	if errors.Is(err, errCap) {
		return map[string]pd.User{}, nil, nil // read one by one as met
	}
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]pd.User, len(items))
	var bad []json.RawMessage
	for _, raw := range items {
		var u pd.User
		if err := json.Unmarshal(raw, &u); err != nil || u.ID == "" {
			bad = append(bad, raw)
			continue
		}
		out[u.ID] = u
	}
	return out, bad, nil
}

// user reads one user (GET /users/{id}); ok is false if there is none.
func (a *api) user(ctx context.Context, id string) (pd.User, bool, error) {
	b, err := a.get(ctx, "/users/"+url.PathEscape(id), nil)
	var se *importers.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return pd.User{}, false, nil
	}
	if err != nil {
		return pd.User{}, false, err
	}
	var v struct {
		User pd.User `json:"user"`
	}
	if json.Unmarshal(b, &v) != nil || v.User.ID == "" {
		return pd.User{}, false, nil
	}
	return v.User, true, nil
}

// incident reads one incident (GET /incidents/{id}).
func (a *api) incident(ctx context.Context, id string) (json.RawMessage, bool, error) {
	b, err := a.get(ctx, "/incidents/"+url.PathEscape(id), url.Values{"time_zone": {"UTC"}})
	var se *importers.StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var v struct {
		Incident json.RawMessage `json:"incident"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Incident == nil {
		return nil, false, &badPage{path: "/incidents/" + id, raw: b, reason: event.ReasonWrongType, msg: `no "incident" object`}
	}
	return v.Incident, true, nil
}
