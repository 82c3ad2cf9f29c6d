package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/server"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

// end is the synthetic world's end and every request's now.
var end = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

// served is an API on a real loopback server over a synthetic store.
type served struct {
	url string
	st  *store.Store
	reg *prometheus.Registry
	api *API
}

// serve starts the API with o (Store set if nil) behind webCfg ("" none).
func serve(t *testing.T, o Options, webCfg string) served {
	t.Helper()
	if o.Store == nil {
		o.Store = testkit.SynthStore(t, end)
	}
	if o.Analytics.Windows == nil {
		o.Analytics = analytics.DefaultConfig(end)
	}
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New("127.0.0.1:0", webCfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.Mount(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return served{url: srv.URL(), st: o.Store, reg: reg, api: a}
}

// do sends one request and returns the status and body.
func do(t *testing.T, method, url, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}
