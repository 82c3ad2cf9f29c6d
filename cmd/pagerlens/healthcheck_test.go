package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/pagerlens/pagerlens/internal/server"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// startServer runs serve's HTTP server (internal/server) on loopback with
// an optional web config and a readiness check that fails.
func startServer(t *testing.T, webCfg string) string {
	t.Helper()
	srv, err := server.New("127.0.0.1:0", webCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddCheck("kafka", func() error { return errors.New("brokers unreachable") })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return srv.Addr()
}

func TestHealthcheck(t *testing.T) {
	dir := t.TempDir()
	pki := testkit.NewPKI(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  probe: %s\n",
		pki.ServerCertFile, pki.ServerKeyFile, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodPass := write("good.pass", "s3cret\n") // trailing newline stripped
	badPass := write("bad.pass", "nope")
	notPEM := write("ca.txt", "not a certificate")

	plain := "http://" + startServer(t, "")
	secured := "https://" + startServer(t, webCfg)
	// A port nothing listens on: bound, then closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout when 0, in the error otherwise
	}{
		{"healthz answers 200", []string{"--url", plain + "/healthz"}, 0, "200 OK ok"},
		{"readyz 503 names the failed check", []string{"--url", plain + "/readyz"}, 1, "503 Service Unavailable: kafka: brokers unreachable"},
		{"nothing listening", []string{"--url", closed + "/healthz"}, 1, "connection refused"},
		{"not an http URL", []string{"--url", "127.0.0.1:9464/healthz"}, 2, "want an http:// or https:// URL"},
		{"TLS without the CA", []string{"--url", secured + "/healthz", "--username", "probe", "--password-file", goodPass}, 1, "certificate"},
		{"TLS and basic auth", []string{"--url", secured + "/healthz", "--ca-file", pki.CAFile, "--username", "probe", "--password-file", goodPass}, 0, "200 OK ok"},
		{"wrong password", []string{"--url", secured + "/healthz", "--ca-file", pki.CAFile, "--username", "probe", "--password-file", badPass}, 1, "401 Unauthorized"},
		{"no credentials", []string{"--url", secured + "/healthz", "--ca-file", pki.CAFile}, 1, "401 Unauthorized"},
		{"CA file without a certificate", []string{"--url", secured + "/healthz", "--ca-file", notPEM}, 2, "no PEM certificate"},
		{"certificate without key", []string{"--url", secured + "/healthz", "--cert-file", pki.CAFile}, 2, "go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRootCmd()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs(append([]string{"healthcheck"}, tt.args...))
			err := root.ExecuteContext(context.Background())
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.wantCode)
			}
			got := out.String()
			if err != nil {
				got = err.Error()
				if strings.Contains(got, "s3cret") {
					t.Errorf("error shows the password: %s", got)
				}
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to hold %q", got, tt.want)
			}
		})
	}
}
