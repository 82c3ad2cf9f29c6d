package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/webhook"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

// The test credentials, each written to a file as an operator would.
const (
	pdSecret      = "pd-subscription-secret"
	grafanaSecret = "grafana-hmac-secret"
	amToken       = "am-bearer-token"
	ogUser        = "opsgenie"
	ogPass        = "og-password"
	ocUser        = "oncall"
	ocPass        = "oc-password"
	canonToken    = "canonical-token"
)

// svixKey is incident.io's signing key; the secret file holds whsec_<base64>.
var svixKey = []byte("incident-io-signing-key-0123456")

// incident.io's fixture headers carry this delivery id and timestamp; the
// tests' clock is set just after it.
const (
	ioWebhookID = "msg_2XkR4mQ9"
	ioTimestamp = 1772593510
)

var testNow = time.Unix(ioTimestamp+20, 0)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// allSources configures every source with its credential files in dir.
func allSources(t *testing.T, dir string) webhook.Config {
	t.Helper()
	return webhook.Config{
		PagerDuty:    &webhook.Source{SecretFile: writeFile(t, dir, "pd.secret", pdSecret+"\n")},
		IncidentIO:   &webhook.Source{SecretFile: writeFile(t, dir, "io.secret", "whsec_"+base64.StdEncoding.EncodeToString(svixKey)+"\n")},
		Grafana:      &webhook.Source{SecretFile: writeFile(t, dir, "grafana.secret", grafanaSecret)},
		Alertmanager: &webhook.Source{BearerTokenFile: writeFile(t, dir, "am.token", amToken+"\n")},
		Opsgenie:     &webhook.Source{BasicAuth: &webhook.BasicAuth{Username: ogUser, PasswordFile: writeFile(t, dir, "og.pass", ogPass)}},
		OnCall:       &webhook.Source{BasicAuth: &webhook.BasicAuth{Username: ocUser, PasswordFile: writeFile(t, dir, "oc.pass", ocPass)}},
		Canonical:    &webhook.Source{BearerTokenFile: writeFile(t, dir, "canon.token", canonToken)},
	}
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func signPagerDuty(secret string, body []byte) string {
	return "v1=" + hex.EncodeToString(hmacSHA256([]byte(secret), body))
}

func signSvix(key []byte, id string, ts int64, body []byte) string {
	msg := id + "." + strconv.FormatInt(ts, 10) + "." + string(body)
	return "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(msg)))
}

func signGrafana(secret, ts string, body []byte) string {
	msg := body
	if ts != "" {
		msg = []byte(ts + ":" + string(body))
	}
	return hex.EncodeToString(hmacSHA256([]byte(secret), msg))
}

// sample is one source's fixture body and how its tool authenticates it.
type sample struct {
	source string
	body   []byte
	sign   func(h http.Header, body []byte)
}

func samples(t *testing.T) []sample {
	t.Helper()
	var ioHeaders map[string]string
	if err := json.Unmarshal(fixtures.Read(t, "incidentio/status-updated.headers.json"), &ioHeaders); err != nil {
		t.Fatal(err)
	}
	firstLine := func(b []byte) []byte {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Scan()
		return append([]byte(nil), sc.Bytes()...)
	}
	return []sample{
		{webhook.PagerDuty, fixtures.Read(t, "pagerduty/incident.triggered.json"), func(h http.Header, b []byte) {
			h.Set("X-PagerDuty-Signature", signPagerDuty(pdSecret, b))
			h.Set("X-Webhook-Id", "pd-delivery-1")
		}},
		{webhook.IncidentIO, fixtures.Read(t, "incidentio/status-updated.json"), func(h http.Header, b []byte) {
			for k, v := range ioHeaders {
				h.Set(k, v)
			}
			ts, _ := strconv.ParseInt(ioHeaders["webhook-timestamp"], 10, 64)
			h.Set("webhook-signature", signSvix(svixKey, ioHeaders["webhook-id"], ts, b))
		}},
		{webhook.Grafana, fixtures.Read(t, "grafana/firing.json"), func(h http.Header, b []byte) {
			ts := strconv.FormatInt(testNow.Unix()-5, 10)
			h.Set(webhook.GrafanaTimestampHeader, ts)
			h.Set(webhook.GrafanaSignatureHeader, signGrafana(grafanaSecret, ts, b))
		}},
		{webhook.Alertmanager, fixtures.Read(t, "alertmanager/firing.json"), func(h http.Header, _ []byte) {
			h.Set("Authorization", "Bearer "+amToken)
		}},
		{webhook.Opsgenie, fixtures.Read(t, "opsgenie/create.json"), func(h http.Header, _ []byte) {
			h.Set("Authorization", basic(ogUser, ogPass))
		}},
		{webhook.OnCall, fixtures.Read(t, "oncall/acknowledge.json"), func(h http.Header, _ []byte) {
			h.Set("Authorization", basic(ocUser, ocPass))
		}},
		{webhook.Canonical, firstLine(fixtures.Read(t, "canonical/incident-lifecycle.jsonl")), func(h http.Header, _ []byte) {
			h.Set("Authorization", "Bearer "+canonToken)
		}},
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// wantEvents is what the source's decoder makes of body.
func wantEvents(t *testing.T, s sample, h http.Header) int {
	t.Helper()
	dec, err := decode.New(s.source, decode.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var hs []event.Header
	for k := range h {
		hs = append(hs, event.Header{Key: strings.ToLower(k), Value: []byte(h.Get(k))})
	}
	evs, err := dec.Decode(decode.Message{Value: s.body, Headers: hs, Time: testNow})
	if err != nil {
		t.Fatalf("fixture of %s does not decode: %v", s.source, err)
	}
	if len(evs) == 0 {
		t.Fatalf("fixture of %s decodes to no event", s.source)
	}
	return len(evs)
}

type env struct {
	srv *httptest.Server
	h   *webhook.Handler
	st  *store.Store
	dir string
	reg *prometheus.Registry // the handler's self-metrics
}

// newDirect serves every source in direct mode over a real loopback server
// and a DuckDB file.
func newDirect(t *testing.T, mutate func(*webhook.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := allSources(t, dir)
	if mutate != nil {
		mutate(&cfg)
	}
	st := testkit.OpenStore(t)
	reg := prometheus.NewPedanticRegistry()
	h, err := webhook.New(webhook.Options{Config: cfg, Store: st, Registerer: reg, Now: func() time.Time { return testNow }, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{srv: srv, h: h, st: st, dir: dir, reg: reg}
}

type answer struct {
	code   int
	header http.Header
	body   map[string]any
}

func post(t *testing.T, url string, body []byte, h http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	return a
}

func counts(t *testing.T, s *store.Store) store.Counts {
	t.Helper()
	c, err := s.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignedRequestStoredOnce(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.source, func(t *testing.T) {
			e := newDirect(t, nil)
			h := http.Header{}
			s.sign(h, s.body)
			want := wantEvents(t, s, h)
			for i := range 2 { // delivered twice, as a sender's retry would
				a := post(t, e.srv.URL+"/webhooks/"+s.source, s.body, h)
				if a.code != http.StatusOK {
					t.Fatalf("delivery %d: %d %v", i+1, a.code, a.body)
				}
				if got := int(a.body["events"].(float64)); got != want {
					t.Errorf("delivery %d: answer says %d events, want %d", i+1, got, want)
				}
			}
			if c := counts(t, e.st); c.Events != int64(want) || c.DeadLetters != 0 {
				t.Errorf("store has %d events and %d dead letters, want %d and 0", c.Events, c.DeadLetters, want)
			}
			var topic string
			if err := e.st.DB().QueryRow(`SELECT any_value(kafka_topic) FROM events`).Scan(&topic); err != nil {
				t.Fatal(err)
			}
			if topic != "webhook/"+s.source {
				t.Errorf("events recorded with topic %q, want webhook/%s", topic, s.source)
			}
			if got := requests(t, e, s.source, "200"); got != 2 {
				t.Errorf("pagerlens_webhook_requests_total{source=%s,code=200} = %v, want 2", s.source, got)
			}
		})
	}
}

// requests is pagerlens_webhook_requests_total{source, code} (0 when the
// series does not exist).
func requests(t *testing.T, e *env, source, code string) float64 {
	t.Helper()
	return testkit.Series(t, e.reg)[fmt.Sprintf("%s{code=%q,source=%q}", metricnames.WebhookRequestsTotal, code, source)]
}

func TestRefused(t *testing.T) {
	ss := map[string]sample{}
	for _, s := range samples(t) {
		ss[s.source] = s
	}
	pd, io, gr := ss[webhook.PagerDuty], ss[webhook.IncidentIO], ss[webhook.Grafana]
	tests := []struct {
		name   string
		source string
		body   []byte
		header func(h http.Header)
		want   string // in the answer's error
	}{
		{"pagerduty missing signature", webhook.PagerDuty, pd.body, func(h http.Header) {}, "missing X-PagerDuty-Signature"},
		{"pagerduty wrong secret", webhook.PagerDuty, pd.body, func(h http.Header) {
			h.Set("X-PagerDuty-Signature", signPagerDuty("not-the-secret", pd.body))
		}, "does not match"},
		{"pagerduty signature of another body", webhook.PagerDuty, pd.body, func(h http.Header) {
			h.Set("X-PagerDuty-Signature", signPagerDuty(pdSecret, []byte(`{"event":{}}`)))
		}, "does not match"},
		{"pagerduty not hex", webhook.PagerDuty, pd.body, func(h http.Header) { h.Set("X-PagerDuty-Signature", "v1=zz") }, "no v1 signature"},
		{"incidentio stale timestamp", webhook.IncidentIO, io.body, func(h http.Header) {
			ts := testNow.Add(-6 * time.Minute).Unix()
			h.Set("webhook-id", ioWebhookID)
			h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
			h.Set("webhook-signature", signSvix(svixKey, ioWebhookID, ts, io.body))
		}, "old"},
		{"incidentio future timestamp", webhook.IncidentIO, io.body, func(h http.Header) {
			ts := testNow.Add(6 * time.Minute).Unix()
			h.Set("webhook-id", ioWebhookID)
			h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
			h.Set("webhook-signature", signSvix(svixKey, ioWebhookID, ts, io.body))
		}, "future"},
		{"incidentio wrong key", webhook.IncidentIO, io.body, func(h http.Header) {
			h.Set("webhook-id", ioWebhookID)
			h.Set("webhook-timestamp", strconv.Itoa(ioTimestamp))
			h.Set("webhook-signature", signSvix([]byte("another key"), ioWebhookID, ioTimestamp, io.body))
		}, "does not match"},
		{"incidentio id swapped", webhook.IncidentIO, io.body, func(h http.Header) {
			h.Set("webhook-id", "msg_other")
			h.Set("webhook-timestamp", strconv.Itoa(ioTimestamp))
			h.Set("webhook-signature", signSvix(svixKey, ioWebhookID, ioTimestamp, io.body))
		}, "does not match"},
		{"incidentio missing headers", webhook.IncidentIO, io.body, func(h http.Header) {}, "missing webhook-id"},
		{"grafana wrong signature", webhook.Grafana, gr.body, func(h http.Header) {
			h.Set(webhook.GrafanaSignatureHeader, signGrafana("nope", "", gr.body))
		}, "does not match"},
		{"grafana timestamp not signed", webhook.Grafana, gr.body, func(h http.Header) {
			// A signature of the body alone, replayed with a fresh timestamp.
			h.Set(webhook.GrafanaSignatureHeader, signGrafana(grafanaSecret, "", gr.body))
			h.Set(webhook.GrafanaTimestampHeader, strconv.FormatInt(testNow.Unix(), 10))
		}, "does not match"},
		{"grafana stale timestamp", webhook.Grafana, gr.body, func(h http.Header) {
			ts := strconv.FormatInt(testNow.Add(-10*time.Minute).Unix(), 10)
			h.Set(webhook.GrafanaTimestampHeader, ts)
			h.Set(webhook.GrafanaSignatureHeader, signGrafana(grafanaSecret, ts, gr.body))
		}, "old"},
		{"grafana missing signature", webhook.Grafana, gr.body, func(h http.Header) {}, "missing X-Grafana-Alerting-Signature"},
		{"alertmanager missing token", webhook.Alertmanager, ss[webhook.Alertmanager].body, func(h http.Header) {}, "missing bearer token"},
		{"alertmanager wrong token", webhook.Alertmanager, ss[webhook.Alertmanager].body, func(h http.Header) {
			h.Set("Authorization", "Bearer "+amToken+"x")
		}, "wrong bearer token"},
		{"alertmanager basic instead of bearer", webhook.Alertmanager, ss[webhook.Alertmanager].body, func(h http.Header) {
			h.Set("Authorization", basic("x", amToken))
		}, "missing bearer token"},
		{"opsgenie wrong password", webhook.Opsgenie, ss[webhook.Opsgenie].body, func(h http.Header) {
			h.Set("Authorization", basic(ogUser, "guess"))
		}, "wrong basic auth"},
		{"opsgenie wrong user", webhook.Opsgenie, ss[webhook.Opsgenie].body, func(h http.Header) {
			h.Set("Authorization", basic("admin", ogPass))
		}, "wrong basic auth"},
		{"oncall missing credentials", webhook.OnCall, ss[webhook.OnCall].body, func(h http.Header) {}, "missing basic auth"},
		{"canonical wrong token", webhook.Canonical, ss[webhook.Canonical].body, func(h http.Header) {
			h.Set("Authorization", "Bearer "+amToken)
		}, "wrong bearer token"},
	}
	e := newDirect(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			tt.header(h)
			a := post(t, e.srv.URL+"/webhooks/"+tt.source, tt.body, h)
			if a.code != http.StatusUnauthorized {
				t.Fatalf("answer %d %v, want 401", a.code, a.body)
			}
			if msg, _ := a.body["error"].(string); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to mention %q", msg, tt.want)
			}
			if c := counts(t, e.st); c.Events != 0 || c.DeadLetters != 0 {
				t.Errorf("store has %d events and %d dead letters after a refused request", c.Events, c.DeadLetters)
			}
		})
	}
	got := requests(t, e, webhook.Alertmanager, "401")
	if got != 3 {
		t.Errorf("pagerlens_webhook_requests_total{source=alertmanager,code=401} = %v, want 3", got)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newDirect(t, func(c *webhook.Config) { c.MaxBodyBytes = 64 << 10 })
	huge := []byte(`{"event":{"id":"` + strings.Repeat("x", 100<<10) + `"}}`)
	tests := []struct {
		name    string
		chunked bool // no Content-Length: the limit is met while reading
	}{{"content-length", false}, {"chunked", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(huge)
			if tt.chunked {
				r = io.MultiReader(r) // hides the length from net/http
			}
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/pagerduty", r)
			req.Header.Set("X-PagerDuty-Signature", signPagerDuty(pdSecret, huge))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("answer %d, want 413", resp.StatusCode)
			}
			if c := counts(t, e.st); c.Events != 0 || c.DeadLetters != 0 {
				t.Errorf("store has %d events and %d dead letters", c.Events, c.DeadLetters)
			}
		})
	}
}

// The default limit is 1 MiB.
func TestDefaultBodyLimit(t *testing.T) {
	e := newDirect(t, nil)
	huge := bytes.Repeat([]byte("a"), 1<<20+1)
	h := http.Header{"Authorization": {"Bearer " + amToken}}
	if a := post(t, e.srv.URL+"/webhooks/alertmanager", huge, h); a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("answer %d, want 413", a.code)
	}
}

func TestRejectedBodyDeadLettered(t *testing.T) {
	tests := []struct {
		source string
		body   []byte
		sign   func(h http.Header, b []byte)
		reason string
	}{
		{webhook.PagerDuty, fixtures.Read(t, "bad/truncated.json"), func(h http.Header, b []byte) {
			h.Set("X-PagerDuty-Signature", signPagerDuty(pdSecret, b))
		}, "invalid_json"},
		{webhook.Canonical, fixtures.Read(t, "bad/missing-id.json"), func(h http.Header, _ []byte) {
			h.Set("Authorization", "Bearer "+canonToken)
		}, "missing_field"},
		{webhook.Alertmanager, []byte(`{"version":"3","alerts":[]}`), func(h http.Header, _ []byte) {
			h.Set("Authorization", "Bearer "+amToken)
		}, "unknown_format"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			e := newDirect(t, nil)
			h := http.Header{}
			tt.sign(h, tt.body)
			for i := range 2 {
				a := post(t, e.srv.URL+"/webhooks/"+tt.source, tt.body, h)
				if a.code != http.StatusBadRequest {
					t.Fatalf("delivery %d: answer %d %v, want 400", i+1, a.code, a.body)
				}
				if a.body["reason"] != tt.reason || a.body["error"] == "" {
					t.Errorf("delivery %d: answer %v, want reason %s and the decoder's message", i+1, a.body, tt.reason)
				}
			}
			if c := counts(t, e.st); c.Events != 0 || c.DeadLetters != 1 {
				t.Fatalf("store has %d events and %d dead letters, want 0 and 1", c.Events, c.DeadLetters)
			}
			var topic, reason string
			var raw []byte
			if err := e.st.DB().QueryRow(`SELECT topic, reason, raw FROM dead_letters`).Scan(&topic, &reason, &raw); err != nil {
				t.Fatal(err)
			}
			if topic != "webhook/"+tt.source || reason != tt.reason || !bytes.Equal(raw, tt.body) {
				t.Errorf("dead letter (%s, %s, %q), want (webhook/%s, %s, the body)", topic, reason, raw, tt.source, tt.reason)
			}
		})
	}
}

