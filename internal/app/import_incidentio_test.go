package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// TestImportSourcesIncidentIO: import.incidentio in the config is a source
// serve polls, by the name its metrics carry, with the token read from the
// file at each run and sent as a bearer token; a refused key is the run's
// error, naming the file.
func TestImportSourcesIncidentIO(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"authentication_error","status":401,"request_id":"x","errors":[{"code":"invalid_authorization_material","message":"The API key provided is not valid"}]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "iio.token")
	if err := os.WriteFile(tokenFile, []byte("inc-first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "i.duckdb")
	cfg.Import.IncidentIO = &config.ImportSource{TokenFile: tokenFile, APIURL: srv.URL, Every: config.Duration(time.Minute), Since: "7d"}
	if err := cfg.Validate(""); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.DB, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := importSources(cfg, st)
	if err != nil || len(srcs) != 1 || srcs[0].Name != "incidentio" || srcs[0].Every != time.Minute {
		t.Fatalf("sources %+v (%v), want incidentio every 1m", srcs, err)
	}
	for _, tok := range []string{"inc-first", "inc-rotated"} {
		if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := srcs[0].Run(context.Background())
		if !errors.Is(err, importers.ErrUnauthorized) || !strings.Contains(err.Error(), tokenFile) || strings.Contains(err.Error(), tok) {
			t.Errorf("run error %v, want the refused key naming %s and not the key", err, tokenFile)
		}
		if got := auth[len(auth)-1]; got != "Bearer "+tok {
			t.Errorf("Authorization %q, want the file's key as a bearer token", got)
		}
	}
}
