package analytics

import (
	"time"

	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
)

// On-call load and pager fatigue (metrics.md, "On-call load and pager
// fatigue"), per responder and team and window. The SQL is in oncall_sql.go;
// docs/metrics.md states every definition as implemented. In short:
//
//   - interruption: a page.notified on one of cfg.InterruptionChannels
//     (pages on other channels, e-mail by default, count nowhere), folded
//     per responder and incident (else alert key): a page within
//     cfg.InterruptionFold (inclusive) of the previous page of the same
//     responder and key continues the previous interruption (chained). It
//     is placed in the window, bucket and night of its first page.
//   - bucket: sleep (sleep_start..sleep_end, every day) wins over business
//     (business_start..business_end on working days); the rest is off_hours.
//     Hours are the team's roster hours, else cfg.Hours.
//   - time zone of a page: responder_tz, else the roster's responder zone,
//     else the roster's team zone, else UTC.
//   - night: a sleep-hours interruption before sleep_end belongs to the night
//     named by the previous local date (02:00 on the 3rd: night of the 2nd).
//   - on call: shifts per responder and schedule, merged across schedules,
//     clipped to the window; an open shift runs to Now.
//   - shifts over limit: 12-hour blocks of on-call time, counted from the
//     start of each merged shift, with more than cfg.ShiftIncidentLimit
//     distinct incidents paged.
//   - engaged: ack → resolve of each acknowledged incident, one responder's
//     overlapping engagements merged.
//   - fatigue: weighted interruptions inside shifts per week on call, plus
//     those outside every shift per week of the window, never per less than
//     a week (FatigueScore).

func init() {
	registerSection("oncall", computeOnCall)
}

// Interruptions counts interruptions by the period of the day they fell in.
type Interruptions struct {
	Business int64 `json:"business"`
	OffHours int64 `json:"off_hours"`
	Sleep    int64 `json:"sleep"`
}

// Total is the sum of the three periods.
func (i Interruptions) Total() int64 { return i.Business + i.OffHours + i.Sleep }

// Add adds o's counts to i's, period by period.
func (i *Interruptions) Add(o Interruptions) {
	i.Business += o.Business
	i.OffHours += o.OffHours
	i.Sleep += o.Sleep
}

// ResponderLoad is the on-call load of one responder in one team and window.
type ResponderLoad struct {
	Window    string `json:"window"`
	Team      string `json:"team"` // "" when neither the events nor the roster name one
	Responder string `json:"responder"`
	// Timezone is the zone the row reports and TimezoneSource where it came
	// from: "event" (responder_tz of their latest event), "roster", "team"
	// (the roster's team zone) or "default_utc". Each page is bucketed in its
	// own zone, resolved the same way from that page.
	Timezone       string `json:"timezone"`
	TimezoneSource string `json:"timezone_source"`

	Interruptions      Interruptions `json:"interruptions"`
	InterruptionsTotal int64         `json:"interruptions_total"`
	// InterruptionsOutsideShifts are those of Interruptions that fell in
	// none of the responder's shifts (escalations, a schedule that sends no
	// shift events, no shift data at all): the fatigue score rates them per
	// week of the window instead of per week on call.
	InterruptionsOutsideShifts Interruptions `json:"interruptions_outside_shifts"`
	NightsInterrupted          int64         `json:"nights_interrupted"`
	IncidentsAcknowledged      int64         `json:"incidents_acknowledged"`
	// EngagedSeconds is wall-clock time: overlapping engagements merged.
	EngagedSeconds float64 `json:"engaged_seconds"`
	OnCallSeconds  float64 `json:"oncall_seconds"`
	// InterruptionsPer12h is nil (null) with no on-call time.
	InterruptionsPer12h *float64 `json:"interruptions_per_12h"`
	ShiftsOverLimit     int64    `json:"shifts_over_limit"`
	OnCallShare         float64  `json:"oncall_share"`
	OnCallShareFlagged  bool     `json:"oncall_share_flagged"`
	FatigueScore        float64  `json:"fatigue_score"`
}

// TeamLoad is the on-call load of one team in one window: its responders'
// figures summed, and how evenly interruptions are spread among them.
type TeamLoad struct {
	Window string `json:"window"`
	Team   string `json:"team"`
	// Interruptions is the total; InterruptionsByPeriod splits it.
	Interruptions              int64         `json:"interruptions"`
	InterruptionsByPeriod      Interruptions `json:"interruptions_by_period"`
	InterruptionsOutsideShifts Interruptions `json:"interruptions_outside_shifts"`
	Responders                 int64         `json:"responders"`
	// RespondersPagedOutsideShifts counts the responders with any page
	// outside every shift: FatigueScore rates those pages per person.
	RespondersPagedOutsideShifts int64 `json:"-"`
	// NightsInterrupted is summed over responders: responder-nights.
	NightsInterrupted     int64 `json:"nights_interrupted"`
	IncidentsAcknowledged int64 `json:"incidents_acknowledged"`
	// EngagedSeconds is summed over responders (each merged on its own):
	// responder-time, which can exceed the window.
	EngagedSeconds  float64 `json:"engaged_seconds"`
	OnCallSeconds   float64 `json:"oncall_seconds"`
	ShiftsOverLimit int64   `json:"shifts_over_limit"`
	// FatigueScore applies the responder formula to the team's sums.
	FatigueScore float64 `json:"fatigue_score"`
	// Gini of interruptions across the team's responders in the window
	// (those with any activity in it): 0 even … (n−1)/n one takes all.
	Gini float64 `json:"gini"`
	// MaxOverMedian is the busiest responder's interruptions ÷ the median;
	// nil (null) when the median is 0.
	MaxOverMedian *float64 `json:"max_over_median"`
}

