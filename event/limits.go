package event

import "time"

// Limits bound what a single message may hold. A message over a limit is
// dead-lettered with ReasonTooLarge or ReasonLimitExceeded, never truncated:
// a truncated id would break idempotency.
type Limits struct {
	MaxMessageBytes int // whole record value
	MaxIDBytes      int
	MaxStringBytes  int // any other string field, label keys and values
	MaxLabels       int
	// Times outside [MinTime, MaxTime) are rejected as bad_time: they are
	// clock or encoding errors (the epoch, year 2100), never real pages.
	MinTime time.Time
	MaxTime time.Time
}

// DefaultLimits are generous for every paging tool's payloads while keeping
// one bad producer from bloating the store.
func DefaultLimits() Limits {
	return Limits{
		MaxMessageBytes: 1 << 20,
		MaxIDBytes:      512,
		MaxStringBytes:  4096,
		MaxLabels:       128,
		MinTime:         time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		MaxTime:         time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}
