package e2e

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"golang.org/x/crypto/bcrypt"

	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

// TestSecuredBrokers runs serve against the embedded broker with TLS
// (verified server, client certificate) and SASL PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512, configured through the YAML keys that config.Kafka.Dialer
// reads; the password never shows in the debug log, and wrong credentials
// fail at start with a clear error.
func TestSecuredBrokers(t *testing.T) {
	const (
		topic    = "events"
		user     = "pagerlens"
		password = "s3cret-Pa55word-never-logged"
		n        = 200
	)
	p := testkit.NewPKI(t)
	tests := []struct {
		name      string
		tls       bool
		clientTLS bool   // present the client certificate
		mech      string // "" = no SASL
		viaEnv    bool   // password from PAGERLENS_KAFKA_SASL_PASSWORD, else password_file
		badPass   bool
		wantFail  string // serve with --wait-for-brokers=false fails saying this
	}{
		{name: "TLS with client certificate", tls: true, clientTLS: true},
		{name: "SASL PLAIN", mech: "PLAIN"},
		{name: "SASL SCRAM-SHA-256 (password from env)", mech: "SCRAM-SHA-256", viaEnv: true},
		{name: "SASL SCRAM-SHA-512", mech: "SCRAM-SHA-512"},
		{name: "TLS and SCRAM-SHA-512", tls: true, clientTLS: true, mech: "SCRAM-SHA-512"},
		{name: "TLS without the client certificate", tls: true, wantFail: "unreachable"},
		{name: "SASL wrong password", mech: "SCRAM-SHA-256", badPass: true, wantFail: "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := kafkatest.Options{Topics: []string{topic}, Partitions: 2}
			var client []kgo.Opt
			if tt.tls {
				opts.TLS = &tls.Config{Certificates: []tls.Certificate{p.Server}, ClientCAs: p.Pool,
					ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
				client = append(client, kgo.DialTLSConfig(&tls.Config{RootCAs: p.Pool, Certificates: []tls.Certificate{p.Client}, MinVersion: tls.VersionTLS12}))
			}
			if tt.mech != "" {
				opts.SASL = &kafkatest.SASL{Mechanism: tt.mech, User: user, Password: password}
				switch tt.mech {
				case "PLAIN":
					client = append(client, kgo.SASL(plain.Auth{User: user, Pass: password}.AsMechanism()))
				case "SCRAM-SHA-256":
					client = append(client, kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha256Mechanism()))
				case "SCRAM-SHA-512":
					client = append(client, kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha512Mechanism()))
				}
			}
			b := kafkatest.New(t, opts)
			msgs, _ := synthEvents(t, n)
			produce(t, b, topic, 2, msgs, client...)

			var yml strings.Builder
			yml.WriteString("kafka:\n")
			if tt.tls {
				fmt.Fprintf(&yml, "  tls:\n    enabled: true\n    ca_file: %s\n", p.CAFile)
				if tt.clientTLS {
					fmt.Fprintf(&yml, "    cert_file: %s\n    key_file: %s\n", p.CertFile, p.KeyFile)
				}
			}
			var env []string
			pass := password
			if tt.badPass {
				pass = "wrong-" + password
			}
			if tt.mech != "" {
				fmt.Fprintf(&yml, "  sasl:\n    mechanism: %s\n    username: %s\n", tt.mech, user)
				if tt.viaEnv {
					env = append(env, "PAGERLENS_KAFKA_SASL_PASSWORD="+pass)
				} else {
					pwFile := filepath.Join(dir, "sasl-password")
					if err := os.WriteFile(pwFile, []byte(pass+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(&yml, "    password_file: %s\n", pwFile)
				}
			}
			cfgFile := filepath.Join(dir, "pagerlens.yaml")
			if err := os.WriteFile(cfgFile, []byte(yml.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "p.duckdb")
			args := []string{"--log-level", "debug", "serve", "--config", cfgFile, "--brokers", b.Addr(), "--topics", topic,
				"--db", db, "--listen", "127.0.0.1:0", "--batch-wait", "100ms"}
			if tt.wantFail != "" {
				out, code := cli(t, env, append(args, "--wait-for-brokers=false")...)
				if code == 0 || !strings.Contains(out, tt.wantFail) {
					t.Errorf("exit %d, output:\n%s\nwant a failure saying %q", code, out, tt.wantFail)
				}
				if strings.Contains(out, password) {
					t.Errorf("the password appears in the output:\n%s", out)
				}
				t.Logf("exit %d: %s", code, lastLine(out))
				return
			}
			proc := e2eutil.Start(t, "pagerlens", env, args...)
			admin, err := b.Client(client...)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			e2eutil.WaitFor(t, "every event consumed", 60*time.Second, func() bool {
				return e2eutil.CommittedTotal(t, admin, "pagerlens", topic, 2) == n
			})
			if code, _ := proc.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
				t.Fatalf("SIGTERM: exit %d", code)
			}
			if out := proc.Output(); strings.Contains(out, password) {
				t.Errorf("the SASL password appears in the debug log")
			}
			e2eutil.QueryStore(t, db, func(s *store.Store) {
				if got := scalar[int64](t, s, `SELECT count(*) FROM events`); got != n {
					t.Errorf("stored %d events, want %d", got, n)
				}
			})
		})
	}
}