func computeOnCall(ctx context.Context, db *sql.DB, cfg Config, snap *Snapshot) error {
	rs, err := ResponderLoads(ctx, db, cfg)
	if err != nil {
		return err
	}
	snap.Responders = rs
	snap.Teams = TeamLoads(cfg, rs)
	return nil
}

// ResponderLoads computes one ResponderLoad per (window, team, responder)
// with any activity in the window, ordered by window (as in cfg.Windows),
// team and responder.
func ResponderLoads(ctx context.Context, db *sql.DB, cfg Config) ([]ResponderLoad, error) {
	out := []ResponderLoad{}
	if len(cfg.Windows) == 0 {
		return out, nil
	}
	// The derived tables (narrow.go): a store without analytics attached
	// has none, and everything is read from events.
	src, err := onCallSource(ctx, db, cfg)
	if err != nil {
		return nil, fmt.Errorf("on-call load: %w", err)
	}
	q, args := onCallQueryFrom(cfg, src)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("on-call load: %w", err)
	}
	defer rows.Close()
	return scanResponderLoads(rows, cfg)
}

// scanResponderLoads reads the rows of onCallQueryFrom.
func scanResponderLoads(rows *sql.Rows, cfg Config) ([]ResponderLoad, error) {
	out := []ResponderLoad{}
	for rows.Next() {
		var r ResponderLoad
		var per12h sql.NullFloat64
		if err := rows.Scan(&r.Window, &r.Team, &r.Responder, &r.Timezone, &r.TimezoneSource,
			&r.Interruptions.Business, &r.Interruptions.OffHours, &r.Interruptions.Sleep,
			&r.InterruptionsOutsideShifts.Business, &r.InterruptionsOutsideShifts.OffHours, &r.InterruptionsOutsideShifts.Sleep,
			&r.NightsInterrupted, &r.IncidentsAcknowledged, &r.EngagedSeconds, &r.OnCallSeconds,
			&per12h, &r.ShiftsOverLimit, &r.OnCallShare, &r.FatigueScore); err != nil {
			return nil, fmt.Errorf("on-call load: scan: %w", err)
		}
		if per12h.Valid {
			v := per12h.Float64
			r.InterruptionsPer12h = &v
		}
		r.InterruptionsTotal = r.Interruptions.Total()
		r.OnCallShareFlagged = r.OnCallShare > cfg.OnCallShareFlag
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("on-call load: %w", err)
	}
	return out, nil
}

// TeamLoads rolls responder rows up per (window, team), keeping their order.
// It is plain arithmetic over ResponderLoads' rows, so that a team figure is
// by construction the sum of its responders' figures.
func TeamLoads(cfg Config, rs []ResponderLoad) []TeamLoad {
	type key struct{ window, team string }
	out := []TeamLoad{}
	idx := map[key]int{}
	loads := map[key][]float64{}
	windowLen := map[string]time.Duration{}
	for _, w := range cfg.Windows {
		windowLen[w.Name] = w.Duration
	}
	for _, r := range rs {
		k := key{r.Window, r.Team}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, TeamLoad{Window: r.Window, Team: r.Team})
		}
		t := &out[i]
		t.Responders++
		t.InterruptionsByPeriod.Add(r.Interruptions)
		t.InterruptionsOutsideShifts.Add(r.InterruptionsOutsideShifts)
		if r.InterruptionsOutsideShifts.Total() > 0 {
			t.RespondersPagedOutsideShifts++
		}
		t.NightsInterrupted += r.NightsInterrupted
		t.IncidentsAcknowledged += r.IncidentsAcknowledged
		t.EngagedSeconds += r.EngagedSeconds
		t.OnCallSeconds += r.OnCallSeconds
		t.ShiftsOverLimit += r.ShiftsOverLimit
		loads[k] = append(loads[k], float64(r.Interruptions.Total()))
	}
	for i := range out {
		t := &out[i]
		k := key{t.Window, t.Team}
		t.Interruptions = t.InterruptionsByPeriod.Total()
		t.Gini = Gini(loads[k])
		t.MaxOverMedian = MaxOverMedian(loads[k])
		t.FatigueScore = FatigueScore(cfg.FatigueWeights, t.InterruptionsByPeriod, t.InterruptionsOutsideShifts, t.OnCallSeconds, windowLen[t.Window], t.RespondersPagedOutsideShifts)
	}
	return out
}

