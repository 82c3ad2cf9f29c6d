package prometheus

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// ParseTime reads a --since or --until value: an RFC 3339 time, or a
// duration back from now in Prometheus's notation (30d, 12h, 1w, 1h30m).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	d, err := model.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-03-01T00:00:00Z) or a duration back from now (30d, 12h)", s)
	}
	return now.Add(-time.Duration(d)).UTC(), nil
}
