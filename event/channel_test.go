package event_test

import (
	"os"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/event"
)

func TestNormalizeChannel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"unknown", ""},
		{" Unknown ", ""},
		{"phone", "phone"},
		{"Voice", "phone"},
		{"phone_notification", "phone"}, // PagerDuty's notification type
		{"phone call", "phone"},
		{"SMS", "sms"},
		{"text-message", "sms"},
		{"push", "push"},
		{" Push-Notification ", "push"},
		{"mobile_app", "push"},
		{"email", "email"},
		{"E-Mail", "email"},
		{"email_notification", "email"},
		{"slack", "chat"},
		{"MS Teams", "other"}, // "ms_teams" is no alias ("msteams" and "teams" are)
		{"msteams", "chat"},
		{"fax", "other"},
		{"webhook", "other"},
		{"other", "other"},
		{"\tphone", "other"}, // only spaces are trimmed, as SQL's trim does
		{"phöne", "other"},
	}
	for _, tt := range tests {
		if got := event.NormalizeChannel(tt.in); got != tt.want {
			t.Errorf("NormalizeChannel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every normalised channel is its own name, so normalising is idempotent.
	for _, c := range event.Channels {
		if got := event.NormalizeChannel(c); got != c {
			t.Errorf("NormalizeChannel(%q) = %q", c, got)
		}
	}
	for _, a := range event.ChannelAliases() {
		if got := event.NormalizeChannel(strings.ToUpper(a.Name)); got != a.Channel {
			t.Errorf("NormalizeChannel(%q) = %q, want %q", strings.ToUpper(a.Name), got, a.Channel)
		}
		if strings.ContainsAny(a.Name, "'\\") {
			t.Errorf("alias %q: analytics writes the aliases into SQL literals", a.Name)
		}
	}
}

// TestChannelDocs: docs/sources.md's "Notification channels" table lists
// every name NormalizeChannel knows in its channel's row, and nothing in a
// row that reads as another channel.
func TestChannelDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/sources.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "## Notification channels")
	if i < 0 {
		t.Fatal("docs/sources.md has no Notification channels section")
	}
	doc = doc[i:]
	doc = doc[:strings.Index(doc[3:], "\n## ")+3]
	rows := map[string]string{} // channel ("" unknown) → the row's names cell
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 4 {
			continue
		}
		ch := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if ch == "unknown" {
			ch = ""
		}
		rows[ch] = cells[2]
	}
	for _, c := range append(append([]string(nil), event.Channels...), "") {
		row, ok := rows[c]
		if !ok {
			t.Errorf("no row for channel %q", c)
			continue
		}
		parts := strings.Split(row, "`")
		for j := 1; j < len(parts); j += 2 { // the code spans
			tok := parts[j]
			if tok == `""` {
				continue // the empty name, spelled out
			}
			if got := event.NormalizeChannel(tok); got != c {
				t.Errorf("row %q lists %q, which reads as %q", c, tok, got)
			}
		}
	}
	for _, a := range event.ChannelAliases() {
		if a.Name == "" {
			continue
		}
		if !strings.Contains(rows[a.Channel], "`"+a.Name+"`") {
			t.Errorf("docs/sources.md: %q (%q) is not in its row", a.Name, a.Channel)
		}
	}
}
