package opsgenie_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOG is an HTTP server that answers as Opsgenie's REST API reference
// describes (opsgenie/opsgenie-oas paths/alert.yaml, schedule.yaml,
// user.yaml and their definitions; the API docs' "Response", "Rate
// Limiting" and sample answers; opsgenie-go-sdk-v2's client tests):
//
//   - Authorization "GenieKey <key>", else 401 with the standard error body
//     {message, took, requestId}; a key in readOnly answers 403;
//   - answers wrapped as {data, took, requestId}; lists (alerts, users)
//     paged by offset and limit (at most 100), with paging.next while there
//     is more; the server answers at most pageMax items whatever the limit
//     (short pages);
//   - /v2/alerts filtered by the search query "createdAt > N AND createdAt
//     < M" (epoch milliseconds), sorted by createdAt; list items lack
//     entity, description, details and actions, which GET /v2/alerts/{id}
//     has;
//   - /v2/alerts/{id}/recipients and /v2/schedules unpaged;
//   - /v2/schedules/{id}/timeline from date for interval intervalUnit
//     (days), periods cut to that range (the docs do not say they are not);
//   - a scripted answer per path prefix (429 with Opsgenie's rate-limit
//     headers, 503, …) before the real one.
type fakeOG struct {
	t         testing.TB
	key       string
	readOnly  string // a key answered 403 (no right to this)
	pageMax   int
	alerts    []obj
	recipient map[string][]obj // by alert id
	users     []obj
	schedules []obj
	periods   map[string][]obj // by schedule id: rotations

	mu       sync.Mutex
	script   map[string][]scripted // path prefix → answers to give first
	requests []string
	// hook, if set, runs before each answer.
	hook func(r *http.Request)
}

type obj = map[string]any

type scripted struct {
	code    int
	headers map[string]string
	body    string
}

func (f *fakeOG) start() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.t.Cleanup(srv.Close)
	return srv
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Write(b)
}

func fail(w http.ResponseWriter, code int, msg string) {
	w.WriteHeader(code)
	writeJSON(w, obj{"message": msg, "took": 0.002, "requestId": "req-fail"})
}

var queryRE = regexp.MustCompile(`^createdAt > (-?\d+) AND createdAt < (-?\d+)$`)