// TestSecuredHTTP serves /metrics and the probes behind exporter-toolkit
// TLS and basic auth.
func TestSecuredHTTP(t *testing.T) {
	p := testkit.NewPKI(t)
	dir := t.TempDir()
	const user, pass = "prometheus", "scrape-Pa55"
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := filepath.Join(dir, "web.yml")
	cfg := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  %s: %s\n", p.ServerCertFile, p.ServerKeyFile, user, hash)
	if err := os.WriteFile(web, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{"events"}})
	// The web config by flag, and by the environment variable README's
	// naming rule gives (issue 24: only PAGERLENS_WEB.CONFIG.FILE, which no
	// shell can set, was read; PAGERLENS_WEB_CONFIG_FILE left TLS off).
	for _, how := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--web.config.file", web}},
		{"env", []string{"PAGERLENS_WEB_CONFIG_FILE=" + web}, nil},
	} {
		t.Run(how.name, func(t *testing.T) {
			args := append([]string{"serve", "--brokers", b.Addr(), "--topics", "events", "--group", "g-" + how.name,
				"--db", filepath.Join(dir, how.name+".duckdb"), "--listen", "127.0.0.1:0"}, how.args...)
			proc := e2eutil.Start(t, "pagerlens", how.env, args...)
			addr := proc.HTTPAddr()
			proc.WaitLog(`http server listening.*tls=on basic_auth=on`, 10*time.Second)
			hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.Pool, MinVersion: tls.VersionTLS12}}}
			get := func(scheme, path string, auth bool) int {
				req, _ := http.NewRequest(http.MethodGet, scheme+"://"+addr+path, nil)
				if auth {
					req.SetBasicAuth(user, pass)
				}
				resp, err := hc.Do(req)
				if err != nil {
					return 0
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			tests := []struct {
				scheme, path string
				auth         bool
				want         int
			}{
				{"https", "/metrics", true, 200},
				{"https", "/healthz", true, 200},
				{"https", "/metrics", false, 401},
				{"https", "/healthz", false, 401},
				{"http", "/metrics", true, 400}, // plain HTTP to a TLS port
			}
			for _, tt := range tests {
				var got int
				// /metrics may answer 503 until the first analytics snapshot.
				e2eutil.WaitFor(t, fmt.Sprintf("%s %s auth=%v → %d", tt.scheme, tt.path, tt.auth, tt.want), 30*time.Second, func() bool {
					got = get(tt.scheme, tt.path, tt.auth)
					return got == tt.want
				})
			}
			if code, _ := proc.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
				t.Errorf("SIGTERM: exit %d", code)
			}
		})
	}
}

// TestGrafanaTokenNotLogged pushes dashboards to a fake Grafana that
// rejects, then fails, every request: the token is sent as a bearer token
// but never appears in pagerlens's debug output.
func TestGrafanaTokenNotLogged(t *testing.T) {
	const token = "glsa_TOKEN-never-logged-0123456789"
	tests := []struct {
		name   string
		status int
	}{
		{"unauthorized", http.StatusUnauthorized},
		{"server error with retries", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var sawToken bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				sawToken = sawToken || r.Header.Get("Authorization") == "Bearer "+token
				mu.Unlock()
				http.Error(w, `{"message":"nope"}`, tt.status)
			}))
			defer srv.Close()
			tokenFile := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, src := range []struct {
				how  string
				env  []string
				args []string
			}{
				{"env", []string{"GRAFANA_TOKEN=" + token}, nil},
				{"file", nil, []string{"--token-file", tokenFile}},
			} {
				out, code := cli(t, src.env, append([]string{"--log-level", "debug", "dashboards", "push", "--grafana-url", srv.URL, "--retries", "1"}, src.args...)...)
				if code == 0 {
					t.Errorf("token from %s: push succeeded against a failing Grafana", src.how)
				}
				if strings.Contains(out, token) {
					t.Errorf("token from %s: the token appears in the output:\n%s", src.how, out)
				}
				t.Logf("token from %s: exit %d: %s", src.how, code, lastLine(out))
			}
			mu.Lock()
			defer mu.Unlock()
			if !sawToken {
				t.Error("Grafana never received the bearer token")
			}
		})
	}
}
