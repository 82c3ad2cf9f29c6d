package config

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWarnIfExposed loads configs with various permissions and checks the
// warnings, and that no warning ever carries the secret itself.
func TestWarnIfExposed(t *testing.T) {
	const secret = "hunter2-do-not-log"
	tests := []struct {
		name       string
		configMode os.FileMode
		secretMode os.FileMode
		withSecret bool // the config names the password file
		want       []string
		notWant    []string
	}{
		{"private config, private secret", 0o600, 0o600, true, nil,
			[]string{"world-readable", "world-writable"}},
		{"world-readable config without secrets", 0o644, 0o600, false, nil,
			[]string{"world-readable", "world-writable"}},
		{"world-readable config naming a secret", 0o644, 0o600, true,
			[]string{"config file names secret files and is world-readable", "kafka.sasl.password_file"},
			[]string{"secret file is world-readable"}},
		{"world-readable secret file", 0o600, 0o644, true,
			[]string{"secret file is world-readable", "key=kafka.sasl.password_file"},
			[]string{"config file names secret files"}},
		{"world-writable config", 0o666, 0o600, false,
			[]string{"config file is world-writable"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pw := filepath.Join(dir, "sasl-password")
			if err := os.WriteFile(pw, []byte(secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// Chmod after writing: the umask would otherwise mask the mode.
			if err := os.Chmod(pw, tt.secretMode); err != nil {
				t.Fatal(err)
			}
			yml := "db: x.duckdb\nkafka:\n  brokers: [127.0.0.1:9092]\n"
			if tt.withSecret {
				yml += "  sasl:\n    mechanism: PLAIN\n    username: u\n    password_file: " + pw + "\n"
			}
			cfgPath := filepath.Join(dir, "pagerlens.yaml")
			if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(cfgPath, tt.configMode); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
			defer slog.SetDefault(prev)
			cfg, err := Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if tt.withSecret {
				// The loaded password is the secret: proof the test would see a leak.
				if got, _ := cfg.Kafka.SASL.Password(); got != secret {
					t.Fatalf("password = %q", got)
				}
			}
			log := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
			for _, w := range append(tt.notWant, secret) {
				if strings.Contains(log, w) {
					t.Errorf("log has %q:\n%s", w, log)
				}
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	var c Config
	c.Kafka.SASL.PasswordFile = "/run/secrets/sasl"
	c.Kafka.TLS.KeyFile = "/run/secrets/client.key"
	got := c.SecretFiles()
	want := []SecretFile{{"kafka.sasl.password_file", "/run/secrets/sasl"}, {"kafka.tls.key_file", "/run/secrets/client.key"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("SecretFiles() = %v, want %v", got, want)
	}
}