// PagerDuty sends one signature per active secret while its secret is
// rotated; pagerlens may itself hold the old and the new secret.
func TestSecretRotation(t *testing.T) {
	e := newDirect(t, nil)
	pd := samples(t)[0]
	url := e.srv.URL + "/webhooks/pagerduty"

	h := http.Header{"X-Pagerduty-Signature": {signPagerDuty("next-secret", pd.body) + ", " + signPagerDuty(pdSecret, pd.body)}}
	if a := post(t, url, pd.body, h); a.code != http.StatusOK {
		t.Fatalf("two signatures, one ours: %d %v", a.code, a.body)
	}

	// The operator adds the new secret as a second line: both verify, no
	// restart needed.
	writeFile(t, e.dir, "pd.secret", pdSecret+"\nnext-secret\n")
	bump(t, filepath.Join(e.dir, "pd.secret"))
	for _, sec := range []string{pdSecret, "next-secret"} {
		h := http.Header{"X-Pagerduty-Signature": {signPagerDuty(sec, pd.body)}}
		if a := post(t, url, pd.body, h); a.code != http.StatusOK {
			t.Fatalf("secret %s after reload: %d %v", sec, a.code, a.body)
		}
	}
	// Then removes the old one.
	writeFile(t, e.dir, "pd.secret", "next-secret\n")
	bump(t, filepath.Join(e.dir, "pd.secret"))
	h = http.Header{"X-Pagerduty-Signature": {signPagerDuty(pdSecret, pd.body)}}
	if a := post(t, url, pd.body, h); a.code != http.StatusUnauthorized {
		t.Fatalf("old secret after its removal: %d, want 401", a.code)
	}
	// A file emptied by mistake keeps the last good secret.
	writeFile(t, e.dir, "pd.secret", "")
	bump(t, filepath.Join(e.dir, "pd.secret"))
	h = http.Header{"X-Pagerduty-Signature": {signPagerDuty("next-secret", pd.body)}}
	if a := post(t, url, pd.body, h); a.code != http.StatusOK {
		t.Fatalf("emptied secret file: %d, want the last good secret to verify", a.code)
	}
}

