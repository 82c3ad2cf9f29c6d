package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var testNow = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

// written makes an export file in a temp dir and its Written.
func written(t *testing.T, format, content string) Written {
	t.Helper()
	p := filepath.Join(t.TempDir(), "weekly-fatigue-2026-12-07."+format)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return Written{
		Export: "weekly-fatigue", What: "fatigue_report", Format: format, Window: "30d", Now: testNow, Path: p,
		Summary: Summary{Title: "Pager fatigue, 30d to 2026-12-07", Teams: []TeamSummary{{
			Team:   "payments",
			Fields: []Field{{"Interruptions", "12"}, {"Sleep interruptions", "3"}},
			Notes:  []Note{{"Noisiest alert", []string{"checkout/HighLatency (9 alerts): tune or delete"}}},
		}}},
		JSON: []byte(`{"now":"2026-12-07T08:00:00Z"}`),
	}
}

func secretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newDeliverer(t *testing.T, exports map[string][]Target) (*Deliverer, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	d, err := New(Options{Registerer: reg, Exports: exports, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return d, reg
}

func emailTarget(s *smtpServer, t *testing.T, pwFile string) Target {
	return Target{Email: &Email{
		To: []string{"oncall-leads@example.com"}, Cc: []string{"sre@example.com"}, From: "pagerlens@example.com",
		SMTP: SMTP{Host: "127.0.0.1", Port: s.port(t), Username: "pagerlens", PasswordFile: pwFile, CAFile: s.caFile},
	}}
}

// parts reads a MIME message: its header and each leaf part's content
// type, disposition file name and decoded body.
type part struct {
	ctype, filename, cid string
	body                 []byte
}

func readParts(t *testing.T, raw []byte) (*mail.Message, []part) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message does not parse: %v", err)
	}
	var out []part
	var walk func(ctype string, r io.Reader)
	walk = func(ctype string, r io.Reader) {
		mt, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			t.Fatalf("content type %q: %v", ctype, err)
		}
		if !strings.HasPrefix(mt, "multipart/") {
			b, _ := io.ReadAll(r)
			out = append(out, part{ctype: mt, body: b})
			return
		}
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			pt, pparams, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if strings.HasPrefix(pt, "multipart/") {
				walk(p.Header.Get("Content-Type"), p)
				continue
			}
			_ = pparams
			b, _ := io.ReadAll(p) // multipart decodes quoted-printable
			if p.Header.Get("Content-Transfer-Encoding") == "base64" {
				b = decodeBase64(t, b)
			}
			out = append(out, part{ctype: pt, filename: p.FileName(), cid: p.Header.Get("Content-Id"), body: b})
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return msg, out
}

func TestEmailThroughSMTP(t *testing.T) {
	srv := startSMTP(t, "pagerlens", "s3cret pw")
	pw := secretFile(t, "s3cret pw")
	html := "<!doctype html><html><body><h1>Pager fatigue</h1><svg viewBox=\"0 0 10 10\"></svg></body></html>"
	pngData := []byte("\x89PNG\r\n\x1a\n not really")
	for _, tc := range []struct {
		format, content string
		wantTypes       []string // leaf parts in order
		wantFile        string   // the attachment's name, "" for none
		emailHTML       string   // Written.EmailHTML with one inline image
	}{
		{"html", html, []string{"text/plain", "text/html"}, "", ""},
		{"html", html, []string{"text/plain", "text/html", "image/png"}, "", `<html><img src="cid:chart-1.png"></html>`},
		{"csv", "window,team\n30d,payments\n", []string{"text/plain", "text/csv"}, "weekly-fatigue-2026-12-07.csv", ""},
		{"md", "# Pager fatigue\n", []string{"text/plain", "text/markdown"}, "weekly-fatigue-2026-12-07.md", ""},
	} {
		t.Run(tc.format, func(t *testing.T) {
			w := written(t, tc.format, tc.content)
			if tc.emailHTML != "" {
				w.EmailHTML = []byte(tc.emailHTML)
				w.Inline = []InlineImage{{Name: "chart-1.png", ContentType: "image/png", Data: pngData}}
			}
			tg := emailTarget(srv, t, pw)
			d, _ := newDeliverer(t, map[string][]Target{w.Export: {tg}})
			before := len(srv.received())
			res := d.Deliver(context.Background(), w, []Target{tg})
			if res[0].Err != nil || res[0].Attempts != 1 {
				t.Fatalf("result = %+v", res[0])
			}
			got := srv.received()[before:]
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			m := got[0]
			if !m.tls || m.authUser != "pagerlens" {
				t.Errorf("session: tls=%v auth=%q, want STARTTLS and AUTH as pagerlens", m.tls, m.authUser)
			}
			if m.from != "pagerlens@example.com" || !slices.Equal(m.rcpt, []string{"oncall-leads@example.com", "sre@example.com"}) {
				t.Errorf("envelope from %q rcpt %v", m.from, m.rcpt)
			}
			msg, parts := readParts(t, m.data)
			if s := msg.Header.Get("Subject"); s != "pagerlens: Pager fatigue, 30d to 2026-12-07" {
				t.Errorf("subject %q", s)
			}
			if to := msg.Header.Get("To"); !strings.Contains(to, "oncall-leads@example.com") {
				t.Errorf("To %q", to)
			}
			var types []string
			for _, p := range parts {
				types = append(types, p.ctype)
			}
			if !slices.Equal(types, tc.wantTypes) {
				t.Fatalf("parts %v, want %v", types, tc.wantTypes)
			}
			if !strings.Contains(string(parts[0].body), "Sleep interruptions: 3") {
				t.Errorf("text part lacks the summary:\n%s", parts[0].body)
			}
			want := tc.content
			if tc.emailHTML != "" {
				want = tc.emailHTML
				if p := parts[2]; !bytes.Equal(p.body, pngData) || p.cid != "<chart-1.png>" {
					t.Errorf("inline image: cid %q, %d bytes", p.cid, len(p.body))
				}
			}
			if string(parts[1].body) != want {
				t.Errorf("export part = %q, want %q", parts[1].body, want)
			}
			if parts[1].filename != tc.wantFile {
				t.Errorf("attachment name %q, want %q", parts[1].filename, tc.wantFile)
			}
			if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindEmail, OutcomeSuccess)); v != 1 {
				t.Errorf("success count %v", v)
			}
		})
	}
}

