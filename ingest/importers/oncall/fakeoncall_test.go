package oncall_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOnCall is an HTTP server that answers as Grafana OnCall's public API
// does, written from its source (grafana/oncall engine/apps/public_api,
// engine/common/api_helpers) and its API reference
// (docs/sources/oncall-api-reference):
//
//   - Authorization: the API key itself; anything else is a 403
//     {"detail": "Invalid token."} (the public API's authenticators define
//     no WWW-Authenticate challenge, so Django REST framework answers 403);
//   - paths with or without a trailing slash (OptionalSlashRouter);
//   - page-number pagination (PathPrefixedPagePagination): perpage (not
//     capped, as OnCall's paginate_queryset reads it) and page (a page
//     past the last answers the last; not a number, or below 1, is the
//     first); {count, next, previous, results, current_page_number,
//     page_size, total_pages}; next and previous absolute URLs built from
//     baseURL, the engine's BASE_URL, which is not this server's address
//     (create_engine_url);
//   - /alert_groups newest first (order_by("-started_at")), started_at
//     "{start}_{end}" in %Y-%m-%dT%H:%M:%S, both ends inclusive, else 400
//     {"detail": "Invalid range value"};
//   - /alerts?alert_group_id= newest first (order_by("-id"));
//   - /schedules/<id>/final_shifts?start_date&end_date: "%Y-%m-%dT%H:%M" or
//     "%Y-%m-%d" only, at most 365 days, the final shifts overlapping the
//     period, cut to it, in Django REST framework's JSON (times to the
//     millisecond, +00:00 written Z);
//   - a scripted answer per path prefix (429 with Retry-After and
//     RateLimit-Reset as OnCall's throttle sends them, 503, …) first.
type fakeOnCall struct {
	t       testing.TB
	token   string
	baseURL string // the engine's BASE_URL, for next/previous

	users, teams, integrations, schedules []obj
	groups                                []obj            // alert groups, any order
	alerts                                map[string][]obj // by group id, oldest first
	shifts                                map[string][]obj // by schedule id: user_pk, user_email, user_username, start, end (time.Time)

	mu       sync.Mutex
	script   map[string][]scripted
	requests []string
	hosts    []string            // Host of each request
	hook     func(*http.Request) // runs before each answer
}

type obj = map[string]any

type scripted struct {
	code    int
	headers map[string]string
	body    string
}

