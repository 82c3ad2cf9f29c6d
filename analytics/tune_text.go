package analytics

import (
	"fmt"
	"strings"
	"time"
)

// PromDuration renders d as a Prometheus duration ("5m", "90s" as "1m30s",
// "1h"): hours, minutes, seconds and milliseconds, each only when not 0, as
// a rule file written by hand reads.
func PromDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.d
		}
	}
	return b.String()
}

func secDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// plural is "1 alert", "2 alerts".
func plural(n int64, what string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ForText says what the recommended for: would have done, e.g. "for: 5m
// would have suppressed 4 of 6, delaying 2 actionable alerts by 5m each";
// "" without a recommendation.
func (r TuneRule) ForText() string {
	if r.RecommendedForSeconds == nil {
		return ""
	}
	for _, o := range r.For {
		if o.Seconds != *r.RecommendedForSeconds {
			continue
		}
		d := PromDuration(secDuration(o.Seconds))
		s := fmt.Sprintf("for: %s would have suppressed %d of %d", d, o.Suppressed, r.Alerts)
		if fired := r.Actionable - o.ActionableMissed; fired > 0 {
			s += fmt.Sprintf(", delaying %s by %s each", plural(fired, "actionable alert"), d)
		} else {
			s += ", none of them actionable"
		}
		return s
	}
	return ""
}

// KeepFiringForText says what the recommended keep_firing_for: would have
// merged; "" without a recommendation.
func (r TuneRule) KeepFiringForText() string {
	if r.RecommendedKeepFiringForSeconds == nil {
		return ""
	}
	for _, o := range r.KeepFiringFor {
		if o.Seconds == *r.RecommendedKeepFiringForSeconds {
			return fmt.Sprintf("keep_firing_for: %s would have merged %s into the one before (%d of %d notifications saved)",
				PromDuration(secDuration(o.Seconds)), plural(o.Merged, "re-trigger"), o.Merged, r.Alerts)
		}
	}
	return ""
}

// InhibitionText names the inhibitor that covers the most alerts; "" with none.
func (r TuneRule) InhibitionText() string {
	if len(r.InhibitedBy) == 0 {
		return ""
	}
	i := r.InhibitedBy[0]
	return fmt.Sprintf("inhibition by %s would have suppressed %d of %d (%.0f%% start within the inhibition window after it), %d actionable",
		i.AlertName, i.Suppressed, r.Alerts, 100*i.Share, i.ActionableSuppressed)
}

// DeferText says what business-hours routing would spare; "" when the
// alert name does not qualify or nothing would be spared.
func (r TuneRule) DeferText() string {
	d := r.DeferToBusinessHours
	if d == nil || d.SleepInterruptionsSpared+d.OffHoursInterruptionsSpared == 0 {
		return ""
	}
	return fmt.Sprintf("routing it to business hours would have spared %s and %s",
		plural(d.SleepInterruptionsSpared, "sleep interruption"), plural(d.OffHoursInterruptionsSpared, "off-hours interruption"))
}

// Fix is "what would fix it": every simulated change that would have
// helped, with its figures, joined by "; "; "" when none would have.
func (r TuneRule) Fix() string {
	var parts []string
	for _, s := range []string{r.ForText(), r.KeepFiringForText(), r.InhibitionText(), r.DeferText()} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// Rule returns the row of team, service and alert name.
func (t *Tuning) Rule(team, service, alertName string) (TuneRule, bool) {
	if t == nil {
		return TuneRule{}, false
	}
	for _, r := range t.Rules {
		if r.Team == team && r.Service == service && r.AlertName == alertName {
			return r, true
		}
	}
	return TuneRule{}, false
}

// ForAlert combines the rows of one alert name that match (team and service
// as a rule file's static labels select them; nil matches all): the
// candidates' counts summed, the recommendations picked again from the
// sums, inhibition and deferral left out (they are per row). A Prometheus
// rule is matched by alert name alone, and one rule may fire for several
// teams and services. ok is false when no row matches.
func (t *Tuning) ForAlert(alertName string, match func(team, service string) bool) (TuneRule, bool) {
	var out TuneRule
	var n int
	for _, r := range t.Rules {
		if r.AlertName != alertName || (match != nil && !match(r.Team, r.Service)) {
			continue
		}
		if n == 0 {
			out = TuneRule{Team: r.Team, Service: r.Service, AlertName: r.AlertName,
				For: make([]ForOutcome, len(r.For)), KeepFiringFor: make([]KeepFiringOutcome, len(r.KeepFiringFor)),
				InhibitedBy: []Inhibition{}}
			copy(out.For, r.For)
			copy(out.KeepFiringFor, r.KeepFiringFor)
		} else {
			if out.Team != r.Team {
				out.Team = ""
			}
			if out.Service != r.Service {
				out.Service = ""
			}
			for i := range out.For {
				out.For[i].Suppressed += r.For[i].Suppressed
				out.For[i].ActionableMissed += r.For[i].ActionableMissed
				out.For[i].DelayAddedSeconds += r.For[i].DelayAddedSeconds
			}
			for i := range out.KeepFiringFor {
				out.KeepFiringFor[i].Merged += r.KeepFiringFor[i].Merged
			}
		}
		out.Alerts += r.Alerts
		out.Actionable += r.Actionable
		n++
	}
	if n == 0 {
		return TuneRule{}, false
	}
	out.RecommendedForSeconds = recommendFor(t.MaxAddedDelaySeconds, out.For)
	out.RecommendedKeepFiringForSeconds = recommendKeepFiringFor(out.KeepFiringFor)
	return out, true
}
