package event

import "fmt"

// Reason is the bounded, machine-readable class of a rejected message. It is
// stored with every dead letter and used as the `reason` label of
// pagerlens_ingest_dead_letters_total, so the set must stay small.
type Reason string

// The reasons a message can be rejected for.
const (
	ReasonEmpty         Reason = "empty"
	ReasonTooLarge      Reason = "too_large"
	ReasonInvalidUTF8   Reason = "invalid_utf8"
	ReasonInvalidJSON   Reason = "invalid_json"
	ReasonNotObject     Reason = "not_an_object"
	ReasonSpecVersion   Reason = "unsupported_specversion"
	ReasonMissingField  Reason = "missing_field"
	ReasonWrongType     Reason = "wrong_type"
	ReasonUnknownType   Reason = "unknown_type"
	ReasonBadTime       Reason = "bad_time"
	ReasonBadValue      Reason = "bad_value"
	ReasonLimitExceeded Reason = "limit_exceeded"
	ReasonUnknownFormat Reason = "unknown_format"
	// ReasonDecoderPanic: a decoder panicked on the message (a bug, caught
	// so that the message is dead-lettered rather than the process lost).
	ReasonDecoderPanic Reason = "decoder_panic"
)

// Reasons lists every Reason, so that the dead-letter counter can show each
// at 0 before the first dead letter.
func Reasons() []Reason {
	return []Reason{ReasonEmpty, ReasonTooLarge, ReasonInvalidUTF8, ReasonInvalidJSON, ReasonNotObject,
		ReasonSpecVersion, ReasonMissingField, ReasonWrongType, ReasonUnknownType, ReasonBadTime,
		ReasonBadValue, ReasonLimitExceeded, ReasonUnknownFormat, ReasonDecoderPanic}
}

// Error says why a message is not a valid event: a Reason for counting and a
// message that names the field, for the people reading the dead letters.
type Error struct {
	Reason Reason
	Field  string // JSON path of the offending field, e.g. "data.incident_id"; may be empty
	Msg    string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Msg)
}

func errorf(r Reason, field, format string, args ...any) *Error {
	return &Error{Reason: r, Field: field, Msg: fmt.Sprintf(format, args...)}
}