func (f *fakeOnCall) start() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeOnCall) serve(w http.ResponseWriter, r *http.Request) {
	if f.hook != nil {
		f.hook(r)
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	f.mu.Lock()
	f.requests = append(f.requests, path+"?"+r.URL.RawQuery)
	f.hosts = append(f.hosts, r.Host)
	var sc *scripted
	for prefix, answers := range f.script {
		if strings.HasPrefix(path, prefix) && len(answers) > 0 {
			sc = &answers[0]
			f.script[prefix] = answers[1:]
			break
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if sc != nil {
		for k, v := range sc.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(sc.code)
		fmt.Fprint(w, sc.body)
		return
	}
	if r.Header.Get("Authorization") != f.token {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"detail": "Invalid token."}`)
		return
	}
	q := r.URL.Query()
	parts := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	switch {
	case path == "/api/v1/users":
		f.page(w, r, 100, f.users)
	case path == "/api/v1/teams":
		f.page(w, r, 50, f.teams)
	case path == "/api/v1/integrations":
		f.page(w, r, 50, f.integrations)
	case path == "/api/v1/schedules":
		f.page(w, r, 50, f.schedules)
	case path == "/api/v1/alert_groups":
		var lo, hi time.Time
		if v := q.Get("started_at"); v != "" {
			ends := strings.Split(v, "_")
			var err1, err2 error
			if len(ends) == 2 {
				lo, err1 = time.Parse("2006-01-02T15:04:05", ends[0])
				hi, err2 = time.Parse("2006-01-02T15:04:05", ends[1])
			}
			if len(ends) != 2 || err1 != nil || err2 != nil || lo.After(hi) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"detail": "Invalid range value"}`)
				return
			}
		}
		var out []obj
		for _, g := range f.groups {
			if s, ok := g["created_at"].(string); ok && !lo.IsZero() {
				if at := mustTime(s); at.Before(lo) || at.After(hi) {
					continue
				}
			}
			out = append(out, f.enrich(g))
		}
		slices.SortStableFunc(out, func(a, b obj) int { return strings.Compare(fmt.Sprint(b["created_at"]), fmt.Sprint(a["created_at"])) })
		f.page(w, r, 50, out)
	case len(parts) == 2 && parts[0] == "alert_groups":
		for _, g := range f.groups {
			if g["id"] == parts[1] {
				writeJSON(w, f.enrich(g))
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"detail": "Not found."}`)
	case path == "/api/v1/alerts":
		as := slices.Clone(f.alerts[q.Get("alert_group_id")])
		slices.Reverse(as) // newest first
		f.page(w, r, 50, as)
	case len(parts) == 3 && parts[0] == "schedules" && parts[2] == "final_shifts":
		if !slices.ContainsFunc(f.schedules, func(s obj) bool { return s["id"] == parts[1] }) {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"detail": "Not found."}`)
			return
		}
		start, ok1 := shiftDate(q.Get("start_date"))
		end, ok2 := shiftDate(q.Get("end_date"))
		switch {
		case !ok1 || !ok2:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"start_date": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm, YYYY-MM-DD."]}`)
			return
		case start.After(end):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"non_field_errors": ["start_date must be less than or equal to end_date"]}`)
			return
		case end.Sub(start) > 365*24*time.Hour:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"non_field_errors": ["The difference between start_date and end_date must be less than one year (365 days)"]}`)
			return
		}
		results := []obj{}
		for _, s := range f.shifts[parts[1]] {
			ss, se := s["start"].(time.Time), s["end"].(time.Time)
			if !se.After(start) || !ss.Before(end) {
				continue
			}
			results = append(results, obj{"user_pk": s["user_pk"], "user_email": s["user_email"], "user_username": s["user_username"],
				"shift_start": drfTime(latestT(ss, start)), "shift_end": drfTime(earliestT(se, end))})
		}
		writeJSON(w, obj{"count": len(results), "next": nil, "previous": nil, "results": results,
			"current_page_number": 1, "page_size": 50, "total_pages": 1})
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"detail": "Not found."}`)
	}
}

// enrich adds last_alert and alerts_count as AlertGroupEnrichingMixin does.
func (f *fakeOnCall) enrich(g obj) obj {
	c := obj{}
	for k, v := range g {
		c[k] = v
	}
	id, _ := g["id"].(string)
	if as := f.alerts[id]; len(as) > 0 {
		c["alerts_count"] = len(as)
		c["last_alert"] = as[len(as)-1]
	}
	return c
}

// page answers one page as PathPrefixedPagePagination does.
func (f *fakeOnCall) page(w http.ResponseWriter, r *http.Request, size int, items []obj) {
	q := r.URL.Query()
	if v, err := strconv.Atoi(q.Get("perpage")); err == nil && v >= 1 {
		size = v
	}
	pages := max(int(math.Ceil(float64(len(items))/float64(size))), 1)
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, pages)
	lo, hi := (n-1)*size, min(n*size, len(items))
	results := []obj{}
	if lo < len(items) {
		results = items[lo:hi]
	}
	link := func(p int) any {
		if p < 1 || p > pages {
			return nil
		}
		lq := url.Values{}
		for k, v := range q {
			lq[k] = v
		}
		lq.Set("page", strconv.Itoa(p))
		return f.baseURL + r.URL.Path + "?" + lq.Encode()
	}
	writeJSON(w, obj{"count": len(items), "next": link(n + 1), "previous": link(n - 1), "results": results,
		"current_page_number": n, "page_size": min(size, 100), "total_pages": pages})
}

func shiftDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// drfTime is a datetime as Django REST framework's JSON encoder writes it:
// isoformat, microseconds (if any) cut to milliseconds, +00:00 as Z.
func drfTime(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.UTC().Format("2006-01-02T15:04:05Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func latestT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earliestT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Write(b)
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func (f *fakeOnCall) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}
