// Package server is pagerlens's HTTP server: health and readiness probes,
// the /metrics handler and webhooks mounted by their packages, TLS and basic
// auth through exporter-toolkit's web config file, and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/prometheus/exporter-toolkit/web"
)

// Check reports whether one dependency is ready; nil means ready.
type Check func() error

// Server serves pagerlens's endpoints.
type Server struct {
	mux    *http.ServeMux
	checks map[string]Check
	ln     net.Listener
	srv    *http.Server
	webCfg string
	log    *slog.Logger
}

// DefaultListen is the HTTP address of serve and demo unless configured:
// the README, docs/prometheus.md and the dashboards' examples use it.
const DefaultListen = ":9464"

// New listens on addr (DefaultListen; port 0 picks one). webConfigFile, if not
// empty, is an exporter-toolkit web config (TLS, basic auth); it is
// validated now so that a bad file fails start-up, not the first scrape.
func New(addr, webConfigFile string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	if webConfigFile != "" {
		if err := web.Validate(webConfigFile); err != nil {
			return nil, fmt.Errorf("web config %s: %w", webConfigFile, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{mux: http.NewServeMux(), checks: map[string]Check{}, ln: ln, webCfg: webConfigFile, log: log}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "pagerlens: /metrics, /healthz, /readyz")
	})
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Handle mounts h at pattern (http.ServeMux syntax).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddCheck adds a readiness check.
func (s *Server) AddCheck(name string, c Check) { s.checks[name] = c }

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	var failed []string
	for name, c := range s.checks {
		if err := c(); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(failed) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, f := range failed {
			fmt.Fprintln(w, f)
		}
		return
	}
	fmt.Fprintln(w, "ready")
}

// webSecurity reads what an exporter-toolkit web config turns on (the file
// was validated by New): TLS, and how many basic-auth users.
func webSecurity(path string) (tlsOn bool, users int) {
	if path == "" {
		return false, 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false, 0
	}
	var c struct {
		TLS struct {
			CertFile string `yaml:"cert_file"`
			Cert     string `yaml:"cert"`
		} `yaml:"tls_server_config"`
		Users map[string]string `yaml:"basic_auth_users"`
	}
	if yaml.Unmarshal(b, &c) != nil {
		return false, 0
	}
	return c.TLS.CertFile != "" || c.TLS.Cert != "", len(c.Users)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Run serves until ctx ends, then shuts down gracefully (in-flight requests
// get 5 s).
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		cfg := s.webCfg
		errc <- web.Serve(s.ln, s.srv, &web.FlagConfig{WebConfigFile: &cfg}, s.log)
	}()
	tlsOn, users := webSecurity(s.webCfg)
	attrs := []any{"addr", s.Addr(), "tls", onOff(tlsOn), "basic_auth", onOff(users > 0)}
	if s.webCfg != "" {
		attrs = append(attrs, "web_config_file", s.webCfg)
	}
	s.log.Info("http server listening", attrs...)
	switch {
	case s.webCfg == "":
		s.log.Info("every path (/metrics, /webhooks/…, probes) is served without TLS and without basic auth; set web_config_file (--web.config.file, PAGERLENS_WEB_CONFIG_FILE) to add them")
	case !tlsOn || users == 0:
		s.log.Info("web_config_file leaves part of the protection off for every path (/metrics, /webhooks/…, probes)",
			"tls", onOff(tlsOn), "basic_auth", onOff(users > 0), "web_config_file", s.webCfg)
	}
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	return nil
}
