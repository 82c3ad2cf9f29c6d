package event

// DecodeStd is Decode with only its encoding/json path, for comparing the
// two paths.
func DecodeStd(b []byte, lim Limits) (Event, error) {
	if err := checkBody(b, lim); err != nil {
		return Event{}, err
	}
	return decodeStd(b, lim)
}

// Scan is Decode with only its hand-written scanner: ok false where
// Decode would go on to the other paths. Like Decode, it checks the body
// first (scan relies on the UTF-8 check).
func Scan(b []byte, lim Limits) (Event, bool) {
	if checkBody(b, lim) != nil {
		return Event{}, false
	}
	return scan(b, lim)
}

// Scanner internals, for their own differential tests.
var (
	ParseRFC3339    = parseRFC3339
	Intern          = intern
	AppendUnescaped = appendUnescaped
)

// InternSlots and InternMaxLen size the intern table.
const (
	InternSlots  = internSlots
	InternMaxLen = internMaxLen
)

// BenchMsg is the event of BenchmarkDecodeCanonical.
var BenchMsg = benchMsg
