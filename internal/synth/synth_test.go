package synth_test

import (
	"crypto/sha256"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/synth"
)

// collect returns the whole stream of cfg.
func collect(t testing.TB, cfg synth.Config) []event.Event {
	t.Helper()
	var out []event.Event
	if err := synth.Generate(cfg, func(e event.Event) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out
}

// digest hashes the canonical JSON Lines of the stream of cfg.
func digest(t *testing.T, cfg synth.Config) ([32]byte, int) {
	t.Helper()
	h := sha256.New()
	n := 0
	err := synth.Generate(cfg, func(e event.Event) error {
		b, err := event.Marshal(e)
		if err != nil {
			return err
		}
		h.Write(b)
		h.Write([]byte{'\n'})
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return [32]byte(h.Sum(nil)), n
}

func TestDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  synth.Config
	}{
		{"defaults", synth.Config{Seed: 1}},
		{"90d 8 teams", synth.Config{Seed: 7, Days: 90, Teams: 8}},
		{"duplicates and disorder", synth.Config{Seed: 3, Duplicates: 0.02, Disorder: 0.05}},
		{"negative seed", synth.Config{Seed: -42, Teams: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, n := digest(t, tt.cfg)
			b, m := digest(t, tt.cfg)
			if a != b || n != m {
				t.Fatalf("same config, different streams (%d vs %d events)", n, m)
			}
			other := tt.cfg
			other.Seed++
			if c, _ := digest(t, other); c == a {
				t.Fatalf("seed %d and %d give the same stream", tt.cfg.Seed, other.Seed)
			}
			if n < 1000 {
				t.Fatalf("only %d events", n)
			}
		})
	}
}

// TestStreamValid: every event validates, ids are unique, times are whole
// seconds in [Start, End) and never decrease.
func TestStreamValid(t *testing.T) {
	tests := []struct {
		name string
		cfg  synth.Config
	}{
		{"defaults", synth.Config{Seed: 1}},
		{"90d 8 teams", synth.Config{Seed: 2, Days: 90, Teams: 8}},
		{"tiny team", synth.Config{Seed: 3, Teams: 1, ServicesPerTeam: 1, RespondersPerTeam: 2, RulesPerService: 1}},
		{"many rules, many teams", synth.Config{Seed: 4, Days: 7, Teams: 40, ServicesPerTeam: 20, RulesPerService: 30}},
		{"explicit window", synth.Config{Seed: 5, Start: time.Date(2024, 2, 26, 13, 30, 0, 0, time.UTC), End: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)}},
		{"incident storm", synth.Config{Seed: 6, Days: 10, IncidentsPerServiceDay: 30}},
	}
	lim := event.DefaultLimits()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg.WithDefaults()
			seen := map[string]bool{}
			var last time.Time
			n := 0
			err := synth.Generate(cfg, func(e event.Event) error {
				n++
				if err := event.Validate(&e, lim); err != nil {
					b, _ := event.Marshal(e)
					t.Fatalf("invalid event %s: %v", b, err)
				}
				if seen[e.ID] {
					t.Fatalf("duplicate id %s", e.ID)
				}
				seen[e.ID] = true
				if e.Time.Before(last) {
					t.Fatalf("%s at %s after an event at %s", e.ID, e.Time, last)
				}
				last = e.Time
				if e.Time.Before(cfg.Start) || !e.Time.Before(cfg.End) {
					t.Fatalf("%s at %s outside [%s, %s)", e.ID, e.Time, cfg.Start, cfg.End)
				}
				if e.Time.Nanosecond() != 0 || e.Time.Location() != time.UTC {
					t.Fatalf("%s: time %v is not a whole UTC second", e.ID, e.Time)
				}
				if want := "syn-" + strconv.FormatInt(cfg.Seed, 10) + "-" + strconv.Itoa(n); e.ID != want {
					t.Fatalf("id %s, want %s", e.ID, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatal("no events")
			}
		})
	}
}

// incident is one incident's timeline as metrics.md defines it.
type incident struct {
	severity          string // the trigger's
	triggered         time.Time
	acked             time.Time
	resolved          time.Time // last resolve not followed by a reopen
	mitigated         time.Time
	reopened          bool
	escalated         bool
	detectedBy        string
	startedAt         *time.Time
	commander         bool
	retro             bool
	updates           []time.Time
	team              string
	resolvedAfterOpen bool
}

