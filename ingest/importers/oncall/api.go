package oncall

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

// api reads Grafana OnCall's public API (/api/v1, docs/sources/
// oncall-api-reference in grafana/oncall) with plain net/http over the
// retrying transport: OnCall publishes no Go client. Each list item is kept
// raw and decoded on its own, so that one item of an unexpected shape is
// reported by its id and the rest of its page is read.
type api struct {
	hc        *http.Client
	base      string // the API URL without a trailing slash, e.g. https://oncall.example.com
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

// errNotFound is a 404: an alert group deleted since it was listed, a
// schedule deleted since the schedules were read.
var errNotFound = errors.New("not found")

// get makes one authenticated GET of path (under the API URL) and returns
// the body of a 2xx answer. OnCall authenticates with the API key itself
// as the Authorization header ("Authorization: <api_key>", API reference,
// "Authentication"); a wrong key is answered 403 {"detail": "Invalid
// token."} (Django REST framework: the public API's authenticators,
// engine/apps/auth_token/auth.py, define no WWW-Authenticate challenge, so
// a failed authentication is a 403, not a 401). Either names the token
// file; a 404 is errNotFound; other statuses are *importers.StatusError.
func (a *api) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("oncall: %w", err)
	}
	req.Header.Set("Authorization", a.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pagerlens")
	resp, err := a.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("oncall: GET %s: %w", path, err)
	}
	if err := importers.CheckStatus(resp); err != nil {
		if errors.Is(err, importers.ErrUnauthorized) {
			return nil, fmt.Errorf("oncall: the API token in %s was refused: %w; check that the file holds a Grafana OnCall API key (OnCall → Settings → API keys) of a user allowed to read alert groups, users and schedules", a.tokenFile, err)
		}
		var se *importers.StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			return nil, fmt.Errorf("oncall: GET %s: %w", path, errNotFound)
		}
		return nil, fmt.Errorf("oncall: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("oncall: GET %s: read body: %w", path, err)
	}
	if int64(len(b)) > a.maxBody {
		return nil, &badPage{path: path, raw: b[:0], reason: event.ReasonTooLarge, msg: fmt.Sprintf("answer larger than %d bytes", a.maxBody)}
	}
	return b, nil
}

// list reads every item of a paginated list. OnCall's lists are page-number
// pages (API reference, "Pagination": count, next, previous, results; the
// page size may vary): {"count", "next", "previous", "results",
// "current_page_number", "page_size", "total_pages"}, where next is an
// absolute URL or null on the last page (common/api_helpers/paginators.py,
// PathPrefixedPagePagination). The next URL is built from OnCall's own
// BASE_URL setting (create_engine_url), which need not be the address
// pagerlens reaches it by (a self-hosted engine behind a proxy), and the
// token must go nowhere but --api-url: so its query (page and the filters)
// is asked of this list's own path. perpage asks the page size
// (page_size_query_param; 100 is the paginators' max_page_size).
func (a *api) list(ctx context.Context, path string, q url.Values) ([]json.RawMessage, error) {
	q = clone(q)
	if a.pageSize > 0 {
		q.Set("perpage", strconv.Itoa(a.pageSize))
	}
	seen := map[string]bool{q.Encode(): true}
	var out []json.RawMessage
	for {
		b, err := a.get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		items, next, err := page(path, b)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if a.onPage != nil {
			a.onPage(len(items))
		}
		if next == "" {
			return out, nil
		}
		nu, err := url.Parse(next)
		if err != nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: fmt.Sprintf("next %q is not a URL", next)}
		}
		q = nu.Query()
		if seen[q.Encode()] {
			// OnCall answers a page past the last with the last page
			// (get_page), whose next is null; a next that repeats a page
			// would never end.
			return nil, &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: fmt.Sprintf("next %q asks for a page already read", next)}
		}
		seen[q.Encode()] = true
	}
}

// page reads one page: its items and its next URL ("" for none).
func page(path string, b []byte) ([]json.RawMessage, string, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, "", &badPage{path: path, raw: b, reason: event.ReasonInvalidJSON, msg: "not a JSON object: " + err.Error()}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(env["results"], &items); err != nil || env["results"] == nil {
		return nil, "", &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: `"results" is not an array of items`}
	}
	var next *string
	if raw, ok := env["next"]; ok {
		if err := json.Unmarshal(raw, &next); err != nil {
			return nil, "", &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: `"next" is not a URL or null`}
		}
	}
	if next == nil || *next == "" {
		return items, "", nil
	}
	if len(items) == 0 {
		return nil, "", &badPage{path: path, raw: b, reason: event.ReasonBadValue, msg: `"next" is set on an empty page`}
	}
	return items, *next, nil
}

