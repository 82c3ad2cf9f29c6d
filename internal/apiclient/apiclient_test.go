package apiclient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/pagerlens/pagerlens/internal/server"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// Against serve's real server behind TLS and basic auth: the CA file and
// the password file are what let a request through; serve's message is in
// the error of any other answer.
func TestClientTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	pki := testkit.NewPKI(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  ops: %s\n",
		pki.ServerCertFile, pki.ServerKeyFile, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New("127.0.0.1:0", webCfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("GET /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bad") != "" {
			http.Error(w, "window=\"3x\": not a window", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "q="+r.URL.Query().Get("q"))
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("server URL %s: want https on the loopback address", srv.URL())
	}
	pass := filepath.Join(dir, "pass")
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(pass, []byte("s3cret\n"), 0o600)
	os.WriteFile(wrong, []byte("nope\n"), 0o600)

	tests := []struct {
		name    string
		o       Options
		q       url.Values
		want    string // body, or the error's text
		wantErr bool
	}{
		{"ok", Options{User: "ops", PasswordFile: pass, CAFile: pki.CAFile}, url.Values{"q": {"a b"}}, "q=a b", false},
		{"wrong password", Options{User: "ops", PasswordFile: wrong, CAFile: pki.CAFile}, nil, "401 Unauthorized", true},
		{"no credentials", Options{CAFile: pki.CAFile}, nil, "check --basic-auth-user", true},
		{"no CA", Options{User: "ops", PasswordFile: pass}, nil, "certificate", true},
		{"serve's message", Options{User: "ops", PasswordFile: pass, CAFile: pki.CAFile}, url.Values{"bad": {"1"}}, `400 Bad Request to GET /echo: window="3x": not a window`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.URL = srv.URL()
			c, err := New(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(context.Background(), "/echo", tt.q)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.want {
				t.Errorf("body %q, want %q", b, tt.want)
			}
		})
	}
}
