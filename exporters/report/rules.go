package report

import (
	"fmt"
	"time"
)

// Rule is one row of the recommendation table (docs/reports.md,
// "Recommendation rules"). Rules are tried in order and the first that
// matches words the recommendation, so the most specific diagnosis (a
// flapping alert is usually also transient) wins over the general ones.
type Rule struct {
	ID string
	// When states the condition for the docs and the report's legend.
	When string
	// Advice is what the rule recommends, in the docs' words.
	Advice string
	match  func(a Alert, s Settings) (string, bool)
}

// Thresholds of the rule table. They are shares of the alert's count in the
// window; the figures themselves come from analytics.
const (
	transientShare    = 0.5 // at least half resolve by themselves within TransientAfter
	autoResolvedShare = 0.5 // at least half resolve by themselves at all
	sleepShare        = 0.3 // at least 30% fire in sleep hours
)

// Rules is the recommendation table, in the order it is applied.
var Rules = []Rule{
	{
		ID:     "flapping",
		When:   "at least one alert key triggered flap_count times within flap_within",
		Advice: "add hysteresis or a for: duration",
		match: func(a Alert, s Settings) (string, bool) {
			if a.FlappingKeys == 0 {
				return "", false
			}
			return fmt.Sprintf("flaps (%d key(s) fired %d+ times within %s): add hysteresis or a for: duration",
				a.FlappingKeys, s.FlapCount, human(s.FlapWithinSeconds)), true
		},
	},
	{
		ID:     "transient",
		When:   "transient ÷ alerts ≥ 50% (resolved by the system within transient_after, no ack)",
		Advice: "tune (threshold, for:) or delete",
		match: func(a Alert, s Settings) (string, bool) {
			sh := share(a.Transient, a.Alerts)
			if sh < transientShare {
				return "", false
			}
			return fmt.Sprintf("auto-resolves within %s %s of the time: tune or delete", human(s.TransientAfterSeconds), pct(sh)), true
		},
	},
	{
		ID:     "never_acknowledged",
		When:   "acknowledged = 0",
		Advice: "route to a ticket queue instead of the pager",
		match: func(a Alert, _ Settings) (string, bool) {
			if a.Acknowledged != 0 {
				return "", false
			}
			return fmt.Sprintf("never acknowledged (%d alerts): route to a ticket queue", a.Alerts), true
		},
	},
	{
		ID:     "auto_resolved",
		When:   "auto_resolved ÷ alerts ≥ 50% (resolved by the system, no ack, any duration)",
		Advice: "make it a ticket or fix the condition that clears itself",
		match: func(a Alert, _ Settings) (string, bool) {
			sh := share(a.AutoResolved, a.Alerts)
			if sh < autoResolvedShare {
				return "", false
			}
			return fmt.Sprintf("clears by itself %s of the time with nobody acting: make it a ticket or fix its condition", pct(sh)), true
		},
	},
	{
		ID:     "sleep_hours",
		When:   "sleep_hours ÷ alerts ≥ 30%",
		Advice: "page only if it cannot wait until morning; else fix the nightly cause",
		match: func(a Alert, _ Settings) (string, bool) {
			sh := share(a.SleepHours, a.Alerts)
			if sh < sleepShare {
				return "", false
			}
			return fmt.Sprintf("%s fire in sleep hours: page at night only if it cannot wait until morning", pct(sh)), true
		},
	},
	{
		ID:     "low_actionable",
		When:   "otherwise (every noisy alert has actionable < alerts)",
		Advice: "review whether it needs a human now; lower its urgency or fix its threshold",
		match: func(a Alert, _ Settings) (string, bool) {
			return fmt.Sprintf("actionable only %s of the time (%d of %d): lower its urgency or fix its threshold",
				pct(share(a.Actionable, a.Alerts)), a.Actionable, a.Alerts), true
		},
	},
}

// Recommend returns the ID and wording of the first rule that matches a.
func Recommend(a Alert, s Settings) (id, text string) {
	for _, r := range Rules {
		if t, ok := r.match(a, s); ok {
			return r.ID, t
		}
	}
	return "", ""
}

func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// human prints a whole number of seconds compactly: 300 → "5m", 3600 → "1h".
func human(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