func timelines(events []event.Event) map[string]*incident {
	m := map[string]*incident{}
	for _, e := range events {
		if e.Type.Kind() != event.KindIncident {
			continue
		}
		in := m[e.Data.IncidentID]
		if in == nil {
			in = &incident{}
			m[e.Data.IncidentID] = in
		}
		switch e.Type {
		case event.IncidentTriggered:
			in.severity, in.triggered, in.detectedBy, in.startedAt, in.team = e.Data.Severity, e.Time, e.Data.DetectedBy, e.Data.StartedAt, e.Data.Team
		case event.IncidentAcknowledged:
			if in.acked.IsZero() {
				in.acked = e.Time
			}
		case event.IncidentMitigated:
			if in.mitigated.IsZero() {
				in.mitigated = e.Time
			}
		case event.IncidentResolved:
			in.resolved = e.Time
		case event.IncidentReopened:
			in.resolved = time.Time{}
			in.reopened = true
		case event.IncidentEscalated:
			in.escalated = true
		case event.IncidentRoleAssigned:
			in.commander = in.commander || e.Data.Role == "commander"
		case event.IncidentRetrospectiveCompleted:
			in.retro = true
		case event.IncidentStatusUpdate:
			in.updates = append(in.updates, e.Time)
		}
	}
	return m
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// TestDistributions: the medians of MTTA and MTTR samples measured from the
// emitted events land near the configured medians. The tolerance is four
// standard errors of a lognormal sample median (≈1.2533·σ/√n in log space)
// plus 6% for what the stream adds on purpose (reopened incidents resolve
// later; resolves are clamped after the ack).
func TestDistributions(t *testing.T) {
	uniform := synth.DefaultSeverities()
	for i := range uniform {
		uniform[i].Weight = 1
	}
	tests := []struct {
		name string
		cfg  synth.Config
	}{
		{"30d 4 teams, uniform severities", synth.Config{Seed: 11, Days: 30, Teams: 4, IncidentsPerServiceDay: 2, Severities: uniform}},
		{"180d 8 teams, default mix", synth.Config{Seed: 12, Days: 180, Teams: 8, IncidentsPerServiceDay: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg.WithDefaults()
			incs := timelines(collect(t, cfg))
			// Resolves of incidents triggered near the end are censored.
			cutoff := cfg.End.Add(-10 * 24 * time.Hour)
			for _, sp := range cfg.Severities {
				var acks, ress []float64
				for _, in := range incs {
					if in.severity != sp.Name || in.triggered.After(cutoff) {
						continue
					}
					if !in.acked.IsZero() {
						acks = append(acks, in.acked.Sub(in.triggered).Seconds())
					}
					if !in.resolved.IsZero() {
						ress = append(ress, in.resolved.Sub(in.triggered).Seconds())
					}
				}
				for _, c := range []struct {
					what  string
					xs    []float64
					want  time.Duration
					sigma float64
				}{
					{"ack", acks, sp.AckMedian, sp.AckSigma},
					{"resolve", ress, sp.ResolveMedian, sp.ResolveSigma},
				} {
					if len(c.xs) < 50 {
						t.Fatalf("%s %s: only %d samples", sp.Name, c.what, len(c.xs))
					}
					got := median(c.xs)
					tol := 4*1.2533*c.sigma/math.Sqrt(float64(len(c.xs))) + 0.06
					dev := math.Abs(math.Log(got / c.want.Seconds()))
					t.Logf("%s %s: median %v (configured %v), n=%d, log deviation %.3f ≤ %.3f",
						sp.Name, c.what, time.Duration(got)*time.Second, c.want, len(c.xs), dev, tol)
					if dev > tol {
						t.Errorf("%s %s: median %v, configured %v (n=%d, log deviation %.3f > %.3f)",
							sp.Name, c.what, time.Duration(got)*time.Second, c.want, len(c.xs), dev, tol)
					}
				}
			}
		})
	}
}

// TestRealism checks, from the events alone, that every behaviour the
// analytics must find is in a default-shaped 90-day stream.
func TestRealism(t *testing.T) {
	cfg := synth.Config{Seed: 1, Days: 90, Teams: 8}.WithDefaults()
	events := collect(t, cfg)
	incs := timelines(events)

	count := map[string]int{}
	note := func(k string, ok bool) {
		if ok {
			count[k]++
		}
	}

	// Alerts: lives of alert keys, flapping keys, transient blips, human acks.
	type alertLife struct {
		triggered time.Time
		acked     bool
	}
	live := map[string]*alertLife{}
	triggers := map[string][]time.Time{}
	for _, e := range events {
		k := e.Data.AlertKey
		switch e.Type {
		case event.AlertTriggered:
			if live[k] != nil {
				t.Fatalf("alert key %s re-triggered at %s while live", k, e.Time)
			}
			live[k] = &alertLife{triggered: e.Time}
			triggers[k] = append(triggers[k], e.Time)
		case event.AlertAcknowledged:
			if live[k] == nil {
				t.Fatalf("ack of alert key %s that is not live", k)
			}
			live[k].acked = true
			note("alert acked by a human", e.Data.Responder != "")
		case event.AlertResolved:
			a := live[k]
			if a == nil {
				t.Fatalf("resolve of alert key %s that is not live", k)
			}
			note("transient alert", !a.acked && e.Data.ResolvedBy == event.ResolvedBySystem && e.Time.Sub(a.triggered) <= 5*time.Minute)
			note("long auto-resolved alert", !a.acked && e.Data.ResolvedBy == event.ResolvedBySystem && e.Time.Sub(a.triggered) > 5*time.Minute)
			delete(live, k)
		}
	}
	flapping := 0
	for _, ts := range triggers {
		for i := 2; i < len(ts); i++ {
			if ts[i].Sub(ts[i-2]) <= time.Hour {
				flapping++
				break
			}
		}
	}
	note("flapping alert key", flapping > 0)
	note("quiet alert key (≤ 1 a week)", slices.ContainsFunc(slices.Collect(maps.Values(triggers)), func(ts []time.Time) bool { return len(ts) <= 90/7 }))

	// Pages and shifts.
	lastPage := map[string]time.Time{}
	zones := map[string]bool{}
	var businessPages, sleepPages int
	for _, e := range events {
		switch e.Type {
		case event.PageNotified, event.ShiftStarted, event.ShiftEnded:
			if e.Data.ResponderTZ == "" {
				t.Fatalf("%s %s without responder_tz", e.Type, e.ID)
			}
			zones[e.Data.ResponderTZ] = true
		}
		if e.Type == event.ShiftStarted || e.Type == event.ShiftEnded {
			if e.Data.Schedule != e.Data.Team+"-primary" {
				t.Fatalf("shift %s: schedule %q for team %q", e.ID, e.Data.Schedule, e.Data.Team)
			}
		}
		if e.Type != event.PageNotified {
			continue
		}
		k := e.Data.Responder + "|" + e.Data.IncidentID + "|" + e.Data.AlertKey
		note("repeated page within 2 min", !lastPage[k].IsZero() && e.Time.Sub(lastPage[k]) <= 2*time.Minute)
		lastPage[k] = e.Time
		loc, _ := event.Location(e.Data.ResponderTZ)
		lt := e.Time.In(loc)
		switch h := lt.Hour(); {
		case h >= 22 || h < 8:
			sleepPages++
		case lt.Weekday() != time.Saturday && lt.Weekday() != time.Sunday && h >= 8 && h < 18:
			businessPages++
		}
	}
	note("several time zones", len(zones) >= 3)
	// Per hour of the bucket: 50 business hours and 70 sleep hours a week.
	note("diurnal pattern", float64(businessPages)/50 > 1.5*float64(sleepPages)/70)

	// Coverage gaps: a schedule whose shift ends before the next one starts.
	ended := map[string]time.Time{}
	for _, e := range events {
		switch e.Type {
		case event.ShiftEnded:
			ended[e.Data.Schedule] = e.Time
		case event.ShiftStarted:
			note("coverage gap", !ended[e.Data.Schedule].IsZero() && e.Time.After(ended[e.Data.Schedule]))
		}
	}

	// Incidents.
	open := 0
	for id, in := range incs {
		if in.triggered.IsZero() {
			t.Fatalf("incident %s has no trigger", id)
		}
		if !in.mitigated.IsZero() && !in.resolved.IsZero() && in.mitigated.After(in.resolved) {
			t.Errorf("incident %s mitigated after resolved", id)
		}
		if !in.acked.IsZero() && in.acked.Before(in.triggered) {
			t.Errorf("incident %s acked before triggered", id)
		}
		if in.startedAt != nil && in.startedAt.After(in.triggered) {
			t.Errorf("incident %s started after its trigger", id)
		}
		if in.resolved.IsZero() {
			open++
		}
		major := in.severity == "SEV1" || in.severity == "SEV2"
		note("started_at before trigger", in.startedAt != nil)
		note("detected by human", in.detectedBy == event.DetectedByHuman)
		note("detected by customer", in.detectedBy == event.DetectedByCustomer)
		note("reopened then resolved", in.reopened && !in.resolved.IsZero())
		note("escalated", in.escalated)
		note("auto-resolved", in.acked.IsZero() && !in.resolved.IsZero())
		note("mitigated before resolved", !in.mitigated.IsZero() && !in.resolved.IsZero())
		note("major with commander", major && in.commander)
		note("major without commander", major && !in.commander && !in.resolved.IsZero())
		note("major with retrospective", major && in.retro)
		note("major without retrospective", major && !in.retro && !in.resolved.IsZero())
		if major && len(in.updates) > 0 && !in.resolved.IsZero() {
			gaps := []time.Duration{in.updates[0].Sub(in.triggered), in.resolved.Sub(in.updates[len(in.updates)-1])}
			for i := 1; i < len(in.updates); i++ {
				gaps = append(gaps, in.updates[i].Sub(in.updates[i-1]))
			}
			note("update gap over 30 min", slices.Max(gaps) > 30*time.Minute)
			note("updates all within 30 min", slices.Max(gaps) <= 30*time.Minute)
		}
	}
	note("open incident at the end", open > 0)
	actions := map[string]bool{}
	for _, e := range events {
		switch e.Type {
		case event.IncidentReassigned:
			note("reassigned", true)
		case event.IncidentSeverityChanged:
			note("severity changed", true)
		case event.ActionItemCreated:
			actions[e.Data.ActionID] = false
		case event.ActionItemCompleted:
			if _, ok := actions[e.Data.ActionID]; !ok {
				t.Fatalf("action item %s completed before created", e.Data.ActionID)
			}
			actions[e.Data.ActionID] = true
		}
		if e.Type == event.IncidentTriggered {
			note("incident linked to an alert", e.Data.AlertKey != "")
		}
	}
	for _, done := range actions {
		note("action item completed", done)
		note("action item left open", !done)
	}

	want := []string{
		"alert acked by a human", "transient alert", "long auto-resolved alert", "flapping alert key",
		"quiet alert key (≤ 1 a week)", "repeated page within 2 min", "several time zones", "diurnal pattern",
		"coverage gap", "started_at before trigger", "detected by human", "detected by customer",
		"reopened then resolved", "escalated", "auto-resolved", "mitigated before resolved",
		"major with commander", "major without commander", "major with retrospective",
		"major without retrospective", "update gap over 30 min", "updates all within 30 min",
		"open incident at the end", "reassigned", "severity changed", "action item completed",
		"action item left open", "incident linked to an alert",
	}
	for _, k := range want {
		if count[k] == 0 {
			t.Errorf("no %s in a 90-day stream", k)
		} else {
			t.Logf("%-30s %d", k, count[k])
		}
	}
	// Most incidents come from alerts, most majors get a commander and a retro.
	if n := len(incs); count["incident linked to an alert"] < n*3/4 {
		t.Errorf("%d of %d incidents linked to an alert, want most", count["incident linked to an alert"], n)
	}
	if count["major with commander"] < 3*count["major without commander"] {
		t.Errorf("commanders: %d with, %d without; want most with", count["major with commander"], count["major without commander"])
	}
}

// TestDelivery: duplicates repeat an event with the same id; disorder
// delays events by at most DisorderWindow positions; neither changes the set
// of distinct events.
func TestDelivery(t *testing.T) {
	base := synth.Config{Seed: 9, Days: 60, Teams: 4}
	ref := collect(t, base)
	byID := map[string]string{}
	for _, e := range ref {
		b, _ := event.Marshal(e)
		byID[e.ID] = string(b)
	}
	tests := []struct {
		name              string
		duplicates, disor float64
		window            int
	}{
		{"duplicates", 0.02, 0, 0},
		{"disorder", 0, 0.05, 16},
		{"both", 0.01, 0.2, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			cfg.Duplicates, cfg.Disorder, cfg.DisorderWindow = tt.duplicates, tt.disor, tt.window
			got := collect(t, cfg)
			seen := map[string]int{}
			inversions := 0
			for i, e := range got {
				b, _ := event.Marshal(e)
				if byID[e.ID] != string(b) {
					t.Fatalf("event %s differs from the plain stream's", e.ID)
				}
				seen[e.ID]++
				if i > 0 && e.Time.Before(got[i-1].Time) {
					inversions++
				}
				if tt.duplicates == 0 {
					n, _ := strconv.Atoi(strings.TrimPrefix(e.ID, "syn-9-"))
					if late := i - (n - 1); late > tt.window {
						t.Fatalf("%s delivered %d positions late, window %d", e.ID, late, tt.window)
					}
				}
			}
			if len(seen) != len(ref) {
				t.Fatalf("%d distinct events, want %d", len(seen), len(ref))
			}
			dups := len(got) - len(ref)
			share := float64(dups) / float64(len(ref))
			if math.Abs(share-tt.duplicates) > 0.2*tt.duplicates+0.001 {
				t.Errorf("duplicate share %.4f, want ≈ %.4f", share, tt.duplicates)
			}
			if (inversions > 0) != (tt.disor > 0) {
				t.Errorf("%d time inversions with disorder %g", inversions, tt.disor)
			}
			t.Logf("%d events, %d duplicates, %d inversions", len(got), dups, inversions)
		})
	}
}

