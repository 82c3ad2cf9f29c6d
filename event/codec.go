package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
)

// wireData is Data as it travels: times as strings so that a bad time is
// reported as bad_time with its field, not as a JSON syntax error.
type wireData struct {
	Data
	StartedAt string `json:"started_at,omitempty"`
}

// wireEvent is the CloudEvents structured-mode envelope.
type wireEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
}

// fastWire is the whole structured-mode document in one struct, for the
// fast path of Decode. The optional CloudEvents attributes are listed so that
// documents carrying them stay on the fast path; their values are not used.
type fastWire struct {
	SpecVersion     string   `json:"specversion"`
	ID              string   `json:"id"`
	Source          string   `json:"source"`
	Type            string   `json:"type"`
	Time            string   `json:"time"`
	DataContentType string   `json:"datacontenttype"`
	DataSchema      string   `json:"dataschema"`
	Subject         string   `json:"subject"`
	Data            wireData `json:"data"`
}

// fastOpts make the fast path strict: names match exactly, duplicate names
// and unknown members are errors. Anything it does not accept as written
// goes to the encoding/json path, whose case-insensitive matching,
// last-duplicate-wins and error reporting stay the definition of the format.
var fastOpts = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true))

// Decode parses one CloudEvents structured-mode JSON document (the canonical
// format) and validates it.
//
// JSON decoding is the slowest stage of ingest. Decode first tries scan
// (scan.go), a hand-written scanner for the strict subset pagerlens itself
// writes — exact names, each once, string values — which takes nearly every
// message in well under half the time of the reflective decoders below and
// gives up, never guesses, on anything else. Then it tries
// github.com/go-json-experiment/json (the upstream of Go's encoding/json/v2)
// in strict mode into one flat struct: measured here on a 400-byte event,
// 2.4-3.0 µs against 6.3-7.4 µs for encoding/json's two-step decode (sonic
// 2.0-2.4 µs, but JIT-compiled, amd64/arm64 only and unsafe-heavy: not worth
// ~15% in the binary's one hot path; numbers in bench/results.md). It is
// the one third-party import of this package, an exception to stdlib-only
// (architecture.md) for that 2.5× and because it is the code that becomes
// encoding/json/v2. Any document the fast paths reject, or that then fails
// validation, is decoded again by the encoding/json path below, so every
// accepted event and every error (reason, field and message) is exactly
// what encoding/json alone gives; bad input is rare and pays twice.
func Decode(b []byte, lim Limits) (Event, error) {
	if err := checkBody(b, lim); err != nil {
		return Event{}, err
	}
	if e, ok := scan(b, lim); ok {
		return e, nil
	}
	if e, ok := decodeFast(b, lim); ok {
		return e, nil
	}
	return decodeStd(b, lim)
}

// decodeFast is Decode's fast path; ok false means "ask decodeStd".
func decodeFast(b []byte, lim Limits) (Event, bool) {
	var w fastWire
	if err := jsonv2.Unmarshal(b, &w, fastOpts); err != nil || w.SpecVersion != SpecVersion {
		return Event{}, false
	}
	e := Event{ID: w.ID, Source: w.Source, Type: Type(w.Type), Data: w.Data.Data}
	var err error
	if e.Time, err = parseTime("time", w.Time); err != nil {
		return Event{}, false
	}
	if w.Data.StartedAt != "" {
		t, err := parseTime("data.started_at", w.Data.StartedAt)
		if err != nil {
			return Event{}, false
		}
		e.Data.StartedAt = &t
	}
	if Validate(&e, lim) != nil {
		return Event{}, false
	}
	return e, true
}

// decodeStd decodes with encoding/json: the reference behaviour, and the
// path that words every error.
func decodeStd(b []byte, lim Limits) (Event, error) {
	if first := firstByte(b); first != '{' {
		if first == '[' {
			return Event{}, errorf(ReasonNotObject, "", "a JSON array, want one event object per message")
		}
		if !json.Valid(b) {
			return Event{}, jsonError("", json.Unmarshal(b, new(any)))
		}
		return Event{}, errorf(ReasonNotObject, "", "want a JSON object")
	}
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return Event{}, jsonError("", err)
	}
	if w.SpecVersion != SpecVersion {
		if w.SpecVersion == "" {
			return Event{}, errorf(ReasonMissingField, "specversion", "required (%q)", SpecVersion)
		}
		return Event{}, errorf(ReasonSpecVersion, "specversion", "%q, want %q", truncate(w.SpecVersion), SpecVersion)
	}
	e := Event{ID: w.ID, Source: w.Source, Type: Type(w.Type)}
	var err error
	if e.Time, err = parseTime("time", w.Time); err != nil {
		return Event{}, err
	}
	if err := decodeData(w.Data, &e, "data."); err != nil {
		return Event{}, err
	}
	if err := Validate(&e, lim); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// DecodeBinary parses a CloudEvents Kafka binary-mode message: the envelope
