// Package deliver sends a written export to where people read it: an
// email with the HTML report inline, a Slack message through an incoming
// webhook, or a JSON POST to any webhook (docs/reports.md, "Delivery").
// It never changes or removes the written file: a delivery that fails
// after its retries is counted and logged, and the file stays where the
// export wrote it.
package deliver

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
)

// Target is one entry of an export's deliver: list. Exactly one of its
// fields is set.
type Target struct {
	Email   *Email   `yaml:"email"`
	Slack   *Slack   `yaml:"slack"`
	Webhook *Webhook `yaml:"webhook"`
}

// The target kinds: the target label of pagerlens_export_deliveries_total.
const (
	KindEmail   = "email"
	KindSlack   = "slack"
	KindWebhook = "webhook"
)

// Kinds lists the target kinds in the order docs and metrics list them.
var Kinds = []string{KindEmail, KindSlack, KindWebhook}

// Kind is the target's kind, "" when none or several are set.
func (t Target) Kind() string {
	k, n := "", 0
	if t.Email != nil {
		k, n = KindEmail, n+1
	}
	if t.Slack != nil {
		k, n = KindSlack, n+1
	}
	if t.Webhook != nil {
		k, n = KindWebhook, n+1
	}
	if n != 1 {
		return ""
	}
	return k
}

// Email sends the export as a multipart message through an SMTP relay.
type Email struct {
	To   []string `yaml:"to"`
	Cc   []string `yaml:"cc"`
	From string   `yaml:"from"`
	// Subject is the message's subject; default "pagerlens: " and the
	// export's title.
	Subject string `yaml:"subject"`
	SMTP    SMTP   `yaml:"smtp"`
}

// SMTP is the relay an Email target sends through.
type SMTP struct {
	Host string `yaml:"host"`
	// Port defaults to DefaultSMTPPort (submission).
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	// PasswordFile holds the password (read at each delivery, so a rotated
	// password needs no restart); the config itself never holds it.
	PasswordFile string `yaml:"password_file"`
	// StartTLS (default true) requires STARTTLS before anything else, AUTH
	// included. false is accepted only for a relay on loopback, with a
	// warning at start: the message and any credentials travel in clear.
	StartTLS *bool `yaml:"starttls"`
	// CAFile is a PEM bundle to verify the relay's certificate with
	// instead of the system's roots (an internal CA).
	CAFile string `yaml:"ca_file"`
}

// DefaultSMTPPort is the submission port (RFC 6409), where STARTTLS and
// AUTH are the norm.
const DefaultSMTPPort = 587

// startTLS is StartTLS with its default.
func (s SMTP) startTLS() bool { return s.StartTLS == nil || *s.StartTLS }

func (s SMTP) port() int {
	if s.Port == 0 {
		return DefaultSMTPPort
	}
	return s.Port
}

// Slack posts a Block Kit summary through an incoming webhook.
type Slack struct {
	// WebhookURLFile holds the incoming webhook's URL: the URL is the
	// credential (anyone with it can post to the channel), so it lives in
	// a file like a password.
	WebhookURLFile string `yaml:"webhook_url_file"`
}

// Webhook POSTs the export's JSON machine format to URL.
type Webhook struct {
	URL string `yaml:"url"`
	// BearerTokenFile, if set, holds a token sent as Authorization: Bearer.
	BearerTokenFile string `yaml:"bearer_token_file"`
}

// Problem is one thing wrong with a target: Key is relative to the target
// ("email.smtp.host"), as the config names it under exports[i].deliver[j].
type Problem struct {
	Key, Msg string
}

// Problems checks everything that can be checked without reading the
// secret files or the network, and returns all that is wrong.
func (t Target) Problems() []Problem {
	var out []Problem
	add := func(key, format string, args ...any) {
		out = append(out, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if t.Kind() == "" {
		add("", "want exactly one of email, slack or webhook")
		return out
	}
	switch {
	case t.Email != nil:
		e := t.Email
		if len(e.To) == 0 {
			add("email.to", "empty: want at least one address")
		}
		for i, a := range e.To {
			if _, err := mail.ParseAddress(a); err != nil {
				add(fmt.Sprintf("email.to[%d]", i), "%q is not an email address", a)
			}
		}
		for i, a := range e.Cc {
			if _, err := mail.ParseAddress(a); err != nil {
				add(fmt.Sprintf("email.cc[%d]", i), "%q is not an email address", a)
			}
		}
		if e.From == "" {
			add("email.from", "empty: want the sender's address")
		} else if _, err := mail.ParseAddress(e.From); err != nil {
			add("email.from", "%q is not an email address", e.From)
		}
		s := e.SMTP
		if s.Host == "" {
			add("email.smtp.host", "empty: want the SMTP relay's host name")
		}
		if s.Port < 0 || s.Port > 65535 {
			add("email.smtp.port", "%d is not a port", s.Port)
		}
		if (s.Username == "") != (s.PasswordFile == "") {
			add("email.smtp.password_file", "username and password_file go together (AUTH needs both)")
		}
		if !s.startTLS() && s.Host != "" && !IsLoopback(s.Host) {
			add("email.smtp.starttls", "false is allowed only for a relay on loopback (localhost, 127.0.0.1, ::1), not %q: the message and any password would cross the network in clear", s.Host)
		}
	case t.Slack != nil:
		if t.Slack.WebhookURLFile == "" {
			add("slack.webhook_url_file", "empty: want the file holding the incoming webhook's URL")
		}
	case t.Webhook != nil:
		u, err := url.Parse(t.Webhook.URL)
		switch {
		case t.Webhook.URL == "":
			add("webhook.url", "empty")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			add("webhook.url", "%q is not an http(s) URL", t.Webhook.URL)
		case u.User != nil:
			add("webhook.url", "credentials in the URL; use bearer_token_file")
		case u.Scheme == "http" && t.Webhook.BearerTokenFile != "" && !IsLoopback(u.Hostname()):
			add("webhook.url", "http with a bearer token would send the token in clear; use https")
		}
	}
	return out
}

// IsLoopback reports whether host names this machine: localhost or a
// loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
