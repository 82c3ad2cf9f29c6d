package main

import (
	"bytes"
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

	"github.com/pagerlens/pagerlens/internal/fixtures"
)

func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// export --name runs a config's job by hand; --deliver sends it to the
// job's targets (a loopback webhook and Slack stand-in); --dry-run prints
// the messages and neither sends nor keeps anything.
func TestExportNameDeliver(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string][]byte{}
	refuse := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			// 4xx is not retried: the test does not wait for backoffs.
			http.Error(w, "gone", http.StatusGone)
			return
		}
		bodies[r.URL.Path] = b
	}))
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.duckdb")
	if out, err := runRoot(t, "ingest", "-q", "--db", db, filepath.Join(fixtures.Dir(t, ""), "canonical", "incident-lifecycle.jsonl")); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	slackURL := filepath.Join(dir, "slack.url")
	if err := os.WriteFile(slackURL, []byte(srv.URL+"/slack-SECRET-PATH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reports := filepath.Join(dir, "reports")
	cfg := filepath.Join(dir, "pagerlens.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`exports:
  - name: weekly-handover
    schedule: "0 9 * * 1"
    what: handover
    window: 7d
    format: md
    dir: %s
    filename: "{name}-{date}.{ext}"
    deliver:
      - slack: {webhook_url_file: %s}
      - webhook: {url: %s/hook}
`, reports, slackURL, srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"export", "--config", cfg, "--db", db, "--name", "weekly-handover", "--now", "2026-03-09T09:00:00Z"}

	out, err := runRoot(t, append(base, "--dry-run")...)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if len(bodies) != 0 {
		t.Errorf("the dry run sent %d requests", len(bodies))
	}
	if _, err := os.Stat(reports); !os.IsNotExist(err) {
		t.Errorf("the dry run wrote into the job's dir (%v)", err)
	}
	for _, s := range []string{"--- deliver[0]: slack", `"type": "header"`, "On-call handover, 7d to 2026-03-09 09:00 UTC", "--- deliver[1]: webhook", "POST " + srv.URL + "/hook"} {
		if !strings.Contains(out, s) {
			t.Errorf("dry run output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "SECRET-PATH") {
		t.Errorf("the dry run printed the Slack webhook URL")
	}

	out, err = runRoot(t, append(base, "--deliver")...)
	if err != nil {
		t.Fatalf("deliver: %v\n%s", err, out)
	}
	want := filepath.Join(reports, "weekly-handover-2026-03-09.md")
	if !strings.Contains(out, want) {
		t.Errorf("output %q does not name %s", out, want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Error(err)
	}
	var digest struct {
		Window string            `json:"window"`
		Teams  []json.RawMessage `json:"teams"`
	}
	if err := json.Unmarshal(bodies["/hook"], &digest); err != nil || digest.Window != "7d" {
		t.Errorf("webhook body %s (%v): want the handover's JSON", bodies["/hook"], err)
	}
	if !bytes.Contains(bodies["/slack-SECRET-PATH"], []byte(`"blocks"`)) {
		t.Errorf("slack body %s", bodies["/slack-SECRET-PATH"])
	}

	// A delivery that fails exits 1 and keeps the file.
	mu.Lock()
	refuse = true
	mu.Unlock()
	os.Remove(want)
	_, err = runRoot(t, append(base, "--deliver")...)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "2 of 2 deliveries failed") {
		t.Errorf("err %v (exit %d), want exit 1 naming the failed deliveries", err, exitCode(err))
	}
	if err != nil && strings.Contains(err.Error(), "SECRET-PATH") {
		t.Errorf("the error names the Slack URL: %v", err)
	}
	if _, serr := os.Stat(want); serr != nil {
		t.Errorf("the file is gone after a failed delivery: %v", serr)
	}

	if _, err := runRoot(t, "export", "--config", cfg, "--db", db, "--name", "weekly-handovr"); err == nil || !strings.Contains(err.Error(), "did you mean weekly-handover?") {
		t.Errorf("unknown --name: %v", err)
	}
}
