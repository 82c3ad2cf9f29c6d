package pagerduty_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePD is an HTTP server that answers as PagerDuty's REST API reference
// describes (PagerDuty/api-schema reference/REST/openapiv3.json and the
// developer docs' "Pagination", "Rate Limits", "Authentication"):
//
//   - Authorization "Token token=<token>", else 401 with an error object;
//   - classic pagination: limit (at most 100), offset, more, and total when
//     total=true; offset+limit past 10000 is a 400; the server answers at
//     most pageMax items whatever the limit asked (short pages);
//   - /incidents filtered by created_at in [since, until] (the docs do not
//     say whether the bounds are inclusive: both are, here) and team_ids[];
//   - /incidents/{id}/log_entries newest first, filtered by since/until;
//   - /oncalls overlapping [since, until], their start and end cut to it
//     (the docs do not say they are not), with include[]=schedules the
//     schedule object with its teams;
//   - a scripted answer per path prefix (429 with Retry-After, 503, …)
//     before the real one.
type fakePD struct {
	t         testing.TB
	token     string
	pageMax   int
	incidents []obj
	logs      map[string][]obj // by incident id
	oncalls   []obj
	users     []obj
	schedules map[string]obj // by id, for include[]=schedules

	mu       sync.Mutex
	script   map[string][]scripted // path prefix → answers to give first
	requests []string
	// hook, if set, runs before each answer (the crash test blocks in it).
	hook func(r *http.Request)
}

type obj = map[string]any

type scripted struct {
	code    int
	headers map[string]string
	body    string
}

func (f *fakePD) start() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakePD) serve(w http.ResponseWriter, r *http.Request) {
	if f.hook != nil {
		f.hook(r)
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Path+"?"+r.URL.RawQuery)
	var sc *scripted
	for prefix, answers := range f.script {
		if strings.HasPrefix(r.URL.Path, prefix) && len(answers) > 0 {
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
	if r.Header.Get("Authorization") != "Token token="+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Unauthorized","code":2006}}`)
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/vnd.pagerduty+json;version=2") {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"Accept header must ask for version=2","code":2001}}`)
		return
	}
	q := r.URL.Query()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/users":
		f.page(w, q, "users", f.users)
	case len(parts) == 2 && parts[0] == "users":
		for _, u := range f.users {
			if u["id"] == parts[1] {
				writeJSON(w, obj{"user": u})
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"message":"Not Found","code":2100}}`)
	case r.URL.Path == "/incidents":
		since, until := f.times(q)
		teams := q["team_ids[]"]
		var out []obj
		for _, inc := range f.incidents {
			// An item of the wrong shape (the bad-input test) is listed always.
			if s, ok := inc["created_at"].(string); ok {
				if at := mustTime(s); at.Before(since) || at.After(until) {
					continue
				}
			}
			if ts, ok := inc["teams"].([]obj); ok && len(teams) > 0 && !slices.ContainsFunc(ts, func(t obj) bool { return slices.Contains(teams, t["id"].(string)) }) {
				continue
			}
			out = append(out, inc)
		}
		f.page(w, q, "incidents", out)
	case len(parts) == 2 && parts[0] == "incidents":
		for _, inc := range f.incidents {
			if inc["id"] == parts[1] {
				writeJSON(w, obj{"incident": inc})
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
	case len(parts) == 3 && parts[0] == "incidents" && parts[2] == "log_entries":
		since, until := f.times(q)
		var out []obj
		for _, le := range f.logs[parts[1]] {
			if at, err := time.Parse(time.RFC3339, fmt.Sprint(le["created_at"])); err == nil && (at.Before(since) || at.After(until)) {
				continue
			}
			out = append(out, le)
		}
		// newest first
		slices.SortStableFunc(out, func(a, b obj) int { return strings.Compare(fmt.Sprint(b["created_at"]), fmt.Sprint(a["created_at"])) })
		f.page(w, q, "log_entries", out)
	case r.URL.Path == "/oncalls":
		since, until := f.times(q)
		var out []obj
		for _, oc := range f.oncalls {
			sch, ok := oc["schedule"].(obj)
			if !ok { // the bad-input test's item: listed always, as it is
				out = append(out, oc)
				continue
			}
			s, e := mustTime(oc["start"].(string)), until.Add(time.Hour)
			if oc["end"] != nil {
				e = mustTime(oc["end"].(string))
			}
			if !s.Before(until) || !e.After(since) {
				continue
			}
			c := obj{}
			for k, v := range oc {
				c[k] = v
			}
			if s.Before(since) {
				c["start"] = since.Format(time.RFC3339)
			}
			if e.After(until) {
				c["end"] = until.Format(time.RFC3339)
			}
			if slices.Contains(q["include[]"], "schedules") {
				c["schedule"] = f.schedules[sch["id"].(string)]
			}
			out = append(out, c)
		}
		f.page(w, q, "oncalls", out)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"message":"Not Found","code":2100}}`)
	}
}

func (f *fakePD) times(q map[string][]string) (time.Time, time.Time) {
	since, until := time.Unix(0, 0).UTC(), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if v := firstOf(q, "since"); v != "" {
		since = mustTime(v)
	}
	if v := firstOf(q, "until"); v != "" {
		until = mustTime(v)
	}
	return since, until
}

func firstOf(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// page answers one page of items as classic pagination does.
func (f *fakePD) page(w http.ResponseWriter, q map[string][]string, key string, items []obj) {
	limit, offset := 25, 0
	if v := firstOf(q, "limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := firstOf(q, "offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	if limit > 100 {
		limit = 100
	}
	if offset+limit > 10000 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"Offset must be less than 10000","code":2001}}`)
		return
	}
	n := min(limit, f.pageMax, max(len(items)-offset, 0))
	page := []obj{}
	if offset < len(items) {
		page = items[offset : offset+n]
	}
	body := obj{key: page, "limit": limit, "offset": offset, "more": offset+n < len(items), "total": nil}
	if firstOf(q, "total") == "true" {
		body["total"] = len(items)
	}
	writeJSON(w, body)
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

func (f *fakePD) count(prefix string) int {
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
