package incidentio_test

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

// fakeIIO is an HTTP server that answers as incident.io's REST API does,
// written from incident.io's OpenAPI spec (openapi3.json in
// incident-io/sdk-go: the API reference's text, paths and schemas):
//
//   - Authorization: Bearer <key>; anything else is a 401
//     {"type": "authentication_error", "status": 401, "request_id", "errors":
//     [{"code", "message"}]} (the reference's "Errors");
//   - cursor pagination: page_size (each list's maximum, above it a 422
//     validation_error) and after (the last item's id of the page before);
//     {<key>: [...], "pagination_meta": {"after", "page_size"}}, after
//     absent on the last page;
//   - /v2/incidents: newest first (sort_by default created_at_newest_first);
//     created_at[gte] and created_at[lte] take a date, lte=D meaning at or
//     before D 00:00:00Z (the reference's example); test and tutorial
//     incidents are left out unless mode[one_of] asks for them;
//     total_record_count in pagination_meta;
//   - /v2/incidents/{id}, /v2/escalations/{id}: {"incident"|"escalation":
//     {...}}, else 404 {"type": "not_found", …};
//   - /v2/incident_updates?incident_id=, /v2/escalations (page_size 1..50,
//     created_at as incidents), /v2/schedules;
//   - /v2/schedule_entries?schedule_id&entry_window_start&entry_window_end:
//     the final entries overlapping the window, two a page; a next page is
//     pagination_meta.after, an opaque cursor passed back as
//     entry_window_start, plus after_url;
//   - a scripted answer per path prefix (a 429 with incident.io's body
//     {"type": "too_many_requests", "rate_limit": {"retry_after": RFC 3339},
//     …}, with or without Retry-After; 503; a malformed page) first.
type fakeIIO struct {
	t     testing.TB
	token string

	incidents   []obj            // IncidentV2
	updates     map[string][]obj // by incident id: IncidentUpdateV2
	escalations []obj            // EscalationV2
	schedules   []obj            // ScheduleV2
	entries     map[string][]obj // by schedule id: ScheduleEntryV2 (start_at, end_at as strings)

	mu       sync.Mutex
	script   map[string][]scripted
	requests []string
	hook     func(*http.Request) // runs before each answer
}

type obj = map[string]any

type scripted struct {
	code    int
	headers map[string]string
	body    string
}

func (f *fakeIIO) start() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeIIO) count(prefix string) int {
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

func apiError(w http.ResponseWriter, code int, typ, errCode, msg string) {
	w.WriteHeader(code)
	b, _ := json.Marshal(obj{"type": typ, "status": code, "request_id": "8e3cc412-b49d-4957-9073-2c19d2c61804",
		"errors": []obj{{"code": errCode, "message": msg}}})
	w.Write(b)
}

func (f *fakeIIO) serve(w http.ResponseWriter, r *http.Request) {
	if f.hook != nil {
		f.hook(r)
	}
	path := r.URL.Path
	f.mu.Lock()
	f.requests = append(f.requests, path+"?"+r.URL.RawQuery)
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
	auth := r.Header.Get("Authorization")
	if auth == "" {
		apiError(w, 401, "authentication_error", "missing_authorization_material", "No authorization material provided in request")
		return
	}
	if auth != "Bearer "+f.token {
		apiError(w, 401, "authentication_error", "invalid_authorization_material", "The API key provided is not valid")
		return
	}
	q := r.URL.Query()
	switch {
	case path == "/v2/incidents":
		modes := q["mode[one_of]"]
		if len(modes) == 0 {
			modes = []string{"standard", "retrospective"}
		}
		var items []obj
		for _, inc := range f.incidents {
			mode, _ := inc["mode"].(string)
			if (mode == "" || slices.Contains(modes, mode)) && f.createdIn(w, q, inc) {
				items = append(items, inc)
			}
		}
		slices.SortStableFunc(items, func(a, b obj) int { return strings.Compare(fmt.Sprint(b["created_at"]), fmt.Sprint(a["created_at"])) })
		f.page(w, q, "incidents", 250, items, true)
	case strings.HasPrefix(path, "/v2/incidents/"):
		f.one(w, "incident", strings.TrimPrefix(path, "/v2/incidents/"), f.incidents)
	case path == "/v2/incident_updates":
		items := f.updates[q.Get("incident_id")]
		if q.Get("incident_id") == "" {
			for _, u := range f.updates {
				items = append(items, u...)
			}
		}
		f.page(w, q, "incident_updates", 250, items, false)
	case path == "/v2/escalations":
		var items []obj
		for _, e := range f.escalations {
			if f.createdIn(w, q, e) {
				items = append(items, e)
			}
		}
		f.page(w, q, "escalations", 50, items, false)
	case strings.HasPrefix(path, "/v2/escalations/"):
		f.one(w, "escalation", strings.TrimPrefix(path, "/v2/escalations/"), f.escalations)
	case path == "/v2/schedules":
		f.page(w, q, "schedules", 10000, f.schedules, true)
	case path == "/v2/schedule_entries":
		f.scheduleEntries(w, q)
	default:
		apiError(w, 404, "not_found", "not_found", "Not found")
	}
}

// createdIn applies created_at[gte] and created_at[lte] (dates: midnight UTC).
func (f *fakeIIO) createdIn(w http.ResponseWriter, q map[string][]string, item obj) bool {
	s, _ := item["created_at"].(string)
	created, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return true // a malformed item is listed as it is
	}
	for op, cmp := range map[string]func(t, d time.Time) bool{
		"gte": func(t, d time.Time) bool { return !t.Before(d) },
		"lte": func(t, d time.Time) bool { return !t.After(d) },
	} {
		if v := q["created_at["+op+"]"]; len(v) > 0 {
			d, err := time.Parse("2006-01-02", v[0])
			if err != nil {
				f.t.Errorf("created_at[%s]=%q is not a date", op, v[0])
				return false
			}
			if !cmp(created, d) {
				return false
			}
		}
	}
	return true
}