func TestEventsIterator(t *testing.T) {
	cfg := synth.Config{Seed: 5}
	all := collect(t, cfg)
	seq, err := synth.Events(cfg)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for e := range seq {
		if e.ID != all[i].ID || e.Type != all[i].Type || !e.Time.Equal(all[i].Time) {
			t.Fatalf("event %d: iterator gives %s %s, Generate %s %s", i, e.ID, e.Type, all[i].ID, all[i].Type)
		}
		i++
		if i == 100 {
			break // must stop the generator cleanly
		}
	}
	if i != 100 {
		t.Fatalf("iterated %d events", i)
	}
}

func TestConfigErrors(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	badSev := synth.DefaultSeverities()
	badSev[0].AckMedian = 0
	badRates := synth.DefaultRates()
	badRates.Reopen = 1.5
	tests := []struct {
		name string
		cfg  synth.Config
		want string
	}{
		{"end before start", synth.Config{Start: day, End: day.Add(-time.Hour)}, "not after start"},
		{"before 2000", synth.Config{End: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}, "2000-01-01"},
		{"negative teams", synth.Config{Teams: -1}, "teams"},
		{"one responder", synth.Config{RespondersPerTeam: 1}, "responders"},
		{"duplicates 1", synth.Config{Duplicates: 1}, "duplicates"},
		{"disorder 2", synth.Config{Disorder: 2}, "disorder"},
		{"zero ack median", synth.Config{Severities: badSev}, "SEV1"},
		{"bad probability", synth.Config{Rates: badRates}, "reopen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := synth.Generate(tt.cfg, func(event.Event) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
			if _, err := synth.Events(tt.cfg); err == nil {
				t.Fatal("Events accepted the config")
			}
		})
	}
}

func TestEmitErrorStops(t *testing.T) {
	boom := strconv.ErrRange
	n := 0
	err := synth.Generate(synth.Config{Seed: 1}, func(event.Event) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	})
	if err != boom || n != 10 {
		t.Fatalf("err %v after %d events, want %v after 10", err, n, boom)
	}
}

func BenchmarkGenerate(b *testing.B) {
	// About 1M events per run: a year of 50 teams.
	cfg := synth.Config{Seed: 1, Days: 365, Teams: 50}
	total := 0
	start := time.Now()
	for b.Loop() {
		n := 0
		if err := synth.Generate(cfg, func(event.Event) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		total += n
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(total)/float64(b.N), "events/op")
}

func BenchmarkGenerateMarshal(b *testing.B) {
	cfg := synth.Config{Seed: 1, Days: 90, Teams: 25}
	total := 0
	start := time.Now()
	for b.Loop() {
		if err := synth.Generate(cfg, func(e event.Event) error {
			_, err := event.Marshal(e)
			total++
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}
