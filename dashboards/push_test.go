package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "glsa_s3cret-token"

type storedDash struct {
	model   map[string]any
	folder  string
	version int64
}

// fakeGrafana implements the few endpoints Push uses, checking every request
// the way Grafana would, and records what was called.
type fakeGrafana struct {
	t          *testing.T
	mu         sync.Mutex
	folders    map[string]string // uid -> title
	dashboards map[string]*storedDash
	calls      []string
	// fail, when set, answers every request with this status.
	fail int
	// failFirst answers the first n requests with 503.
	failFirst int
}

func newFake(t *testing.T) (*fakeGrafana, *httptest.Server) {
	f := &fakeGrafana{t: t, folders: map[string]string{}, dashboards: map[string]*storedDash{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if f.failFirst > 0 {
		f.failFirst--
		reply(http.StatusServiceUnavailable, map[string]string{"message": "starting"})
		return
	}
	if f.fail != 0 {
		reply(f.fail, map[string]string{"message": http.StatusText(f.fail)})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		reply(http.StatusUnauthorized, map[string]string{"message": "invalid API key"})
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" {
		f.t.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/folders":
		out := []map[string]string{}
		for uid, title := range f.folders {
			out = append(out, map[string]string{"uid": uid, "title": title})
		}
		reply(http.StatusOK, out)
	case r.Method == http.MethodPost && r.URL.Path == "/api/folders":
		var in struct{ UID, Title string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Title == "" {
			reply(http.StatusBadRequest, map[string]string{"message": "bad folder"})
			return
		}
		if _, ok := f.folders[in.UID]; ok {
			reply(http.StatusConflict, map[string]string{"message": "folder exists"})
			return
		}
		f.folders[in.UID] = in.Title
		reply(http.StatusOK, map[string]any{"uid": in.UID, "title": in.Title, "id": len(f.folders)})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/dashboards/uid/"):
		d, ok := f.dashboards[strings.TrimPrefix(r.URL.Path, "/api/dashboards/uid/")]
		if !ok {
			reply(http.StatusNotFound, map[string]string{"message": "Dashboard not found"})
			return
		}
		m := map[string]any{}
		for k, v := range d.model {
			m[k] = v
		}
		m["id"] = 42
		m["version"] = d.version
		reply(http.StatusOK, map[string]any{"dashboard": m, "meta": map[string]any{"folderUid": d.folder, "url": "/d/" + m["uid"].(string)}})
	case r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db":
		var in struct {
			Dashboard map[string]any `json:"dashboard"`
			FolderUID string         `json:"folderUid"`
			Overwrite bool           `json:"overwrite"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			reply(http.StatusBadRequest, map[string]string{"message": err.Error()})
			return
		}
		uid, _ := in.Dashboard["uid"].(string)
		switch {
		case uid == "":
			f.t.Errorf("dashboard without uid")
		case in.Dashboard["id"] != nil:
			f.t.Errorf("%s: id sent (%v); upserts must go by uid", uid, in.Dashboard["id"])
		case !in.Overwrite:
			f.t.Errorf("%s: overwrite false", uid)
		case f.folders[in.FolderUID] == "":
			f.t.Errorf("%s: folder %q does not exist", uid, in.FolderUID)
		}
		d, ok := f.dashboards[uid]
		if !ok {
			d = &storedDash{}
			f.dashboards[uid] = d
		}
		d.model, d.folder = in.Dashboard, in.FolderUID
		d.version++
		reply(http.StatusOK, map[string]any{"status": "success", "uid": uid, "version": d.version, "url": "/d/" + uid})
	default:
		reply(http.StatusNotFound, map[string]string{"message": "Not found"})
	}
}

func (f *fakeGrafana) countCalls(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func client(srv *httptest.Server) Client {
	return Client{URL: srv.URL + "/", Token: testToken, HTTPClient: srv.Client(), Backoff: time.Millisecond}
}

func actions(rs []PushResult) map[Action]int {
	out := map[Action]int{}
	for _, r := range rs {
		out[r.Action]++
	}
	return out
}

func TestPushIdempotent(t *testing.T) {
	f, srv := newFake(t)
	ctx := context.Background()

	first, err := Push(ctx, client(srv), Options{})
	if err != nil {
		t.Fatalf("first push: %v", err)
	}
	if got := actions(first); got[Created] != len(golden) || len(first) != len(golden) {
		t.Fatalf("first push: %v", got)
	}
	if f.folders[FolderUID] != "Reliability" {
		t.Fatalf("folders after push: %v", f.folders)
	}
	posts := f.countCalls("POST ")

	second, err := Push(ctx, client(srv), Options{})
	if err != nil {
		t.Fatalf("second push: %v", err)
	}
	if got := actions(second); got[Unchanged] != len(golden) {
		t.Errorf("second push: %v, want %d unchanged", got, len(golden))
	}
	if n := f.countCalls("POST "); n != posts {
		t.Errorf("second push made %d POSTs", n-posts)
	}
	for uid, d := range f.dashboards {
		if d.version != 1 {
			t.Errorf("%s: version %d after two pushes, want 1", uid, d.version)
		}
	}

	// A changed dashboard is updated in place, under the same uid.
	third, err := Push(ctx, client(srv), Options{Aggregation: AggregationSum})
	if err != nil {
		t.Fatalf("third push: %v", err)
	}
	if got := actions(third); got[Updated] == 0 {
		t.Errorf("third push: %v, want updates", got)
	}
	if len(f.dashboards) != len(golden) || len(f.folders) != 1 {
		t.Errorf("%d dashboards, %d folders; want %d and 1", len(f.dashboards), len(f.folders), len(golden))
	}
}

// A folder titled "Reliability" made by hand (or by file provisioning) is
// reused rather than duplicated.
func TestPushReusesFolderByTitle(t *testing.T) {
	f, srv := newFake(t)
	f.folders["abc123"] = "Reliability"
	if _, err := Push(context.Background(), client(srv), Options{}); err != nil {
		t.Fatal(err)
	}
	if len(f.folders) != 1 {
		t.Errorf("folders %v", f.folders)
	}
	for uid, d := range f.dashboards {
		if d.folder != "abc123" {
			t.Errorf("%s in folder %q", uid, d.folder)
		}
	}
}

func TestPushErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		token    string
		want     error
		attempts int
	}{
		{"bad token", 0, "not-the-token", ErrUnauthorized, 1},
		{"401", http.StatusUnauthorized, testToken, ErrUnauthorized, 1},
		{"403", http.StatusForbidden, testToken, ErrForbidden, 1},
		{"404", http.StatusNotFound, testToken, ErrNotFound, 1},
		{"500 retried", http.StatusInternalServerError, testToken, ErrServer, 3},
		{"503 retried", http.StatusServiceUnavailable, testToken, ErrServer, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.fail = tt.status
			c := client(srv)
			c.Token = tt.token
			c.Retries = 2
			_, err := Push(context.Background(), c, Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error leaks the token: %v", err)
			}
			if n := len(f.calls); n != tt.attempts {
				t.Errorf("%d requests, want %d", n, tt.attempts)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Attempts != tt.attempts {
				t.Errorf("APIError %+v, want %d attempts", apiErr, tt.attempts)
			}
		})
	}
}

// A Grafana that is still starting (503 twice) is waited for.
func TestPushRetriesTransient(t *testing.T) {
	f, srv := newFake(t)
	f.failFirst = 2
	rs, err := Push(context.Background(), client(srv), Options{})
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(rs) != len(golden) {
		t.Errorf("%d results, want %d", len(rs), len(golden))
	}
}

func TestPushUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := Client{URL: url, Token: testToken, Retries: 1, Backoff: time.Millisecond}
	_, err := Push(context.Background(), c, Options{})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestPushContextCancel(t *testing.T) {
	f, srv := newFake(t)
	f.fail = http.StatusBadGateway
	c := client(srv)
	c.Retries = 100
	c.Backoff = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Push(ctx, c, Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("push ignored the context for %v", time.Since(start))
	}
}

func TestPushBadURL(t *testing.T) {
	for _, u := range []string{"", "grafana:3000", "ftp://x", "http://"} {
		if _, err := Push(context.Background(), Client{URL: u}, Options{}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
}
