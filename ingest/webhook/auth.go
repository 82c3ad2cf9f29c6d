package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tolerance is how far a signed timestamp (incident.io, Grafana) may be from
// now, either way: older is a replay, newer a wrong clock.
const Tolerance = 5 * time.Minute

// Default Grafana header names. Grafana's signature header defaults to the
// first; its timestamp header has no default in Grafana, the second is the
// name Grafana's documentation uses.
const (
	GrafanaSignatureHeader = "X-Grafana-Alerting-Signature"
	GrafanaTimestampHeader = "X-Grafana-Alerting-Signature-Timestamp"
)

// authError is a refused credential; msg says what was wrong without any
// secret, and is safe to return to the caller.
type authError struct {
	msg       string
	challenge string // WWW-Authenticate value, if any
}

func (e *authError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &authError{msg: fmt.Sprintf(format, args...)} }

// secretFile is a file of accepted secrets, one a line, re-read when its
// modification time or size changes so that a rotated secret needs no
// restart. A file that becomes unreadable or empty keeps the last good
// secrets (and is logged): a bad edit must not open or close the door.
type secretFile struct {
	path  string
	what  string // config key, for messages
	parse func(string) ([]byte, error)
	log   *slog.Logger

	mu      sync.Mutex
	modTime time.Time
	size    int64
	vals    [][]byte
}

func newSecretFile(path, what string, parse func(string) ([]byte, error), log *slog.Logger) (*secretFile, error) {
	if parse == nil {
		parse = func(s string) ([]byte, error) { return []byte(s), nil }
	}
	f := &secretFile{path: path, what: what, parse: parse, log: log}
	if err := f.load(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *secretFile) load() error {
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("%s: %w", f.what, err)
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("%s: %w", f.what, err)
	}
	var vals [][]byte
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		v, err := f.parse(line)
		if err != nil {
			// The line number only: the value is a secret.
			return fmt.Errorf("%s %s line %d: %w", f.what, f.path, i+1, err)
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return fmt.Errorf("%s %s: no secret in the file", f.what, f.path)
	}
	f.modTime, f.size, f.vals = fi.ModTime(), fi.Size(), vals
	return nil
}

// get returns the accepted secrets, reloading the file if it changed.
func (f *secretFile) get() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fi, err := os.Stat(f.path); err == nil && (!fi.ModTime().Equal(f.modTime) || fi.Size() != f.size) {
		if err := f.load(); err != nil {
			f.log.Warn("webhook secret file changed but cannot be used; keeping the previous secrets", "err", err)
			// Do not retry on every request until the file changes again.
			f.modTime, f.size = fi.ModTime(), fi.Size()
		} else {
			f.log.Info("webhook secret file reloaded", "path", f.path)
		}
	}
	return f.vals
}

// svixSecret decodes an incident.io (Svix) signing secret: base64 after the
// whsec_ prefix.
func svixSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		return nil, errors.New("not a whsec_<base64> signing secret")
	}
	return b, nil
}

// A check verifies one credential of a request. Header checks run before
// the body is read, so an unauthenticated sender cannot make pagerlens
// read a body at all.
type check struct {
	header func(r *http.Request) error
	body   func(r *http.Request, body []byte, now time.Time) error
}

func bearerCheck(tokens *secretFile) check {
	return check{header: func(r *http.Request) error {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(got) == "" {
			return &authError{msg: "missing bearer token", challenge: `Bearer realm="pagerlens"`}
		}
		if !anyEqual(tokens.get(), []byte(strings.TrimSpace(got))) {
			return &authError{msg: "wrong bearer token", challenge: `Bearer realm="pagerlens"`}
		}
		return nil
	}}
}

func basicCheck(user string, passwords *secretFile) check {
	return check{header: func(r *http.Request) error {
		u, p, ok := r.BasicAuth()
		if !ok {
			return &authError{msg: "missing basic auth credentials", challenge: `Basic realm="pagerlens"`}
		}
		// Both compared, always, so that timing does not tell which was wrong.
		userOK := anyEqual([][]byte{[]byte(user)}, []byte(u))
		passOK := anyEqual(passwords.get(), []byte(p))
		if !userOK || !passOK {
			return &authError{msg: "wrong basic auth credentials", challenge: `Basic realm="pagerlens"`}
		}
		return nil
	}}
}