func clone(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// alertGroup reads one alert group (GET /api/v1/alert_groups/<id>).
func (a *api) alertGroup(ctx context.Context, id string) (json.RawMessage, error) {
	b, err := a.get(ctx, "/api/v1/alert_groups/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) || len(b) == 0 || b[0] != '{' {
		return nil, &badPage{path: "/api/v1/alert_groups/" + id, raw: b, reason: event.ReasonWrongType, msg: "not an alert group object"}
	}
	return b, nil
}

// firstAlert reads the payload of a group's first alert, the one OnCall's
// webhooks send as alert_payload (engine/apps/webhooks/utils.py,
// serialize_event: alert_group.alerts.first(), by primary key). The alerts
// list is newest first (order_by("-id"), engine/apps/public_api/views/
// alerts.py), so with one alert a page the first alert is the last page:
// page n of a group of n alerts, or, if alerts came since, the page that
// total_pages names. A page past the last is answered with the last
// (get_page), so a count that shrank is harmless too.
func (a *api) firstAlert(ctx context.Context, groupID string, n int) (json.RawMessage, error) {
	path := "/api/v1/alerts/"
	q := url.Values{"alert_group_id": {groupID}, "perpage": {"1"}, "page": {strconv.Itoa(max(n, 1))}}
	for try := 0; ; try++ {
		b, err := a.get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		var p struct {
			Results []struct {
				Payload json.RawMessage `json:"payload"`
			} `json:"results"`
			Current int `json:"current_page_number"`
			Total   int `json:"total_pages"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, &badPage{path: path, raw: b, reason: event.ReasonWrongType, msg: "not a page of alerts: " + err.Error()}
		}
		if len(p.Results) == 0 {
			return nil, nil
		}
		// On the last page, or still alerts arriving after two tries: the
		// oldest alert seen.
		if p.Total <= p.Current || p.Current == 0 || try == 2 {
			return p.Results[len(p.Results)-1].Payload, nil
		}
		q.Set("page", strconv.Itoa(p.Total))
	}
}

// The item shapes read, from OnCall's public API serializers
// (engine/apps/public_api/serializers): only the fields pagerlens uses, so
// that a change elsewhere in an item does not make it unreadable.

// apiAlertGroup is an AlertGroupSerializer item.
type apiAlertGroup struct {
	ID             string          `json:"id"`
	IntegrationID  string          `json:"integration_id"`
	TeamID         *string         `json:"team_id"` // the integration's team
	AlertsCount    int             `json:"alerts_count"`
	State          string          `json:"state"` // firing, acknowledged, resolved, silenced
	CreatedAt      string          `json:"created_at"`
	ResolvedAt     *string         `json:"resolved_at"`
	ResolvedBy     *string         `json:"resolved_by"` // a user id, or null (resolved by the source, automatically, …)
	AcknowledgedAt *string         `json:"acknowledged_at"`
	AcknowledgedBy *string         `json:"acknowledged_by"`
	Labels         json.RawMessage `json:"labels"`
	Title          *string         `json:"title"`
	LastAlert      *struct {
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	} `json:"last_alert"`
}

// apiUser is a UserSerializer item; timezone may be null.
type apiUser struct {
	ID       string  `json:"id"`
	Username string  `json:"username"`
	Email    string  `json:"email"`
	Timezone *string `json:"timezone"`
}

// apiTeam is a TeamSerializer item.
type apiTeam struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// apiIntegration is an IntegrationSerializer item: name is the
// integration's verbal_name, type its integration type without the legacy_
// prefix.
type apiIntegration struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	TeamID *string `json:"team_id"`
}

// apiSchedule is a schedule (ScheduleBaseSerializer and its kinds).
type apiSchedule struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	TeamID *string `json:"team_id"`
}

// apiShift is an item of a schedule's final_shifts (engine/apps/
// public_api/views/schedules.py): one per user of each final shift, start
// and end cut to the period asked for.
type apiShift struct {
	UserPK       string `json:"user_pk"`
	UserEmail    string `json:"user_email"`
	UserUsername string `json:"user_username"`
	ShiftStart   string `json:"shift_start"`
	ShiftEnd     string `json:"shift_end"`
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

// filterTime is the started_at filter's format (DateRangeFilterMixin,
// common/api_helpers/filters.py: "%Y-%m-%dT%H:%M:%S", read as UTC, the
// engine's TIME_ZONE; both ends inclusive).
func filterTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// shiftDate is final_shifts' start_date/end_date format: it takes only
// "%Y-%m-%dT%H:%M" or "%Y-%m-%d" (FinalShiftQueryParamsSerializer).
func shiftDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") }

// parseTime reads an API date-time: Django REST framework's ISO 8601
// ("2020-05-19T12:37:01.430444Z"), or Python's isoformat with an offset.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