func TestEmailWrongPasswordIsACountedFailure(t *testing.T) {
	srv := startSMTP(t, "pagerlens", "right")
	w := written(t, "html", "<html></html>")
	tg := emailTarget(srv, t, secretFile(t, "wrong-password-value"))
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	d, err := New(Options{Registerer: reg, Exports: map[string][]Target{w.Export: {tg}}, Backoff: time.Millisecond,
		Logger: slogTo(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), w, []Target{tg})
	if res[0].Err == nil {
		t.Fatal("delivered with a wrong password")
	}
	// 535 is permanent: one attempt, not four.
	if res[0].Attempts != 1 || srv.auths != 1 {
		t.Errorf("attempts %d, AUTH tries %d: a refused password must not be retried", res[0].Attempts, srv.auths)
	}
	if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindEmail, OutcomeFailure)); v != 1 {
		t.Errorf("failure count %v, want 1", v)
	}
	if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindEmail, OutcomeSuccess)); v != 0 {
		t.Errorf("success count %v, want 0", v)
	}
	if _, err := os.Stat(w.Path); err != nil {
		t.Errorf("the written file is gone: %v", err)
	}
	if strings.Contains(logs.String(), "wrong-password-value") || strings.Contains(res[0].Err.Error(), "wrong-password-value") {
		t.Errorf("the password leaked into the log or error: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "export delivery failed") {
		t.Errorf("no failure logged: %s", logs.String())
	}
}

// hookServer is a loopback HTTP server standing in for Slack's incoming
// webhook or a receiver: it answers with the statuses queued, then 200.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	retry    string // Retry-After sent with a non-2xx status
	bodies   [][]byte
	auth     []string
	ok       int // requests answered 2xx
}

func startHook(t *testing.T, statuses ...int) *hookServer {
	h := &hookServer{statuses: statuses}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bodies = append(h.bodies, b)
		h.auth = append(h.auth, r.Header.Get("Authorization"))
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want POST application/json", http.StatusBadRequest)
			return
		}
		if len(h.statuses) > 0 {
			s := h.statuses[0]
			h.statuses = h.statuses[1:]
			if h.retry != "" {
				w.Header().Set("Retry-After", h.retry)
			}
			http.Error(w, http.StatusText(s), s)
			return
		}
		h.ok++
		// Slack answers a delivered message with "ok".
		io.WriteString(w, "ok")
	}))
	t.Cleanup(h.Close)
	return h
}

