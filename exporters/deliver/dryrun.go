package deliver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// DryRun prints what Deliver would send to each target, without the
// network and without reading any secret file: the email's envelope,
// parts and text; the Slack message's JSON; the webhook's URL and body
// size. The Slack URL is a credential and is not printed.
func DryRun(out io.Writer, w Written, targets []Target) error {
	for i, t := range targets {
		fmt.Fprintf(out, "--- deliver[%d]: %s\n", i, t.Kind())
		switch {
		case t.Email != nil:
			e := t.Email
			m, err := emailMessage(w, *e)
			if err != nil {
				return fmt.Errorf("deliver[%d]: %w", i, err)
			}
			var raw bytes.Buffer
			if _, err := m.WriteTo(&raw); err != nil {
				return fmt.Errorf("deliver[%d]: %w", i, err)
			}
			tls := "STARTTLS required"
			if !e.SMTP.startTLS() {
				tls = "no TLS (loopback relay)"
			}
			auth := "no AUTH"
			if e.SMTP.Username != "" {
				auth = "AUTH PLAIN as " + e.SMTP.Username + ", password from " + e.SMTP.PasswordFile
			}
			fmt.Fprintf(out, "SMTP %s:%d, %s, %s\n", e.SMTP.Host, e.SMTP.port(), tls, auth)
			fmt.Fprintf(out, "From: %s\nTo: %s\n", e.From, strings.Join(e.To, ", "))
			if len(e.Cc) > 0 {
				fmt.Fprintf(out, "Cc: %s\n", strings.Join(e.Cc, ", "))
			}
			parts := "a text/plain summary; the export " + htmlOrAttached(w)
			if n := len(w.Inline); n > 0 {
				parts += fmt.Sprintf(", with %d inline image(s)", n)
			}
			fmt.Fprintf(out, "Subject: %s\nParts: %s\nMessage size: %d bytes\n\n%s\n",
				w.subject(*e), parts, raw.Len(), w.Summary.Text())
		case t.Slack != nil:
			body, err := SlackPayload(w)
			if err != nil {
				return fmt.Errorf("deliver[%d]: %w", i, err)
			}
			var pretty bytes.Buffer
			_ = json.Indent(&pretty, body, "", "  ")
			fmt.Fprintf(out, "POST to the incoming webhook in %s (%d bytes):\n%s\n", t.Slack.WebhookURLFile, len(body), pretty.String())
		case t.Webhook != nil:
			auth := ""
			if t.Webhook.BearerTokenFile != "" {
				auth = ", Authorization: Bearer from " + t.Webhook.BearerTokenFile
			}
			fmt.Fprintf(out, "POST %s (application/json, %d bytes%s)\n", t.Webhook.URL, len(w.JSON), auth)
		}
	}
	return nil
}
