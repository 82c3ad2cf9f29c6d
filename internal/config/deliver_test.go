package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The example loads as written (flow mappings included), and each
// bad deliver entry is a problem with its key and line, all at once.
func TestExportDeliver(t *testing.T) {
	const good = `exports:
  - name: weekly-fatigue
    schedule: "CRON_TZ=Europe/Berlin 0 9 * * 1"
    what: fatigue_report
    format: html
    dir: /var/lib/pagerlens/reports
    deliver:
      - email: {to: [oncall-leads@example.com], smtp: {host: smtp.example.com, port: 587,
                username: pagerlens, password_file: /etc/pagerlens/smtp.pass, starttls: true},
                from: pagerlens@example.com}
      - slack: {webhook_url_file: /etc/pagerlens/slack.url}
      - webhook: {url: https://hooks.example.com/reports, bearer_token_file: /etc/pagerlens/hook.token}
  - name: handover
    schedule: "0 9 * * 1"
    what: handover
    window: 7d
    format: md
    dir: /var/lib/pagerlens/reports
`
	cfg, err := Load(write(t, good))
	if err != nil {
		t.Fatalf("the issue's example: %v", err)
	}
	if d := cfg.Exports[0].Deliver; len(d) != 3 || d[0].Email.SMTP.Port != 587 || d[0].Email.To[0] != "oncall-leads@example.com" {
		t.Errorf("deliver read as %+v", d)
	}
	var keys []string
	for _, s := range cfg.SecretFiles() {
		keys = append(keys, s.Key)
	}
	if want := []string{"exports[0].deliver[0].email.smtp.password_file", "exports[0].deliver[1].slack.webhook_url_file",
		"exports[0].deliver[2].webhook.bearer_token_file"}; !slices.Equal(keys, want) {
		t.Errorf("secret files %v, want %v", keys, want)
	}

	const bad = `exports:
  - name: weekly
    schedule: "0 9 * * 1"
    what: fatigue_report
    format: html
    dir: /tmp/r
    deliver:
      - email:
          to: []
          from: not-an-address
          smtp: {host: smtp.example.com, starttls: false}
      - slack: {}
      - webhook: {url: "ftp://example.com"}
      - {}
      - slack: {webhook_url_file: /x}
        webhook: {url: https://x.example.com}
      - email: {to: [a@example.com], from: a@example.com, smtp: {host: smtp.example.com, pasword_file: /x}}
`
	_, err = Load(write(t, bad))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a config error, got %v", err)
	}
	got := map[string]int{}
	for _, p := range ce.Problems {
		got[p.Key] = p.Line
	}
	for key, line := range map[string]int{
		"exports[0].deliver[0].email.to":                9,
		"exports[0].deliver[0].email.from":              10,
		"exports[0].deliver[0].email.smtp.starttls":     11,
		"exports[0].deliver[1].slack.webhook_url_file":  12,
		"exports[0].deliver[2].webhook.url":             13,
		"exports[0].deliver[3]":                         14,
		"exports[0].deliver[4]":                         15,
		"exports[0].deliver[5].email.smtp.pasword_file": 17,
	} {
		if l, ok := got[key]; !ok || l != line {
			t.Errorf("problem %s at line %d (present %v), want line %d\n%v", key, l, ok, line, err)
		}
	}
}

func write(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pagerlens.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
