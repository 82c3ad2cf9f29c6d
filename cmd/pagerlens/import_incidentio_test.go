package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportIncidentIORefusedToken: incident.io answers a wrong API key 401
// {"type": "authentication_error", …}; the command fails with exit status 1
// and a message naming the token file (never the token), having asked once.
func TestImportIncidentIORefusedToken(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"authentication_error","status":401,"request_id":"x","errors":[{"code":"invalid_authorization_material","message":"The API key provided is not valid"}]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "incidentio.token")
	if err := os.WriteFile(tokenFile, []byte("inc-SECRETKEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"import", "incidentio", "--db", filepath.Join(dir, "i.duckdb"), "--token-file", tokenFile,
		"--api-url", srv.URL, "--since", "2026-03-01T00:00:00Z", "--until", "2026-03-02T00:00:00Z", "-q"})
	err := root.Execute()
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("err %v (exit %d), want a failure with exit status 1", err, exitCode(err))
	}
	msg := err.Error()
	if !strings.Contains(msg, "the API key in "+tokenFile+" was refused") || !strings.Contains(msg, "authentication_error") || strings.Contains(msg+out.String(), "SECRETKEY") {
		t.Errorf("error %q (output %q): want the token file named, incident.io's error, and no token", msg, out.String())
	}
	if n != 1 || !strings.Contains(out.String(), "incidentio import") {
		t.Errorf("%d requests, output %q; want 1 and the summary line", n, out.String())
	}
}
