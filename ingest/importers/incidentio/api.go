package incidentio

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
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
)

// api reads incident.io's REST API (the OpenAPI spec incident.io publishes,
// kept as openapi3.json in its Go SDK, incident-io/sdk-go) with plain
// net/http over the retrying transport: the SDK is generated code over the
// whole API, far heavier than the six GETs needed here. Each list item is
// kept raw and decoded on its own, so that one item of an unexpected shape
// is reported by its id and the rest of its page is read.
type api struct {
	hc        *http.Client
	base      string // without a trailing slash, e.g. https://api.incident.io
	token     string
	tokenFile string
	pageSize  int
	maxBody   int64
	onPage    func(n int)
}

// badPage is an answer that is not the documented shape: kept whole for a
// dead letter.
type badPage struct {
	path   string
	raw    []byte
	reason event.Reason
	msg    string
}

func (b *badPage) Error() string { return fmt.Sprintf("%s: %s", b.path, b.msg) }

// errNotFound is a 404: an incident or escalation gone since it was listed.
var errNotFound = errors.New("not found")

// get makes one authenticated GET of path and returns the body of a 2xx
// answer. incident.io takes the API key as a bearer token
// ("Authorization: Bearer <key>", API reference, "Authentication") and
// answers a missing or wrong one 401 {"type": "authentication_error", …};
// a key without the permission an endpoint needs is refused too. Either
// names the token file; a 404 is errNotFound; other statuses are
// *importers.StatusError.
func (a *api) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("incidentio: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pagerlens")
	resp, err := a.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("incidentio: GET %s: %w", path, err)
	}
	if err := importers.CheckStatus(resp); err != nil {
		if errors.Is(err, importers.ErrUnauthorized) {
			return nil, fmt.Errorf("incidentio: the API key in %s was refused: %w; check that the file holds an incident.io API key (Settings → API keys) allowed to view data (incidents, escalations, schedules)", a.tokenFile, err)
		}
		var se *importers.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return nil, fmt.Errorf("incidentio: GET %s: %w", path, errNotFound)
		}
		return nil, fmt.Errorf("incidentio: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("incidentio: GET %s: read body: %w", path, err)
	}
	if int64(len(b)) > a.maxBody {
		return nil, &badPage{path: path, raw: b[:0], reason: event.ReasonTooLarge, msg: fmt.Sprintf("answer larger than %d bytes", a.maxBody)}
	}
	return b, nil
}

// list reads every item of a cursor-paginated list: page_size and after
// ask a page; the answer is {key: [items], "pagination_meta": {"after",
// "page_size"}}, where after, when given, is passed back as the after
// parameter for the next page (PaginationMetaResultV2). The list ends at an
// answer without after, or with no items. maxPage is the endpoint's
// documented page_size maximum.
func (a *api) list(ctx context.Context, path, key string, q url.Values, maxPage int) ([]json.RawMessage, error) {
	q = clone(q)
	q.Set("page_size", strconv.Itoa(min(a.pageSize, maxPage)))
	seen := map[string]bool{}
	var out []json.RawMessage
	for {
		b, err := a.get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		var env struct {
			Meta *struct {
				After *string `json:"after"`
			} `json:"pagination_meta"`
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(b, &top); err != nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonInvalidJSON, msg: "not a JSON object: " + err.Error()}
		}
		var items []json.RawMessage
		if err := json.Unmarshal(top[key], &items); err != nil || top[key] == nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: fmt.Sprintf("%q is not an array of items", key)}
		}
		if raw, ok := top["pagination_meta"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &env.Meta); err != nil {
				return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: `"pagination_meta" is not an object with an "after" string`}
			}
		}
		out = append(out, items...)
		if a.onPage != nil {
			a.onPage(len(items))
		}
		if env.Meta == nil || env.Meta.After == nil || *env.Meta.After == "" || len(items) == 0 {
			return out, nil
		}
		after := *env.Meta.After
		if seen[after] {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: fmt.Sprintf("after %q names a page already read", after)}
		}
		seen[after] = true
		q.Set("after", after)
	}
}

