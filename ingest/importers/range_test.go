package importers

import (
	"strings"
	"testing"
	"time"
)

func TestRange(t *testing.T) {
	clock := func() time.Time { return time.Date(2026, 3, 9, 12, 0, 0, 700, time.FixedZone("CET", 3600)) }
	now := time.Date(2026, 3, 9, 11, 0, 0, 0, time.UTC)
	d := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name             string
		since, until     time.Time
		wantFrom, wantTo time.Time
		err              string
	}{
		{name: "until unset is now, in UTC whole seconds", since: d(1), wantFrom: d(1), wantTo: now},
		{name: "until after now is now", since: d(1), until: d(20), wantFrom: d(1), wantTo: now},
		{name: "sub-second since truncated", since: d(1).Add(900 * time.Millisecond), until: d(2), wantFrom: d(1), wantTo: d(2)},
		{name: "since not before until", since: d(3), until: d(2), err: "pagerduty: since 2026-03-03T00:00:00Z is not before until 2026-03-02T00:00:00Z"},
		{name: "no since", until: d(2), err: "is not before until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, gotNow, err := Range("pagerduty", tt.since, tt.until, clock)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v; want %q", err, tt.err)
				}
				return
			}
			if err != nil || !from.Equal(tt.wantFrom) || !to.Equal(tt.wantTo) || !gotNow.Equal(now) || to.Location() != time.UTC {
				t.Errorf("Range = %s, %s, %s, %v; want %s, %s, now %s", from, to, gotNow, err, tt.wantFrom, tt.wantTo, now)
			}
		})
	}
}
