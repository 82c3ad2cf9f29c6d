package event

// DecodeStd is Decode with only its encoding/json path, for comparing the
// two paths.
func DecodeStd(b []byte, lim Limits) (Event, error) {
	if err := checkBody(b, lim); err != nil {
		return Event{}, err
	}
	return decodeStd(b, lim)
}
