package decode

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pagerlens/pagerlens/event"
)

// The source formats, which are also the events' Source.
const (
	PagerDuty    = "pagerduty"
	Alertmanager = "alertmanager"
	Grafana      = "grafana"
	Opsgenie     = "opsgenie"
	OnCall       = "oncall"
	IncidentIO   = "incidentio"
	Auto         = "auto"
)

// errf builds the *event.Error every decoder returns, so that the dead letter
// gets a bounded reason and a field path into the source payload.
func errf(r event.Reason, field, format string, args ...any) *event.Error {
	return &event.Error{Reason: r, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// withContext prefixes an error's message with where it happened (format,
// event id) while keeping it an *event.Error: the ingest layer counts dead
// letters by Reason and must still find it, however it inspects the error.
func withContext(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	ctx := fmt.Sprintf(format, args...)
	var e *event.Error
	if errors.As(err, &e) {
		return &event.Error{Reason: e.Reason, Field: e.Field, Msg: ctx + ": " + e.Msg}
	}
	return &event.Error{Reason: event.ReasonInvalidJSON, Msg: ctx + ": " + err.Error()}
}

// checkInput applies the checks every JSON format shares before parsing, with
// the same reasons as the canonical codec so dead letters read alike.
func checkInput(b []byte, lim event.Limits) error {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return errf(event.ReasonEmpty, "", "empty message")
	}
	if lim.MaxMessageBytes > 0 && len(b) > lim.MaxMessageBytes {
		return errf(event.ReasonTooLarge, "", "%d bytes, limit %d", len(b), lim.MaxMessageBytes)
	}
	if !utf8.Valid(b) {
		return errf(event.ReasonInvalidUTF8, "", "message is not valid UTF-8")
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return errf(event.ReasonInvalidJSON, "", "not JSON")
		}
		return errf(event.ReasonNotObject, "", "want a JSON object")
	}
	return nil
}

// unmarshal decodes a whole message into v, turning encoding/json's errors
// into *event.Error with the JSON path of the offending field.
func unmarshal(b []byte, v any, lim event.Limits) error {
	if err := checkInput(b, lim); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errf(event.ReasonWrongType, te.Field, "got a JSON %s, want %s", te.Value, te.Type)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errf(event.ReasonInvalidJSON, "", "%v (at byte %d)", se, se.Offset)
		}
		return errf(event.ReasonInvalidJSON, "", "%v", err)
	}
	return nil
}

// derivedID makes a stable event id for formats that carry none: the same
// fields always give the same id, so a redelivered or repeated notification
// is stored once. Each field is length-prefixed before hashing so that
// ("ab","c") and ("a","bc") differ; 128 bits of the SHA-256 are plenty to
// avoid collisions and keep ids short.
func derivedID(source string, fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return source + "-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// parseTime reads an RFC 3339 time. The zero time (Go's
// "0001-01-01T00:00:00Z", which Alertmanager sends for "not set") and "" both
// mean absent and return ok=false without an error.
func parseTime(field, s string) (t time.Time, ok bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, errf(event.ReasonBadTime, field, "%q is not an RFC 3339 time", short(s))
	}
	if t.IsZero() || t.Year() <= 1 {
		return time.Time{}, false, nil
	}
	return t.UTC(), true, nil
}

// finish validates every event a decoder built. One invalid event rejects
// the whole message: the dead letter keeps the raw bytes, so nothing is lost
// and the message can be replayed once the cause is fixed, whereas storing a
// partial message would silently drop the rest.
func finish(evs []event.Event, lim event.Limits) ([]event.Event, error) {
	for i := range evs {
		if err := event.Validate(&evs[i], lim); err != nil {
			return nil, withContext(err, "%s event %d (%s %s)", evs[i].Source, i, evs[i].Type, short(evs[i].ID))
		}
	}
	return evs, nil
}

// short keeps error messages bounded when a value is huge.
func short(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// header returns the value of the first header named key (case-insensitive,
// as HTTP headers are when a bridge copies them).
func header(hs []event.Header, key string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Key, key) {
			return string(h.Value)
		}
	}
	return ""
}

// Warning is one kind of decode warning: a message decoded with something
// left out that an operator should see counted (Options.Warn).
type Warning struct{ Format, What string }

// amTruncatedAlerts: Alertmanager (or Grafana) left alerts out of the
// notification (truncatedAlerts > 0).
const amTruncatedAlerts = "truncated_alerts"

// Warnings lists every warning the decoders give, so that the warnings
// counter can show each at 0 before the first one. A decoder that warns
// about something new adds it here.
func Warnings() []Warning {
	return []Warning{
		{Alertmanager, amTruncatedAlerts}, {Grafana, amTruncatedAlerts},
		{Opsgenie, ogCustomActionSkipped}, {PagerDuty, pdTaskSkipped},
	}
}

// warn calls the Warn hook if there is one.
func (o Options) warn(format, what string) {
	if o.Warn != nil {
		o.Warn(format, what)
	}
}

// ref is the {id, summary} reference object several formats use.
type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

// DerivedID is the derived-id rule above for importers that make events of
// things no decoder sees (ingest/importers: PagerDuty on-call shifts).
func DerivedID(source string, fields ...string) string { return derivedID(source, fields...) }