// in ce_* headers, the data object as the record value.
func DecodeBinary(headers []Header, value []byte, lim Limits) (Event, error) {
	var w wireEvent
	for _, h := range headers {
		v := string(h.Value)
		switch strings.ToLower(h.Key) {
		case "ce_specversion":
			w.SpecVersion = v
		case "ce_id":
			w.ID = v
		case "ce_source":
			w.Source = v
		case "ce_type":
			w.Type = v
		case "ce_time":
			w.Time = v
		}
	}
	if w.SpecVersion != SpecVersion {
		if w.SpecVersion == "" {
			return Event{}, errorf(ReasonMissingField, "ce_specversion", "required (%q)", SpecVersion)
		}
		return Event{}, errorf(ReasonSpecVersion, "ce_specversion", "%q, want %q", truncate(w.SpecVersion), SpecVersion)
	}
	if len(value) > 0 {
		if err := checkBody(value, lim); err != nil {
			return Event{}, err
		}
		if firstByte(value) != '{' {
			return Event{}, errorf(ReasonNotObject, "data", "binary-mode data must be a JSON object")
		}
	}
	e := Event{ID: w.ID, Source: w.Source, Type: Type(w.Type)}
	var err error
	if e.Time, err = parseTime("ce_time", w.Time); err != nil {
		return Event{}, err
	}
	if err := decodeData(value, &e, ""); err != nil {
		return Event{}, err
	}
	if err := Validate(&e, lim); err != nil {
		return Event{}, err
	}
	return e, nil
}

// IsBinary reports whether a Kafka message carries a binary-mode CloudEvent.
func IsBinary(headers []Header) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Key, "ce_specversion") {
			return true
		}
	}
	return false
}

func checkBody(b []byte, lim Limits) error {
	if isBlank(b) {
		return errorf(ReasonEmpty, "", "empty message")
	}
	if lim.MaxMessageBytes > 0 && len(b) > lim.MaxMessageBytes {
		return errorf(ReasonTooLarge, "", "%d bytes, limit %d", len(b), lim.MaxMessageBytes)
	}
	if !utf8.Valid(b) {
		return errorf(ReasonInvalidUTF8, "", "message is not valid UTF-8")
	}
	return nil
}

// isBlank is len(bytes.TrimSpace(b)) == 0, answered from the first byte
// for any message that starts like JSON.
func isBlank(b []byte) bool {
	if len(b) > 0 && b[0] > ' ' && b[0] < utf8.RuneSelf {
		return false
	}
	return len(bytes.TrimSpace(b)) == 0
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func decodeData(raw json.RawMessage, e *Event, prefix string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if firstByte(raw) != '{' {
		return errorf(ReasonWrongType, strings.TrimSuffix(prefix, "."), "want a JSON object")
	}
	var wd wireData
	if err := json.Unmarshal(raw, &wd); err != nil {
		return jsonError(prefix, err)
	}
	e.Data = wd.Data
	if wd.StartedAt != "" {
		t, err := parseTime(prefix+"started_at", wd.StartedAt)
		if err != nil {
			return err
		}
		e.Data.StartedAt = &t
	}
	return nil
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil // Validate reports it as missing
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errorf(ReasonBadTime, field, "%q is not an RFC 3339 time", truncate(s))
	}
	return t.UTC(), nil
}

// jsonError turns encoding/json's errors into an *Error with the field path.
func jsonError(prefix string, err error) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// wireData embeds Data, whose fields encoding/json reports as "Data.x".
		field := prefix + strings.TrimPrefix(te.Field, "Data.")
		if te.Field == "" {
			field = strings.TrimSuffix(prefix, ".")
		}
		return errorf(ReasonWrongType, field, "got a JSON %s, want %s", te.Value, goTypeName(te.Type.String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errorf(ReasonInvalidJSON, "", "%v (at byte %d)", se, se.Offset)
	}
	if errors.Is(err, errUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return errorf(ReasonInvalidJSON, "", "truncated JSON: unexpected end of input")
	}
	return errorf(ReasonInvalidJSON, "", "%v", err)
}

var errUnexpectedEOF = errors.New("unexpected end of JSON input")

func goTypeName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "map["):
		return "an object of strings"
	default:
		return t
	}
}

// Marshal encodes e as a CloudEvents structured-mode JSON document.
func Marshal(e Event) ([]byte, error) {
	w := struct {
		SpecVersion string   `json:"specversion"`
		ID          string   `json:"id"`
		Source      string   `json:"source"`
		Type        Type     `json:"type"`
		Time        string   `json:"time"`
		Data        wireData `json:"data"`
	}{SpecVersion, e.ID, e.Source, e.Type, FormatTime(e.Time), wireData{Data: e.Data}}
	if e.Data.StartedAt != nil {
		w.Data.StartedAt = FormatTime(*e.Data.StartedAt)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", e.ID, err)
	}
	return b, nil
}

// MarshalBinary encodes e in CloudEvents Kafka binary mode: headers and the
// data object as the value.
func MarshalBinary(e Event) ([]Header, []byte, error) {
	wd := wireData{Data: e.Data}
	if e.Data.StartedAt != nil {
		wd.StartedAt = FormatTime(*e.Data.StartedAt)
	}
	v, err := json.Marshal(wd)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal event %s: %w", e.ID, err)
	}
	h := []Header{
		{"ce_specversion", []byte(SpecVersion)},
		{"ce_id", []byte(e.ID)},
		{"ce_source", []byte(e.Source)},
		{"ce_type", []byte(e.Type)},
		{"ce_time", []byte(FormatTime(e.Time))},
		{"content-type", []byte("application/json")},
	}
	return h, v, nil
}

// FormatTime writes t the way the codec reads it: RFC 3339 in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