// anyEqual reports whether got equals one of want, in constant time per
// comparison. Both sides are hashed first so that neither the length of a
// secret nor a common prefix can be learnt from timing.
func anyEqual(want [][]byte, got []byte) bool {
	g := sha256.Sum256(got)
	ok := false
	for _, w := range want {
		h := sha256.Sum256(w)
		if hmac.Equal(h[:], g[:]) {
			ok = true
		}
	}
	return ok
}

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// pagerDutyCheck verifies X-PagerDuty-Signature: comma-separated "v1=<hex>"
// HMAC-SHA256 signatures of the raw body, several while PagerDuty rotates
// the subscription's secret; one match with one of our secrets passes.
func pagerDutyCheck(secrets *secretFile) check {
	return check{body: func(r *http.Request, body []byte, _ time.Time) error {
		h := r.Header.Get("X-PagerDuty-Signature")
		if h == "" {
			return refuse("missing X-PagerDuty-Signature header")
		}
		var sigs [][]byte
		for _, s := range strings.Split(h, ",") {
			v, ok := strings.CutPrefix(strings.TrimSpace(s), "v1=")
			if !ok {
				continue // another scheme version: not ours to judge
			}
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
		if len(sigs) == 0 {
			return refuse("X-PagerDuty-Signature has no v1 signature")
		}
		for _, key := range secrets.get() {
			want := mac(key, body)
			for _, s := range sigs {
				if hmac.Equal(want, s) {
					return nil
				}
			}
		}
		return refuse("X-PagerDuty-Signature does not match the body")
	}}
}

// svixCheck verifies incident.io's Svix (Standard Webhooks) signature:
// webhook-signature holds space-separated "v1,<base64>" HMAC-SHA256
// signatures of "<webhook-id>.<webhook-timestamp>.<body>", keyed with the
// decoded secret; the timestamp must be within Tolerance of now.
func svixCheck(secrets *secretFile) check {
	return check{body: func(r *http.Request, body []byte, now time.Time) error {
		id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		if id == "" || ts == "" || sig == "" {
			return refuse("missing webhook-id, webhook-timestamp or webhook-signature header")
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return refuse("webhook-timestamp %q is not Unix seconds", ts)
		}
		if err := within(time.Unix(sec, 0), now); err != nil {
			return err
		}
		var sigs [][]byte
		for _, s := range strings.Fields(sig) {
			v, ok := strings.CutPrefix(s, "v1,")
			if !ok {
				continue // v1a (asymmetric) or a future version
			}
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
		if len(sigs) == 0 {
			return refuse("webhook-signature has no v1 signature")
		}
		for _, key := range secrets.get() {
			want := mac(key, []byte(id), []byte("."), []byte(ts), []byte("."), body)
			for _, s := range sigs {
				if hmac.Equal(want, s) {
					return nil
				}
			}
		}
		return refuse("webhook-signature does not match the body")
	}}
}

// grafanaCheck verifies a Grafana webhook contact point's HMAC signature:
// the hex HMAC-SHA256 of the body, or of "<timestamp>:<body>" when the
// contact point sets a timestamp header (then within Tolerance of now).
func grafanaCheck(secrets *secretFile, sigHeader, tsHeader string) check {
	if sigHeader == "" {
		sigHeader = GrafanaSignatureHeader
	}
	if tsHeader == "" {
		tsHeader = GrafanaTimestampHeader
	}
	return check{body: func(r *http.Request, body []byte, now time.Time) error {
		sig := strings.TrimSpace(r.Header.Get(sigHeader))
		if sig == "" {
			return refuse("missing %s header", sigHeader)
		}
		got, err := hex.DecodeString(sig)
		if err != nil {
			return refuse("%s is not hex", sigHeader)
		}
		signedBody := body
		if ts := strings.TrimSpace(r.Header.Get(tsHeader)); ts != "" {
			t, err := unixTime(ts)
			if err != nil {
				return refuse("%s %q is not a Unix time", tsHeader, ts)
			}
			if err := within(t, now); err != nil {
				return err
			}
			signedBody = bytes.Join([][]byte{[]byte(ts), body}, []byte(":"))
		}
		for _, key := range secrets.get() {
			if hmac.Equal(mac(key, signedBody), got) {
				return nil
			}
		}
		return refuse("%s does not match the body", sigHeader)
	}}
}

// unixTime reads Unix seconds, or milliseconds for values that would be
// seconds after the year 33000: either unit is unambiguous that way.
func unixTime(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	if n > 1e12 {
		return time.UnixMilli(n), nil
	}
	return time.Unix(n, 0), nil
}

func within(t, now time.Time) error {
	d := now.Sub(t)
	if d > Tolerance {
		return refuse("signature timestamp is %s old, more than the %s tolerance", d.Round(time.Second), Tolerance)
	}
	if -d > Tolerance {
		return refuse("signature timestamp is %s in the future, more than the %s tolerance", (-d).Round(time.Second), Tolerance)
	}
	return nil
}
