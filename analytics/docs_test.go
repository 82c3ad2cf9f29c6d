package analytics

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestDocsCarryTheSQL: docs/metrics.md prints the SQL of the derived tables
// and the main queries; this keeps the copy there equal to the code.
func TestDocsCarryTheSQL(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	cfg := DefaultConfig(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	mttx, _ := incidentStatsQuery(cfg, false)
	totals, _ := incidentTotalsQuery(cfg, false)
	oldest, _ := oldestOpenQuery(cfg, false)
	alerts, _ := alertStatsQuery(cfg, false, false)
	for name, q := range map[string]string{
		"incidents create":      incidentsCreateSQL,
		"incidents fold":        incidentFoldSQL("events"),
		"incidents figures":     incidentFiguresSQL("(state)"),
		"incidents merge":       incidentsMergeSQL,
		"incidents finalize":    incidentsFinalizeTouchedSQL,
		"incidents as of":       incidentsAsOf("$now", true),
		"alert_lives create":    alertLivesCreateSQL,
		"alert_lives fold":      alertFoldSQL("events"),
		"alert_lives refold":    alertRefoldSQL,
		"alert_lives delete":    alertLivesDeleteSQL,
		"alert_lives insert":    alertLivesInsertSQL,
		"mttx query":            mttx,
		"incident totals query": totals,
		"oldest open query":     oldest,
		"alert quality query":   alerts,
	} {
		if !strings.Contains(doc, q) {
			t.Errorf("docs/metrics.md does not carry the current SQL of %s; copy it from the code", name)
		}
	}
}

// TestDocsCarryTheOnCallSQL: docs/metrics.md prints the on-call query with
// named parameters ($now, $lo) and an example roster, so it cannot equal the
// code's text as a whole; the parts without parameters (engaged time,
// interruptions in and outside shifts, on-call time, shifts over the limit,
// the figures and the fatigue score) must be there verbatim, tabs printed as
// two spaces.
func TestDocsCarryTheOnCallSQL(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	q, _ := onCallQuery(DefaultConfig(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)))
	for _, part := range []struct{ from, to string }{
		{"apart AS (", "-- Shifts: per responder"},
		{"-- Interruptions per period", "-- The zone a responder row reports"},
		{"parts AS (", "ORDER BY t.window_idx, t.team, t.responder"},
	} {
		i := strings.Index(q, part.from)
		j := strings.Index(q, part.to)
		if i < 0 || j < i {
			t.Fatalf("the on-call query has no %q … %q", part.from, part.to)
		}
		if want := strings.ReplaceAll(q[i:j+len(part.to)], "\t", "  "); !strings.Contains(doc, want) {
			t.Errorf("docs/metrics.md does not carry the on-call query from %q to %q; copy it from the code", part.from, part.to)
		}
	}
}

// TestDocsCarryTheTuneSQL: docs/metrics.md prints the tuning query from
// its own CTEs on (base …): the CTEs before it are alert quality's
// (alertLifeCTEs) and the on-call section's interruptions, printed there.
func TestDocsCarryTheTuneSQL(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	q, _ := tuneQuery(cfg, DefaultTuneWindow, false, false, "responder_events")
	i := strings.Index(q, "-- One row per life in the window")
	if i < 0 {
		t.Fatal("the tune query has no base CTE")
	}
	if !strings.Contains(string(b), q[i:]) {
		t.Errorf("docs/metrics.md does not carry the tune query from its base CTE on; copy it from the code:\n%s", q[i:])
	}
	life, _ := alertStatsQuery(cfg, false, false)
	if !strings.Contains(life, alertLifeCTEs(cfg, "CAST($7 AS TIMESTAMP)", "CAST($8 AS TIMESTAMP)", false, false)) {
		t.Error("the alert quality query no longer holds alertLifeCTEs: the tune query's lives would differ from the documented ones")
	}
}