// bump moves a file's modification time so that a rewrite within the
// file system's time resolution is still seen as a change.
func bump(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	next := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(path, next, next); err != nil {
		t.Fatal(err)
	}
}

// Grafana without a timestamp header signs the body alone.
func TestGrafanaWithoutTimestamp(t *testing.T) {
	e := newDirect(t, nil)
	body := fixtures.Read(t, "grafana/firing.json")
	h := http.Header{webhook.GrafanaSignatureHeader: {signGrafana(grafanaSecret, "", body)}}
	if a := post(t, e.srv.URL+"/webhooks/grafana", body, h); a.code != http.StatusOK {
		t.Fatalf("answer %d %v", a.code, a.body)
	}
}

// OnCall sends no event.time with unresolve (nor unacknowledge, unsilence):
// the reopened alert group is stored at the webhook's arrival.
func TestOnCallTimelessAtArrival(t *testing.T) {
	e := newDirect(t, nil)
	body := fixtures.Read(t, "oncall/unresolve.json")
	h := http.Header{"Authorization": {basic(ocUser, ocPass)}}
	if a := post(t, e.srv.URL+"/webhooks/oncall", body, h); a.code != http.StatusOK {
		t.Fatalf("answer %d %v", a.code, a.body)
	}
	var at time.Time
	if err := e.st.DB().QueryRow(`SELECT time FROM events WHERE type = 'incident.reopened'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(testNow) {
		t.Errorf("incident.reopened stored at %s, want the arrival %s", at.UTC(), testNow.UTC())
	}
}

// Grafana's header names are settings of the contact point.
func TestGrafanaCustomHeaders(t *testing.T) {
	e := newDirect(t, func(c *webhook.Config) {
		c.Grafana.SignatureHeader = "X-Sig"
		c.Grafana.TimestampHeader = "X-Ts"
	})
	body := fixtures.Read(t, "grafana/firing.json")
	ts := strconv.FormatInt(testNow.Unix(), 10)
	h := http.Header{"X-Sig": {signGrafana(grafanaSecret, ts, body)}, "X-Ts": {ts}}
	if a := post(t, e.srv.URL+"/webhooks/grafana", body, h); a.code != http.StatusOK {
		t.Fatalf("answer %d %v", a.code, a.body)
	}
}

// Only configured sources are mounted, and only for POST.
func TestOnlyConfiguredSourcesMounted(t *testing.T) {
	e := newDirect(t, func(c *webhook.Config) { c.Opsgenie = nil })
	if got := e.h.Sources(); strings.Contains(strings.Join(got, ","), "opsgenie") {
		t.Errorf("Sources() = %v, opsgenie is not configured", got)
	}
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/webhooks/opsgenie", http.StatusNotFound},
		{http.MethodPost, "/webhooks/nosuch", http.StatusNotFound},
		{http.MethodGet, "/webhooks/pagerduty", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, e.srv.URL+tt.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	secret := writeFile(t, dir, "s", "x")
	empty := writeFile(t, dir, "empty", "\n\n")
	tests := []struct {
		name string
		cfg  webhook.Config
		want string
	}{
		{"mode", webhook.Config{Mode: "queue", Canonical: &webhook.Source{BearerTokenFile: secret}}, "webhooks.mode"},
		{"no credentials", webhook.Config{Alertmanager: &webhook.Source{}}, "webhooks.alertmanager: no credentials"},
		{"unsigned source with a secret", webhook.Config{Opsgenie: &webhook.Source{SecretFile: secret}}, "does not sign"},
		{"pagerduty without secret", webhook.Config{PagerDuty: &webhook.Source{BearerTokenFile: secret}}, "webhooks.pagerduty.secret_file: required"},
		{"basic auth without password", webhook.Config{OnCall: &webhook.Source{BasicAuth: &webhook.BasicAuth{Username: "u"}}}, "password_file"},
		{"missing file", webhook.Config{Canonical: &webhook.Source{BearerTokenFile: filepath.Join(dir, "nope")}}, "webhooks.canonical.bearer_token_file"},
		{"empty file", webhook.Config{Canonical: &webhook.Source{BearerTokenFile: empty}}, "no secret"},
		{"bad svix secret", webhook.Config{IncidentIO: &webhook.Source{SecretFile: writeFile(t, dir, "io", "whsec_!!!")}}, "line 1"},
		{"unknown topic source", webhook.Config{Topics: map[string]string{"pagerdoody": "x"}, Canonical: &webhook.Source{BearerTokenFile: secret}}, "unknown source"},
		{"kafka without brokers", webhook.Config{Mode: webhook.ModeKafka, Canonical: &webhook.Source{BearerTokenFile: secret}}, "no Kafka brokers"},
	}
	st := testkit.OpenStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(webhook.Options{Config: tt.cfg, Store: st})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "whsec_!!!") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}
