package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is written by the demo and read by the test meanwhile.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemo runs `pagerlens demo --duration 20s` and checks the summary, the
// report, the Grafana provisioning tree and a scrape of /metrics taken while
// it runs.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Demo(context.Background(), DemoOptions{Dir: dir, Listen: "127.0.0.1:0", Days: 30, Teams: 3,
			Seed: 7, Duration: 20 * time.Second, Speedup: 600, Out: out})
	}()

	urlRe := regexp.MustCompile(`metrics\s+(http://\S+/metrics)`)
	var metricsURL string
	deadline := time.Now().Add(60 * time.Second)
	for metricsURL == "" {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			metricsURL = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("demo ended before its summary: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no summary within 60 s:\n%s", out.String())
		}
	}
	// The first snapshot may still be computing: poll until /metrics has
	// the analytics families.
	var body string
	for i := 0; i < 100; i++ {
		resp, err := http.Get(metricsURL)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if strings.Contains(body, "pagerlens_incident_ack_seconds_count") {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, family := range []string{"pagerlens_incident_ack_seconds_count", "pagerlens_incidents_total", "pagerlens_interruptions",
		`pagerlens_ingest_messages_total{outcome="stored",topic="pagerlens-events"}`} {
		if !strings.Contains(body, family) {
			t.Errorf("/metrics lacks %s", family)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	summary := out.String()
	for _, want := range []string{"consumed ", "team", "MTTA", "MTTR", "noisiest alerts", "most interrupted:", "fatigue report", "stopped;"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	for _, f := range []string{"pagerlens.duckdb", "grafana/provisioning/dashboards/pagerlens.yaml",
		"grafana/provisioning/datasources/pagerlens.yaml", "grafana/dashboards/pagerlens-overview.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	reports, _ := filepath.Glob(filepath.Join(dir, "fatigue-report.*"))
	if len(reports) == 0 {
		t.Error("demo wrote no fatigue report")
	}
}

// TestDemoListenTaken: with --listen taken, demo fails with one line that
// says how to get past it, before it makes the store or produces history.
func TestDemoListenTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	dir := filepath.Join(t.TempDir(), "demo")
	err = Demo(context.Background(), DemoOptions{Dir: dir, Listen: addr, Days: 1, Teams: 1,
		Seed: 1, Duration: 30 * time.Second, Speedup: 60, Out: io.Discard})
	if err == nil {
		t.Fatal("demo ran on a taken port")
	}
	msg := err.Error()
	if want := "or run pagerlens demo --listen " + nextListen(addr); !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line containing %q", msg, want)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("demo made %s before finding the port taken (%v)", dir, err)
	}
}

func TestNextListen(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{":9464", ":9465"},
		{"127.0.0.1:9464", "127.0.0.1:9465"},
		{"[::1]:8080", "[::1]:8081"},
		{"localhost:http", ":9465"},
		{":65535", ":9465"},
		{"nonsense", ":9465"},
	} {
		if got := nextListen(tc.in); got != tc.want {
			t.Errorf("nextListen(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