// FatigueScore is the pager fatigue score, the SQL's formula (oncall_sql.go)
// for sums in Go. It serves every place that scores a group of responders (a
// team here, a folded "other" series in the exporter), so the formula stays
// in one place. all holds every interruption, outside those of all that fell
// outside every shift, paged of the outsidePeople responders who had such
// pages (1 for one responder):
//
//	score = weighted(all − outside) ÷ max(on-call weeks, 1)
//	      + weighted(outside) ÷ (max(window weeks, 1) × max(outsidePeople, 1))
//
// Both parts are rates per person-week: on-call weeks are summed over a
// group's responders, so the calendar weeks of pages outside a shift are
// counted once per responder who had them (else a team's or the whole
// report's score added every member's outside pages into one person's
// week, and the all-teams score came out above nearly every team's).
//
// A week on call is the unit because a rotation is planned in weeks and
// fatigue builds over days: a rate over a few hours extrapolates a busy
// evening into a week (7 pages in a 12-hour shift read as 98 a week), which
// ranked a lightly loaded responder above one paged every night. Pages
// outside any shift happened while the responder was not on call, so they
// are rated over the calendar, as every page is when no shift is known.
// With whole weeks on call and every page inside a shift the score is
// weighted interruptions per week on call, as it always was. FatigueLimit
// says what is high.
func FatigueScore(w FatigueWeights, all, outside Interruptions, oncallSeconds float64, window time.Duration, outsidePeople int64) float64 {
	in := Interruptions{all.Business - outside.Business, all.OffHours - outside.OffHours, all.Sleep - outside.Sleep}
	return w.weigh(in)/atLeastAWeek(oncallSeconds) + w.weigh(outside)/(atLeastAWeek(window.Seconds())*float64(max(outsidePeople, 1)))
}

// weigh is the weighted sum of i.
func (w FatigueWeights) weigh(i Interruptions) float64 {
	return w.Business*float64(i.Business) + w.OffHours*float64(i.OffHours) + w.Sleep*float64(i.Sleep)
}

const weekSeconds = 7 * 24 * 3600

// atLeastAWeek is seconds in weeks, never less than one.
func atLeastAWeek(seconds float64) float64 { return max(seconds, weekSeconds) / weekSeconds }

// FatigueLimit is the fatigue score of Google SRE's ceiling on on-call load
// ("Site Reliability Engineering", ch. 11 "Being On-Call": an incident takes
// about 6 hours of work, so at most 2 incidents per 12-hour shift) held for a
// whole week on call: ShiftIncidentLimit interruptions in each of a week's
// 14 twelve-hour blocks, weighted as business-hours ones. With the defaults
// it is 2 × 14 × 1 = 28. Evening and night pages weigh more, so fewer of them
// reach it: 7 sleep-hours interruptions in a week (one every night) score 28.
func FatigueLimit(cfg Config) float64 {
	return float64(cfg.ShiftIncidentLimit) * 14 * cfg.FatigueWeights.Business
}

// The levels FatigueLevel reads a score as.
const (
	FatigueLow      = "low"      // under half the limit
	FatigueElevated = "elevated" // from half the limit
	FatigueHigh     = "high"     // at or over the limit
)

// FatigueLevel reads score against limit (FatigueLimit): high at or over
// it, elevated from half of it, else low; "" without a positive limit.
func FatigueLevel(score, limit float64) string {
	switch {
	case limit <= 0:
		return ""
	case score >= limit:
		return FatigueHigh
	case score >= limit/2:
		return FatigueElevated
	}
	return FatigueLow
}

// Gini is the Gini coefficient of xs, without the small-sample n/(n−1)
// correction: G = Σi Σj |xi − xj| / (2 n² mean), computed as
// G = 2 Σ i·x(i) / (n Σ x) − (n+1)/n over xs sorted ascending, i = 1..n.
// 0 when all are equal, (n−1)/n when one takes everything: (0,0,0,4) gives
// 0.75, so a team of four where one person takes every page reads 0.75.
// The correction would make that 1 but would also make two people with
// (0, 1) read 1 and a team of one undefined; without it, fewer than two
// responders and an all-zero team are 0.
func Gini(xs []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	var sum, weighted float64
	for i, x := range s {
		sum += x
		weighted += float64(i+1) * x
	}
	if sum == 0 {
		return 0
	}
	g := 2*weighted/(n*sum) - (n+1)/n
	// Rounding can leave -1e-17 for equal loads; keep the documented range.
	return math.Max(0, g)
}

// MaxOverMedian is max(xs) ÷ median(xs) (the median of an even count is the
// mean of the middle two, as quantile_cont gives); nil for no values or a
// median of 0, where the ratio is undefined.
func MaxOverMedian(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	if med == 0 {
		return nil
	}
	v := s[n-1] / med
	return &v
}
