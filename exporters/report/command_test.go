package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/report"
)

func sharePtr(v float64) *float64 { return &v }

// TestDependencies: the section names flagged services only (api: ana took
// 5 of 5 acknowledged incidents; db at 0.8 is not flagged) and schedules
// with uncovered time only (primary: one 6-hour hole; secondary none), of
// the report's window and team.
func TestDependencies(t *testing.T) {
	snap := &analytics.Snapshot{
		Now: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		CommandPractice: analytics.CommandPractice{
			Services: []analytics.ServiceStats{
				{Window: "30d", Team: "payments", Service: "api", Incidents: 5, Acknowledged: 5, Responders: 1,
					TopResponder: "ana", TopResponderAcks: 5, TopResponderShare: sharePtr(1), Flagged: true},
				{Window: "30d", Team: "payments", Service: "db", Incidents: 5, Acknowledged: 5, Responders: 2,
					TopResponder: "ana", TopResponderAcks: 4, TopResponderShare: sharePtr(0.8)},
				{Window: "7d", Team: "payments", Service: "web", Incidents: 5, Acknowledged: 5, Responders: 1,
					TopResponder: "cy", TopResponderAcks: 5, TopResponderShare: sharePtr(1), Flagged: true},
				{Window: "30d", Team: "search", Service: "index", Incidents: 6, Acknowledged: 6, Responders: 1,
					TopResponder: "bo", TopResponderAcks: 6, TopResponderShare: sharePtr(1), Flagged: true},
			},
			Schedules: []analytics.ScheduleCoverage{
				{Window: "30d", Team: "payments", Schedule: "primary", CoveredSeconds: 669600, UncoveredSeconds: 21600, Gaps: 1, LongestGapSeconds: 21600},
				{Window: "30d", Team: "payments", Schedule: "secondary", CoveredSeconds: 691200},
			},
		},
	}
	tests := []struct {
		team     string
		services []string // team/service/responder
		gaps     []string // team/schedule
		findings []string
	}{
		{
			team:     "payments",
			services: []string{"payments/api/ana"},
			gaps:     []string{"payments/primary"},
			findings: []string{
				"payments/api depends on ana: 100% of its 5 acknowledged incidents. Pair someone else on its next incidents and write down what only ana knows.",
				"Schedule payments/primary had nobody on call for 6h 0m in 1 gap(s), the longest 6h 0m.",
			},
		},
		{
			// Every team: the larger dependency (6 acknowledged) first on a tie of share.
			team:     "",
			services: []string{"search/index/bo", "payments/api/ana"},
			gaps:     []string{"payments/primary"},
		},
	}
	for _, tt := range tests {
		t.Run("team="+tt.team, func(t *testing.T) {
			d := report.NewDependencies(snap, "30d", tt.team)
			var svcs, gaps []string
			for _, s := range d.OnePersonServices {
				svcs = append(svcs, s.Team+"/"+s.Service+"/"+s.Responder)
			}
			for _, g := range d.CoverageGaps {
				gaps = append(gaps, g.Team+"/"+g.Schedule)
			}
			if strings.Join(svcs, ",") != strings.Join(tt.services, ",") {
				t.Errorf("services %v, want %v", svcs, tt.services)
			}
			if strings.Join(gaps, ",") != strings.Join(tt.gaps, ",") {
				t.Errorf("coverage gaps %v, want %v", gaps, tt.gaps)
			}
			if tt.findings != nil && strings.Join(d.Findings, "\n") != strings.Join(tt.findings, "\n") {
				t.Errorf("findings:\n%s\nwant\n%s", strings.Join(d.Findings, "\n"), strings.Join(tt.findings, "\n"))
			}
		})
	}
	// Nothing to report: empty lists, never null.
	b, err := json.Marshal(report.NewDependencies(&analytics.Snapshot{}, "30d", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"one_person_services":[],"coverage_gaps":[],"findings":[]}`; string(b) != want {
		t.Errorf("empty section %s, want %s", b, want)
	}
}

// TestDependenciesRendered: the section reaches every format of the report,
// with its rows, not only the empty-state wording the synthetic golden
// world produces.
func TestDependenciesRendered(t *testing.T) {
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	snap := &analytics.Snapshot{
		Now: now,
		CommandPractice: analytics.CommandPractice{
			Services: []analytics.ServiceStats{
				{Window: "30d", Team: "payments", Service: "api", Incidents: 5, Acknowledged: 5, Responders: 1,
					TopResponder: "ana", TopResponderAcks: 5, TopResponderShare: sharePtr(1), Flagged: true},
			},
			Schedules: []analytics.ScheduleCoverage{
				{Window: "30d", Team: "payments", Schedule: "primary", UncoveredSeconds: 21600, Gaps: 1, LongestGapSeconds: 21600},
			},
		},
	}
	w, err := analytics.ParseWindow("30d")
	if err != nil {
		t.Fatal(err)
	}
	r := report.New(snap, nil, report.Options{Config: analytics.DefaultConfig(now), Window: w})
	tests := []struct {
		format report.Format
		want   []string
	}{
		{report.Markdown, []string{
			"## Single points of failure",
			"- ⚠️ payments/api depends on ana: 100% of its 5 acknowledged incidents.",
			"| payments | api | ana | 100% | 5 | 5 |",
			"| payments | primary | 6h 0m | 1 | 6h 0m |",
		}},
		{report.HTML, []string{
			`data-section="dependencies"`,
			"<li>payments/api depends on ana: 100% of its 5 acknowledged incidents.",
			"<td>api</td><td>ana</td>",
			"<td>primary</td><td class=\"n flag\">6h 0m</td>",
		}},
		{report.JSON, []string{`"one_person_services": [`, `"schedule": "primary"`}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := r.Write(&b, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("%s output lacks %q", tt.format, w)
				}
			}
		})
	}
}
