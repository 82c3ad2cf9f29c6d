package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/internal/config"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

// pdAPI answers the PagerDuty REST API calls the importer makes, in the
// shapes of PagerDuty's reference (classic pagination: the list, limit,
// offset, more; Token authentication, 401 otherwise), with one resolved
// incident: triggered 10:00, acknowledged by Ana 10:04, resolved 10:30.
type pdAPI struct {
	mu       sync.Mutex
	token    string
	requests int
}

func (p *pdAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	tok := p.token
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Token token="+tok {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Unauthorized","code":2006}}`)
		return
	}
	ref := func(id, typ, summary string) map[string]any {
		return map[string]any{"id": id, "type": typ, "summary": summary}
	}
	ana := ref("PANA", "user_reference", "Ana Ruiz")
	svc := ref("PSVC", "service_reference", "checkout-api")
	day := time.Now().UTC().Add(-24 * time.Hour).Format("2006-01-02")
	at := func(hm string) string { return day + "T" + hm + ":00Z" }
	page := func(key string, items []map[string]any) {
		json.NewEncoder(w).Encode(map[string]any{key: items, "limit": 100, "offset": 0, "more": false, "total": len(items)})
	}
	switch path := strings.Trim(r.URL.Path, "/"); path {
	case "users":
		page("users", []map[string]any{{"id": "PANA", "type": "user", "name": "Ana Ruiz", "email": "ana@example.com", "time_zone": "Europe/Berlin"}})
	case "incidents":
		page("incidents", []map[string]any{{"id": "PINC1", "type": "incident", "title": "Checkout 5xx", "created_at": at("10:00"),
			"status": "resolved", "urgency": "high", "incident_key": "checkout-5xx", "service": svc,
			"escalation_policy": ref("PEP", "escalation_policy_reference", "Payments"),
			"teams":             []map[string]any{ref("PTM", "team_reference", "Payments")}, "priority": nil}})
	case "incidents/PINC1/log_entries":
		le := func(id, typ, hm string, agent map[string]any) map[string]any {
			return map[string]any{"id": id, "type": typ, "created_at": at(hm), "agent": agent, "incident": ref("PINC1", "incident_reference", "")}
		}
		page("log_entries", []map[string]any{le("R3", "resolve_log_entry", "10:30", ana), le("R2", "acknowledge_log_entry", "10:04", ana), le("R1", "trigger_log_entry", "10:00", svc)})
	case "oncalls":
		page("oncalls", nil)
	default:
		http.NotFound(w, r)
	}
}

// TestServePollsPagerDuty runs serve with only import.pagerduty configured
// (no Kafka, no webhooks): the first run imports the history, a restart
// resumes from the stored cursor and stores nothing again, and a rejected
// token is a counted failure that leaves serve ready.
func TestServePollsPagerDuty(t *testing.T) {
	api := &pdAPI{token: "pd-t0ken"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "pd.token")
	if err := os.WriteFile(tokenFile, []byte("pd-t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "p.duckdb")
	cfg.Listen = "127.0.0.1:0"
	cfg.Import.PagerDuty = &config.ImportSource{TokenFile: tokenFile, APIURL: srv.URL, Every: config.Duration(time.Hour), Since: "7d"}
	if err := cfg.Validate(""); err != nil {
		t.Fatal(err)
	}

	// scrapeUntil runs serve until the import run counter with outcome
	// reaches 1, and returns the /readyz status then.
	scrapeUntil := func(outcome string) int {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addr := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- runServe(ctx, cfg, &serveHooks{started: func(s served) { addr <- s.addr }}) }()
		var a string
		select {
		case a = <-addr:
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		}
		want := fmt.Sprintf("%s{outcome=%q,source=\"pagerduty\"}", mn.ImportRunsTotal, outcome)
		ready := 0
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get("http://" + a + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if testkit.ParseSeries(t, string(b))[want] == 1 {
					if r, err := http.Get("http://" + a + "/readyz"); err == nil {
						ready = r.StatusCode
						r.Body.Close()
					}
					if ready == http.StatusOK {
						break
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s = 1 and /readyz 200 within 30 s (readyz %d)", want, ready)
			}
			time.Sleep(100 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
		return ready
	}
	count := func() (events int64, cursor time.Time) {
		st, err := store.Open(context.Background(), cfg.DB, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.DB().QueryRow(`SELECT count(*) FROM events WHERE source = 'pagerduty'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		s, ok, err := st.ImportState(context.Background(), "pagerduty")
		if err != nil || !ok {
			t.Fatalf("import state: %v %v", ok, err)
		}
		return events, s.Cursor
	}

	scrapeUntil("success")
	// trigger, acknowledge, resolve.
	n1, c1 := count()
	if n1 != 3 {
		t.Fatalf("%d PagerDuty events after the first poll, want 3", n1)
	}
	scrapeUntil("success") // a restart: resumes from the cursor
	n2, c2 := count()
	if n2 != n1 || c2.Before(c1) {
		t.Fatalf("after a restart: %d events (want %d, nothing repeated), cursor %s → %s (want it kept or moved on)", n2, n1, c1, c2)
	}
	// The token is revoked: the run fails, counted; serve stays ready.
	api.mu.Lock()
	api.token = "rotated"
	api.mu.Unlock()
	if ready := scrapeUntil("failure"); ready != http.StatusOK {
		t.Fatalf("/readyz %d during a vendor auth failure, want 200", ready)
	}
}