func (f *fakeIIO) page(w http.ResponseWriter, q map[string][]string, key string, maxSize int, items []obj, total bool) {
	size := 25
	if v := first(q["page_size"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSize {
			apiError(w, 422, "validation_error", "invalid_value", fmt.Sprintf("page_size must be between 1 and %d", maxSize))
			return
		}
		size = n
	}
	start := 0
	if after := first(q["after"]); after != "" {
		start = -1
		for i, it := range items {
			if it["id"] == after {
				start = i + 1
			}
		}
		if start < 0 {
			apiError(w, 422, "validation_error", "invalid_value", "after does not name a record")
			return
		}
	}
	end := min(start+size, len(items))
	pageItems := append([]obj{}, items[start:end]...)
	meta := obj{"page_size": size}
	if end < len(items) {
		meta["after"] = items[end-1]["id"]
	}
	if total {
		meta["total_record_count"] = len(items)
	}
	b, _ := json.Marshal(obj{key: pageItems, "pagination_meta": meta})
	w.Write(b)
}

func (f *fakeIIO) one(w http.ResponseWriter, key, id string, items []obj) {
	for _, it := range items {
		if it["id"] == id {
			b, _ := json.Marshal(obj{key: it})
			w.Write(b)
			return
		}
	}
	apiError(w, 404, "not_found", "not_found", "Not found")
}

// scheduleEntries answers the final entries overlapping the window, two a
// page, with an opaque cursor.
func (f *fakeIIO) scheduleEntries(w http.ResponseWriter, q map[string][]string) {
	id := first(q["schedule_id"])
	if id == "" {
		apiError(w, 422, "validation_error", "missing_field", "schedule_id is required")
		return
	}
	end, err := time.Parse(time.RFC3339, first(q["entry_window_end"]))
	if err != nil {
		apiError(w, 422, "validation_error", "invalid_value", "entry_window_end is not a date-time")
		return
	}
	startArg, skip := first(q["entry_window_start"]), 0
	var start time.Time
	if n, ok := strings.CutPrefix(startArg, "opaque-cursor."); ok {
		parts := strings.SplitN(n, ".", 2)
		skip, _ = strconv.Atoi(parts[0])
		start, _ = time.Parse(time.RFC3339, parts[1])
	} else if start, err = time.Parse(time.RFC3339, startArg); err != nil {
		apiError(w, 422, "validation_error", "invalid_value", "entry_window_start is not a date-time")
		return
	}
	var overlap []obj
	for _, e := range f.entries[id] {
		s, err1 := time.Parse(time.RFC3339Nano, fmt.Sprint(e["start_at"]))
		en, err2 := time.Parse(time.RFC3339Nano, fmt.Sprint(e["end_at"]))
		if err1 != nil || err2 != nil || (s.Before(end) && en.After(start)) {
			overlap = append(overlap, e)
		}
	}
	if overlap == nil {
		overlap = []obj{} // a required array: [] when empty
	}
	pageEnd := min(skip+2, len(overlap))
	out := obj{"schedule_entries": obj{"final": overlap[min(skip, len(overlap)):pageEnd], "scheduled": []obj{}, "overrides": []obj{}}}
	if pageEnd < len(overlap) {
		after := fmt.Sprintf("opaque-cursor.%d.%s", pageEnd, start.Format(time.RFC3339))
		out["pagination_meta"] = obj{"after": after, "after_url": "https://api.incident.io/v2/schedule_entries?entry_window_start=" + after}
	}
	b, _ := json.Marshal(out)
	w.Write(b)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
