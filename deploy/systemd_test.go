package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// unitKeys reads a systemd unit's [Service] keys (a key given twice keeps
// every value).
func unitKeys(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "["):
			section = l
		case section == "[Service]":
			k, v, _ := strings.Cut(l, "=")
			keys[k] = append(keys[k], v)
		}
	}
	return keys
}

// The unit holds the hardening the deployment relies on, its MemoryMax
// follows the sizing rule for the config beside it, and that config passes
// pagerlens's validation.
func TestSystemdUnit(t *testing.T) {
	keys := unitKeys(t, "systemd/pagerlens.service")
	for k, want := range map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "pagerlens",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"NoNewPrivileges":         "yes",
		"PrivateTmp":              "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"CapabilityBoundingSet":   "",
		// Exit code 2 (a configuration error) is not retried.
		"RestartPreventExitStatus": "2",
	} {
		if got := keys[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	exec0 := strings.Fields(keys["ExecStart"][0])
	if len(exec0) < 4 || exec0[1] != "serve" || exec0[2] != "--config" {
		t.Fatalf("ExecStart %v: want pagerlens serve --config FILE", exec0)
	}
	b, err := os.ReadFile("systemd/pagerlens.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, "pagerlens.yaml", b)
	// The store must be in the state directory: elsewhere ProtectSystem=strict
	// makes it read-only.
	if !strings.HasPrefix(cfg.DB, "/var/lib/"+keys["StateDirectory"][0]+"/") {
		t.Errorf("db %s is outside the StateDirectory", cfg.DB)
	}
	checkSized(t, "systemd MemoryMax", parseLimit(t, keys["MemoryMax"][0], "systemd"), sizingRule(t, cfg))
}

// systemd-analyze verify: unknown keys, bad values and a missing binary are
// reported (on stderr; an unknown key does not change the exit code, so any
// output fails the test). The binary is a stand-in at a temporary path: the
// unit names where it is installed.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("systemd-analyze missing under CI (.ci/run installs the systemd package)")
		}
		t.Skip("NOTICE: systemd-analyze not found (Debian package systemd): unit not verified")
	}
	unit, err := os.ReadFile("systemd/pagerlens.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "pagerlens")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pagerlens.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/pagerlens", stub)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// The hardening in one figure: systemd's exposure score, 0 (locked
	// down) to 10. 1.5 when written; a removed option shows here.
	out, err = exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for pagerlens\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security exposure: %.1f", score)
	if score > 2.0 {
		t.Errorf("exposure %.1f, want at most 2.0 (hardening removed?)", score)
	}

	// The check can fail: a misspelt key is reported.
	bad := filepath.Join(dir, "bad.service")
	if err := os.WriteFile(bad, []byte(strings.Replace(strings.ReplaceAll(string(unit), "/usr/local/bin/pagerlens", stub),
		"ProtectSystem=", "ProtectSytem=", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command(analyze, "verify", bad).CombinedOutput(); !strings.Contains(string(out), "Unknown key") {
		t.Errorf("verify of a misspelt key said %q", out)
	}
}