func (f *fakeOG) serve(w http.ResponseWriter, r *http.Request) {
	if f.hook != nil {
		f.hook(r)
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Path+"?"+r.URL.RawQuery)
	var sc *scripted
	for _, prefix := range slices.Sorted(maps.Keys(f.script)) {
		if answers := f.script[prefix]; strings.HasPrefix(r.URL.Path, prefix) && len(answers) > 0 {
			sc = &answers[0]
			f.script[prefix] = answers[1:]
			break
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req-1")
	if sc != nil {
		for k, v := range sc.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(sc.code)
		fmt.Fprint(w, sc.body)
		return
	}
	switch r.Header.Get("Authorization") {
	case "GenieKey " + f.key:
	case "GenieKey " + f.readOnly:
		fail(w, http.StatusForbidden, "You are not authorized for this request")
		return
	default:
		fail(w, http.StatusUnauthorized, "Could not authenticate")
		return
	}
	q := r.URL.Query()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/v2/users" || r.URL.Path == "/v2/users/":
		f.page(w, r, f.users)
	case r.URL.Path == "/v2/alerts":
		m := queryRE.FindStringSubmatch(q.Get("query"))
		if m == nil {
			fail(w, http.StatusUnprocessableEntity, "Invalid query: "+q.Get("query"))
			return
		}
		after, _ := strconv.ParseInt(m[1], 10, 64)
		before, _ := strconv.ParseInt(m[2], 10, 64)
		var out []obj
		for _, a := range f.alerts {
			s, ok := a["createdAt"].(string)
			if ok {
				ms := mustTime(s).UnixMilli()
				if ms <= after || ms >= before {
					continue
				}
			} // an item of the wrong shape (the bad-input test) is listed always
			item := maps.Clone(a)
			for _, k := range []string{"entity", "description", "details", "actions"} {
				delete(item, k)
			}
			out = append(out, item)
		}
		slices.SortStableFunc(out, func(a, b obj) int { return strings.Compare(fmt.Sprint(a["createdAt"]), fmt.Sprint(b["createdAt"])) })
		f.page(w, r, out)
	case len(parts) == 3 && parts[0] == "v2" && parts[1] == "alerts":
		for _, a := range f.alerts {
			if a["id"] == parts[2] {
				writeJSON(w, obj{"data": a, "took": 0.003, "requestId": "req-2"})
				return
			}
		}
		fail(w, http.StatusNotFound, "Alert does not exist")
	case len(parts) == 4 && parts[0] == "v2" && parts[1] == "alerts" && parts[3] == "recipients":
		writeJSON(w, obj{"data": orEmpty(f.recipient[parts[2]]), "took": 0.003, "requestId": "req-3"})
	case r.URL.Path == "/v2/schedules":
		writeJSON(w, obj{"data": orEmpty(f.schedules), "expandable": []string{"rotation"}, "took": 0.003, "requestId": "req-4"})
	case len(parts) == 4 && parts[0] == "v2" && parts[1] == "schedules" && parts[3] == "timeline":
		if q.Get("intervalUnit") != "days" {
			fail(w, http.StatusUnprocessableEntity, "this fake answers intervalUnit=days only")
			return
		}
		date, err := time.Parse(time.RFC3339Nano, q.Get("date"))
		n, err2 := strconv.Atoi(q.Get("interval"))
		if err != nil || err2 != nil {
			fail(w, http.StatusUnprocessableEntity, "bad date or interval")
			return
		}
		end := date.Add(time.Duration(n) * 24 * time.Hour)
		var rots []obj
		for _, rot := range f.periods[parts[2]] {
			var ps []obj
			for _, p := range rot["periods"].([]obj) {
				s, _ := p["startDate"].(string)
				e, _ := p["endDate"].(string)
				ps0, err1 := time.Parse(time.RFC3339Nano, s)
				pe0, err2 := time.Parse(time.RFC3339Nano, e)
				// a period of the wrong shape (the bad-input test) is listed always
				if err1 == nil && err2 == nil {
					if !pe0.After(date) || !ps0.Before(end) {
						continue
					}
					p = maps.Clone(p)
					if ps0.Before(date) {
						p["startDate"] = date.UTC().Format(time.RFC3339)
					}
					if pe0.After(end) {
						p["endDate"] = end.UTC().Format(time.RFC3339)
					}
				}
				ps = append(ps, p)
			}
			rots = append(rots, obj{"id": rot["id"], "name": rot["name"], "order": 1, "periods": orEmpty(ps)})
		}
		var sched obj
		for _, s := range f.schedules {
			if s["id"] == parts[2] {
				sched = s
			}
		}
		writeJSON(w, obj{"data": obj{"_parent": obj{"id": parts[2], "name": sched["name"], "enabled": true},
			"startDate": date.UTC().Format(time.RFC3339), "endDate": end.UTC().Format(time.RFC3339),
			"finalTimeline": obj{"rotations": orEmpty(rots)}}, "expandable": []string{"base", "forwarding", "override"},
			"took": 0.01, "requestId": "req-5"})
	default:
		fail(w, http.StatusNotFound, "Resource or handler not found")
	}
}

func orEmpty(v []obj) []obj {
	if v == nil {
		return []obj{}
	}
	return v
}

// page answers one page of items by offset and limit, with paging links
// (absolute URLs on the vendor's host, as Opsgenie gives them).
func (f *fakeOG) page(w http.ResponseWriter, r *http.Request, items []obj) {
	q := r.URL.Query()
	limit, offset := 20, 0
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := q.Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	if limit < 1 || limit > 100 || offset < 0 {
		fail(w, http.StatusUnprocessableEntity, "limit must be 1..100, offset >= 0")
		return
	}
	n := min(limit, f.pageMax)
	end := min(offset+n, len(items))
	var pageItems []obj
	if offset < len(items) {
		pageItems = items[offset:end]
	}
	link := func(off int) string {
		u := *r.URL
		qq := u.Query()
		qq.Set("offset", strconv.Itoa(off))
		u.RawQuery = qq.Encode()
		return "https://api.opsgenie.com" + u.Path + "?" + u.RawQuery
	}
	paging := obj{"first": link(0), "last": link(max(0, (len(items)-1)/limit*limit))}
	if end < len(items) {
		paging["next"] = link(end)
	}
	if offset > 0 {
		paging["prev"] = link(max(0, offset-limit))
	}
	writeJSON(w, obj{"data": orEmpty(pageItems), "paging": paging, "totalCount": len(items), "took": 0.01, "requestId": "req-6"})
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
