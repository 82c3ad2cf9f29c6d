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

// TestImportOnCallRefusedToken: OnCall answers a wrong API key 403
// {"detail": "Invalid token."}; the command fails with exit status 1 and a
// message naming the token file (never the token), having asked once.
func TestImportOnCallRefusedToken(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"detail": "Invalid token."}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "oncall.token")
	if err := os.WriteFile(tokenFile, []byte("oncall-SECRETKEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"import", "oncall", "--db", filepath.Join(dir, "o.duckdb"), "--token-file", tokenFile,
		"--api-url", srv.URL, "--since", "2026-03-01T00:00:00Z", "--until", "2026-03-02T00:00:00Z"})
	err := root.Execute()
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("err %v (exit %d), want a failure with exit status 1", err, exitCode(err))
	}
	msg := err.Error()
	if !strings.Contains(msg, "the API token in "+tokenFile+" was refused") || !strings.Contains(msg, "Invalid token.") || strings.Contains(msg+out.String(), "SECRETKEY") {
		t.Errorf("error %q (output %q): want the token file named, OnCall's detail, and no token", msg, out.String())
	}
	if n != 1 || !strings.Contains(out.String(), "oncall import") {
		t.Errorf("%d requests, output %q; want 1 and the summary line", n, out.String())
	}
}