func TestSlackPayloadBlocks(t *testing.T) {
	w := written(t, "html", "<html></html>")
	w.Summary.Teams = append(w.Summary.Teams, TeamSummary{Team: "", Fields: []Field{{"Interruptions", "0"}}})
	w.Summary.Teams[0].Team = "pay<ments>"
	body, err := SlackPayload(w)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"text":"Pager fatigue, 30d to 2026-12-07","blocks":[` +
		`{"type":"header","text":{"type":"plain_text","text":"Pager fatigue, 30d to 2026-12-07"}},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":"weekly-fatigue · window 30d ending 2026-12-07 08:00 UTC · weekly-fatigue-2026-12-07.html"}]},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*pay&lt;ments&gt;*"},"fields":[{"type":"mrkdwn","text":"*Interruptions*\n12"},{"type":"mrkdwn","text":"*Sleep interruptions*\n3"}]},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*Noisiest alert*\ncheckout/HighLatency (9 alerts): tune or delete"}},` +
		`{"type":"divider"},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*(no team)*"},"fields":[{"type":"mrkdwn","text":"*Interruptions*\n0"}]},` +
		`{"type":"divider"}]}`
	if string(body) != want {
		t.Errorf("payload\n got %s\nwant %s", body, want)
	}
}

func TestSlackRetriesA500ThenDeliversOnce(t *testing.T) {
	h := startHook(t, 500)
	w := written(t, "html", "<html></html>")
	tg := Target{Slack: &Slack{WebhookURLFile: secretFile(t, h.URL+"/services/T000/B000/XXXX")}}
	d, _ := newDeliverer(t, map[string][]Target{w.Export: {tg}})
	res := d.Deliver(context.Background(), w, []Target{tg})
	if res[0].Err != nil || res[0].Attempts != 2 {
		t.Fatalf("result %+v, want delivered on the 2nd attempt", res[0])
	}
	if h.ok != 1 || len(h.bodies) != 2 || !bytes.Equal(h.bodies[0], h.bodies[1]) {
		t.Errorf("server: %d delivered of %d requests; want the same message delivered once", h.ok, len(h.bodies))
	}
	want, _ := SlackPayload(w)
	if !bytes.Equal(h.bodies[1], want) {
		t.Errorf("body is not the Block Kit payload")
	}
	if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindSlack, OutcomeSuccess)); v != 1 {
		t.Errorf("success count %v", v)
	}
	if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindSlack, OutcomeFailure)); v != 0 {
		t.Errorf("failure count %v", v)
	}
}

// Slack's limits (slack.go) hold for a summary far over them: 60 teams,
// every field and note oversized.
func TestSlackLimitsOnALargeSummary(t *testing.T) {
	w := written(t, "html", "<html></html>")
	long := strings.Repeat("x", 5000)
	var lines []string
	for i := range 400 {
		lines = append(lines, fmt.Sprintf("INC-%04d checkout-api latency over SLO for 3h", i))
	}
	w.Summary.Title = strings.Repeat("T", 400)
	w.Summary.Teams = nil
	for i := range 60 {
		ts := TeamSummary{Team: fmt.Sprintf("team-%02d-%s", i, long), Notes: []Note{{"Open incidents handed over", lines}}}
		for j := range 14 {
			ts.Fields = append(ts.Fields, Field{fmt.Sprintf("figure %d", j), long})
		}
		w.Summary.Teams = append(w.Summary.Teams, ts)
	}
	body, err := SlackPayload(w)
	if err != nil {
		t.Fatal(err)
	}
	var m slackMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Blocks) > slackMaxBlocks {
		t.Errorf("%d blocks, Slack takes at most %d", len(m.Blocks), slackMaxBlocks)
	}
	n := func(s string) int { return utf8.RuneCountInString(s) }
	teams := 0
	for i, b := range m.Blocks {
		switch b.Type {
		case "header":
			if n(b.Text.Text) > slackHeaderMax {
				t.Errorf("block %d: header of %d characters", i, n(b.Text.Text))
			}
		case "section":
			if b.Text != nil && n(b.Text.Text) > slackSectionTextMax {
				t.Errorf("block %d: section text of %d characters", i, n(b.Text.Text))
			}
			if len(b.Fields) > slackMaxFields {
				t.Errorf("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if n(f.Text) > slackFieldTextMax {
					t.Errorf("block %d: field of %d characters", i, n(f.Text))
				}
			}
			if len(b.Fields) > 0 {
				teams++
			}
			if b.Text != nil && strings.HasPrefix(b.Text.Text, "*Open incidents") && !strings.Contains(b.Text.Text, "more") {
				t.Errorf("block %d: a cut note does not say how many lines it left out", i)
			}
		case "context":
			if len(b.Elements) > 10 {
				t.Errorf("block %d: %d context elements", i, len(b.Elements))
			}
		}
	}
	last := m.Blocks[len(m.Blocks)-1]
	wantLast := fmt.Sprintf("…and %d more teams: see weekly-fatigue-2026-12-07.html", 60-teams)
	if last.Type != "context" || last.Elements[0].Text != wantLast {
		t.Errorf("last block %+v, want %q", last, wantLast)
	}
	// header + context + 3 blocks per team + the last line: 15 teams.
	if teams != 15 {
		t.Errorf("%d teams shown, want 15 (3 blocks each within 50)", teams)
	}
}

