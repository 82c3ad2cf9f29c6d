package prometheus

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pagerlens/pagerlens/internal/server"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// /metrics behind exporter-toolkit's web config: TLS and basic auth.
func TestMetricsTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	pki := testkit.NewPKI(t)
	certFile, keyFile, pool := pki.ServerCertFile, pki.ServerKeyFile, pki.Pool
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n",
		certFile, keyFile, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New("127.0.0.1:0", webCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg.SetSnapshot(goldenSnapshot())
	srv.Handle("GET /metrics", reg.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + srv.Addr() + "/metrics"
	tests := []struct {
		name       string
		user, pass string
		url        string
		wantStatus int
	}{
		{"no credentials", "", "", url, http.StatusUnauthorized},
		{"wrong password", "prometheus", "nope", url, http.StatusUnauthorized},
		{"unknown user", "root", "s3cret", url, http.StatusUnauthorized},
		{"valid credentials", "prometheus", "s3cret", url, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp *http.Response
			var err error
			// The server starts in its goroutine; retry briefly on refused
			// connections.
			for range 50 {
				req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
				if tt.user != "" {
					req.SetBasicAuth(tt.user, tt.pass)
				}
				if resp, err = client.Do(req); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %s, want %d", resp.Status, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK && !strings.Contains(string(body), `pagerlens_incident_ack_seconds_sum{service="checkout-api",severity="SEV1",team="payments",window="30d"} 240`) {
				t.Errorf("body lacks the MTTA series:\n%.500s", body)
			}
		})
	}
	// Plain HTTP to a TLS listener is refused, not served.
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + srv.Addr() + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP served /metrics")
		}
	}
}
