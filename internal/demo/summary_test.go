package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
)

// TestSummaryFatigueLine: the most-interrupted line names the busiest
// responder and reads their score against the scale. The rows are
// analytics' TestFatigueRanksBurden figures: amir 19 interruptions (7 in
// sleep hours, 7 nights), 47 = high (28 and more); dana 7, 6.567 = low.
func TestSummaryFatigueLine(t *testing.T) {
	snap := &analytics.Snapshot{
		Now: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		Responders: []analytics.ResponderLoad{
			{Window: "30d", Team: "checkout", Responder: "dana", Timezone: "UTC", InterruptionsTotal: 7,
				Interruptions: analytics.Interruptions{Business: 3, OffHours: 2, Sleep: 2}, NightsInterrupted: 2, FatigueScore: 197.0 / 30},
			{Window: "30d", Team: "checkout", Responder: "amir", Timezone: "UTC", InterruptionsTotal: 19,
				Interruptions: analytics.Interruptions{Business: 5, OffHours: 7, Sleep: 7}, NightsInterrupted: 7, FatigueScore: 47},
			// Another window's row must not be picked.
			{Window: "7d", Team: "checkout", Responder: "emeka", InterruptionsTotal: 99, FatigueScore: 18},
		},
	}
	var b strings.Builder
	if err := WriteSummary(&b, snap, "30d", Info{}); err != nil {
		t.Fatal(err)
	}
	want := "most interrupted: amir (checkout, UTC): 19 interruptions (7 in sleep hours, 7 nights), " +
		"fatigue score 47.0 (high; 28 = Google SRE's limit of 2 incidents per 12-hour shift, held for a week)\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}