// entries reads the final schedule entries of a schedule over [from, to]
// (GET /v2/schedule_entries): {"schedule_entries": {"final", "scheduled",
// "overrides"}, "pagination_meta": {"after", "after_url"}}. A next page is
// asked with entry_window_start set to after, entry_window_end unchanged;
// the entries end with an answer without pagination_meta (the endpoint's
// description). after_url is not followed: the token goes nowhere but the
// API URL given.
func (a *api) entries(ctx context.Context, scheduleID string, from, to time.Time) ([]json.RawMessage, error) {
	const path = "/v2/schedule_entries"
	q := url.Values{"schedule_id": {scheduleID}, "entry_window_start": {from.UTC().Format(time.RFC3339)},
		"entry_window_end": {to.UTC().Format(time.RFC3339)}}
	seen := map[string]bool{}
	var out []json.RawMessage
	for {
		b, err := a.get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		// final is required; null (a Go server's empty slice) is read as
		// empty, as the lists' items are.
		var p struct {
			Entries *struct {
				Final json.RawMessage `json:"final"`
			} `json:"schedule_entries"`
			Meta *struct {
				After string `json:"after"`
			} `json:"pagination_meta"`
		}
		var final []json.RawMessage
		err = json.Unmarshal(b, &p)
		if err == nil && (p.Entries == nil || p.Entries.Final == nil) {
			err = errors.New("no schedule_entries.final")
		}
		if err == nil {
			err = json.Unmarshal(p.Entries.Final, &final)
		}
		if err != nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: `not {"schedule_entries": {"final": [...]}}: ` + err.Error()}
		}
		out = append(out, final...)
		if a.onPage != nil {
			a.onPage(len(final))
		}
		if p.Meta == nil || p.Meta.After == "" {
			return out, nil
		}
		if seen[p.Meta.After] {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: fmt.Sprintf("after %q names a page already read", p.Meta.After)}
		}
		seen[p.Meta.After] = true
		q.Set("entry_window_start", p.Meta.After)
	}
}

// one reads one object: GET path → {key: {...}}.
func (a *api) one(ctx context.Context, path, key string) (json.RawMessage, error) {
	b, err := a.get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil || len(top[key]) == 0 || top[key][0] != '{' {
		return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: fmt.Sprintf("not {%q: {...}}", key)}
	}
	return top[key], nil
}

func clone(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Documented page_size maxima (OpenAPI spec, each list's page_size).
const (
	maxPageIncidents   = 250 // "The maximum page size that can be requested is 250."
	maxPageUpdates     = 250
	maxPageEscalations = 50
	maxPageSchedules   = 10000
)

// The item shapes read, from the OpenAPI spec's schemas: only the fields
// pagerlens uses, so that a change elsewhere in an item does not make it
// unreadable. Incidents are decode.IncidentIOIncident (IncidentV2, the
// shape the webhooks carry too).

// apiUpdate is an IncidentUpdateV2.
type apiUpdate struct {
	ID          string                   `json:"id"`
	IncidentID  string                   `json:"incident_id"`
	CreatedAt   string                   `json:"created_at"`
	NewStatus   *decode.IncidentIOStatus `json:"new_incident_status"`
	NewSeverity *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"new_severity"`
}

// apiUser is a UserV2.
type apiUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// apiEscalation is an EscalationV2: its events tell who was notified and
// who acknowledged, and when.
type apiEscalation struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
	Status    string `json:"status"` // pending, triggered, acked, resolved, expired, cancelled, snoozed, delayed, pending_repeat
	Title     string `json:"title"`
	Events    []struct {
		ID         string    `json:"id"`
		Event      string    `json:"event"` // entered_grace_period, triggered, notified_users, notified_channels, acked, cancelled, resolved, expired
		OccurredAt string    `json:"occurred_at"`
		Urgency    string    `json:"urgency"` // high, low (notified_users)
		Users      []apiUser `json:"users"`   // notified_users, acked
	} `json:"events"`
	RelatedIncidents []struct {
		ID string `json:"id"`
	} `json:"related_incidents"`
	RelatedAlerts []struct {
		ID string `json:"id"`
	} `json:"related_alerts"`
}

// apiSchedule is a ScheduleV2: its timezone, and its rotations' users (to
// give a user a zone: incident.io users carry none).
type apiSchedule struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	Config   *struct {
		Rotations []struct {
			Users []apiUser `json:"users"`
		} `json:"rotations"`
	} `json:"config"`
}

// apiEntry is a ScheduleEntryV2.
type apiEntry struct {
	StartAt string   `json:"start_at"`
	EndAt   string   `json:"end_at"`
	User    *apiUser `json:"user"`
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

// filterDate is the created_at filter's date: the list endpoints take
// created_at[gte] and created_at[lte] as dates (the spec's examples:
// created_at[lte]=2021-01-02 is "created before or on
// 2021-01-02T00:00:00Z"). Windows are cut finer, so the date range asked
// covers the window and the items are filtered by their created_at.
func filterDate(t time.Time) string { return t.UTC().Format("2006-01-02") }

// parseTime reads an API date-time (RFC 3339, "2021-08-17T13:28:57.801578Z").
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// retryAfterBody reads a 429's body as incident.io writes it
// ({"type": "too_many_requests", "rate_limit": {"retry_after":
// "2025-04-17T11:17:18Z", …}, …}: the API reference, "Rate Limits"): the
// wait until retry_after.
func retryAfterBody(body []byte, now time.Time) (time.Duration, bool) {
	var v struct {
		RateLimit *struct {
			RetryAfter string `json:"retry_after"`
		} `json:"rate_limit"`
	}
	if json.Unmarshal(body, &v) != nil || v.RateLimit == nil || v.RateLimit.RetryAfter == "" {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, v.RateLimit.RetryAfter)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