func TestWebhookPostsTheMachineFormat(t *testing.T) {
	h := startHook(t)
	w := written(t, "html", "<html></html>")
	tg := Target{Webhook: &Webhook{URL: h.URL + "/reports", BearerTokenFile: secretFile(t, "tok-123")}}
	d, _ := newDeliverer(t, map[string][]Target{w.Export: {tg}})
	res := d.Deliver(context.Background(), w, []Target{tg})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if !bytes.Equal(h.bodies[0], w.JSON) || h.auth[0] != "Bearer tok-123" {
		t.Errorf("got body %s auth %q", h.bodies[0], h.auth[0])
	}
}

func TestWebhookRetries(t *testing.T) {
	for _, tc := range []struct {
		name         string
		statuses     []int
		retryAfter   string
		wantAttempts int
		wantOK       bool
		minElapsed   time.Duration
	}{
		{"4xx is permanent", []int{404}, "", 1, false, 0},
		{"5xx until the attempts run out", []int{503, 503, 503, 503, 503}, "", DefaultAttempts, false, 0},
		// The backoff is 1 ms: a 1 s wait is Retry-After's.
		{"429 honours Retry-After", []int{429}, "1", 2, true, 900 * time.Millisecond},
		{"Retry-After over the cap ends the retries", []int{429}, "3600", 1, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHook(t, tc.statuses...)
			h.retry = tc.retryAfter
			w := written(t, "json", "{}")
			tg := Target{Webhook: &Webhook{URL: h.URL}}
			d, _ := newDeliverer(t, map[string][]Target{w.Export: {tg}})
			start := time.Now()
			res := d.Deliver(context.Background(), w, []Target{tg})
			if res[0].Attempts != tc.wantAttempts || (res[0].Err == nil) != tc.wantOK {
				t.Errorf("attempts %d err %v; want %d attempts, delivered %v", res[0].Attempts, res[0].Err, tc.wantAttempts, tc.wantOK)
			}
			if el := time.Since(start); el < tc.minElapsed {
				t.Errorf("took %s: Retry-After not honoured", el)
			}
			outcome := OutcomeFailure
			if tc.wantOK {
				outcome = OutcomeSuccess
			}
			if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindWebhook, outcome)); v != 1 {
				t.Errorf("%s count %v, want 1", outcome, v)
			}
		})
	}
}

func TestCountersStartAtZero(t *testing.T) {
	tgs := []Target{{Slack: &Slack{WebhookURLFile: "/x"}}, {Webhook: &Webhook{URL: "https://x"}}}
	_, reg := newDeliverer(t, map[string][]Target{"weekly": tgs})
	n, err := testutil.GatherAndCount(reg, "pagerlens_export_deliveries_total")
	if err != nil {
		t.Fatal(err)
	}
	// 2 targets × 2 outcomes.
	if n != 4 {
		t.Errorf("%d series at start, want 4", n)
	}
}

func TestProblems(t *testing.T) {
	f := false
	for _, tc := range []struct {
		name string
		t    Target
		want []string // "key: message prefix"
	}{
		{"none", Target{}, []string{": want exactly one"}},
		{"two", Target{Slack: &Slack{WebhookURLFile: "x"}, Webhook: &Webhook{URL: "https://x"}}, []string{": want exactly one"}},
		{"email empty", Target{Email: &Email{}}, []string{"email.to: empty", "email.from: empty", "email.smtp.host: empty"}},
		{"email bad", Target{Email: &Email{To: []string{"not an address"}, From: "a@b", SMTP: SMTP{Host: "smtp.example.com", Username: "u", Port: 70000, StartTLS: &f}}},
			[]string{`email.to[0]: "not an address"`, "email.smtp.port: 70000", "email.smtp.password_file: username and", "email.smtp.starttls: false is allowed only"}},
		{"email loopback without TLS", Target{Email: &Email{To: []string{"a@b"}, From: "a@b", SMTP: SMTP{Host: "127.0.0.1", Port: 25, StartTLS: &f}}}, nil},
		{"slack", Target{Slack: &Slack{}}, []string{"slack.webhook_url_file: empty"}},
		{"webhook scheme", Target{Webhook: &Webhook{URL: "ftp://x"}}, []string{`webhook.url: "ftp://x" is not`}},
		{"webhook creds", Target{Webhook: &Webhook{URL: "https://u:p@x"}}, []string{"webhook.url: credentials"}},
		{"webhook token in clear", Target{Webhook: &Webhook{URL: "http://hooks.example.com", BearerTokenFile: "t"}}, []string{"webhook.url: http with a bearer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range tc.t.Problems() {
				got = append(got, p.Key+": "+p.Msg)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d: %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %q, want prefix %q", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	h := startHook(t)
	w := written(t, "csv", "a\n1\n")
	var out bytes.Buffer
	tgs := []Target{
		{Email: &Email{To: []string{"a@example.com"}, From: "p@example.com", SMTP: SMTP{Host: "smtp.example.com", Username: "u", PasswordFile: "/nonexistent"}}},
		{Slack: &Slack{WebhookURLFile: "/etc/pagerlens/slack.url"}},
		{Webhook: &Webhook{URL: h.URL}},
	}
	if err := DryRun(&out, w, tgs); err != nil {
		t.Fatal(err)
	}
	if len(h.bodies) != 0 {
		t.Errorf("dry run posted %d requests", len(h.bodies))
	}
	for _, s := range []string{"SMTP smtp.example.com:587, STARTTLS required", "attached (weekly-fatigue-2026-12-07.csv)", `"type": "header"`, "POST " + h.URL} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("dry run output lacks %q:\n%s", s, out.String())
		}
	}
}

// A Slack webhook that cannot be reached is retried, then a failure whose
// error and log never show the URL (the credential).
func TestSlackUnreachableHidesTheURL(t *testing.T) {
	h := startHook(t)
	url := h.URL + "/services/T000/B000/SECRETPART"
	h.Close()
	w := written(t, "html", "<html></html>")
	tg := Target{Slack: &Slack{WebhookURLFile: secretFile(t, url)}}
	var logs bytes.Buffer
	d, err := New(Options{Exports: map[string][]Target{w.Export: {tg}}, Backoff: time.Millisecond, Attempts: 2, Logger: slogTo(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), w, []Target{tg})
	if res[0].Err == nil || res[0].Attempts != 2 {
		t.Fatalf("result %+v, want a failure after 2 attempts", res[0])
	}
	if strings.Contains(res[0].Err.Error()+logs.String(), "SECRETPART") {
		t.Errorf("the webhook URL leaked: %v\n%s", res[0].Err, logs.String())
	}
}

// starttls: false (loopback only) sends in clear with AUTH, and New warns
// about it.
func TestEmailWithoutTLSOnLoopback(t *testing.T) {
	srv := startSMTPWith(t, "pagerlens", "pw", true, false)
	f := false
	tg := emailTarget(srv, t, secretFile(t, "pw"))
	tg.Email.SMTP.StartTLS = &f
	tg.Email.SMTP.CAFile = ""
	if ps := tg.Problems(); len(ps) != 0 {
		t.Fatalf("problems %v", ps)
	}
	w := written(t, "csv", "a\n")
	var logs bytes.Buffer
	d, err := New(Options{Exports: map[string][]Target{w.Export: {tg}}, Backoff: time.Millisecond, Logger: slogTo(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "without STARTTLS") {
		t.Errorf("no warning at start: %s", logs.String())
	}
	res := d.Deliver(context.Background(), w, []Target{tg})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	got := srv.received()
	if len(got) != 1 || got[0].tls || got[0].authUser != "pagerlens" {
		t.Errorf("received %+v, want one message without TLS, authenticated", got)
	}
}

// With starttls (the default) a relay that does not offer STARTTLS gets
// nothing: no AUTH, no message in clear; a counted failure.
func TestEmailRefusesARelayWithoutSTARTTLS(t *testing.T) {
	srv := startSMTPWith(t, "pagerlens", "pw", true, false)
	w := written(t, "csv", "a\n")
	tg := emailTarget(srv, t, secretFile(t, "pw"))
	d, _ := newDeliverer(t, map[string][]Target{w.Export: {tg}})
	res := d.Deliver(context.Background(), w, []Target{tg})
	if res[0].Err == nil {
		t.Fatal("sent without STARTTLS")
	}
	if len(srv.received()) != 0 || srv.auths != 0 {
		t.Errorf("%d messages, %d AUTH attempts reached the relay in clear", len(srv.received()), srv.auths)
	}
	if v := testutil.ToFloat64(d.count.WithLabelValues(w.Export, KindEmail, OutcomeFailure)); v != 1 {
		t.Errorf("failure count %v", v)
	}
}
