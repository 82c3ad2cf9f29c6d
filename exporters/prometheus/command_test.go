package prometheus

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// TestCommandArea: the golden rows of analytics' command tests (commander
// at 7 min, max update gap 40 min, no retrospective; a service all
// acknowledged by one person; a schedule with a 6-hour hole), plus the
// label rules: "" reads "unknown", and two rows that then collide are
// merged (counts add, the summary keeps _sum/_count and drops quantiles;
// the top-responder share takes the higher); a service with no
// acknowledged incident has no share series.
func TestCommandArea(t *testing.T) {
	snap := &analytics.Snapshot{
		Now:     time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		Windows: []string{"30d"},
		CommandPractice: analytics.CommandPractice{
			Command: []analytics.CommandStats{
				{Window: "30d", Team: "payments", Severity: "SEV1", Incidents: 1, Major: 1, WithCommander: 1,
					TimeToCommander: stat(1, 420, 420, 420, 420, 420), UpdateMaxGap: stat(1, 2400, 2400, 2400, 2400, 2400),
					UpdateGapOverTarget: 1},
				{Window: "30d", Team: "", Severity: "SEV2", Incidents: 1, Major: 1, WithoutCommander: 1,
					UpdateMaxGap: stat(1, 3600, 3600, 3600, 3600, 3600), UpdateGapOverTarget: 1, Retrospectives: 1,
					ActionItemsCreated: 4, ActionItemsCompleted: 2, ActionItemsOpen: 2},
				{Window: "30d", Team: "unknown", Severity: "SEV2", Incidents: 1, Major: 1,
					UpdateMaxGap: stat(1, 600, 600, 600, 600, 600), ActionItemsCreated: 1, ActionItemsOpen: 1},
			},
			Services: []analytics.ServiceStats{
				{Window: "30d", Team: "payments", Service: "api", Incidents: 5, Acknowledged: 5, TopResponder: "ana",
					TopResponderAcks: 5, TopResponderShare: f(1), Flagged: true},
				{Window: "30d", Team: "payments", Service: "", Incidents: 2, IncidentsWithoutOwner: 2},
			},
			Schedules: []analytics.ScheduleCoverage{
				{Window: "30d", Team: "payments", Schedule: "primary", CoveredSeconds: 669600, UncoveredSeconds: 21600, Gaps: 1, LongestGapSeconds: 21600},
			},
		},
	}
	const want = `
# HELP pagerlens_incidents_without_commander Major incidents of the window that never had an incident commander assigned.
# TYPE pagerlens_incidents_without_commander gauge
pagerlens_incidents_without_commander{severity="SEV1",team="payments",window="30d"} 0
pagerlens_incidents_without_commander{severity="SEV2",team="unknown",window="30d"} 1
# HELP pagerlens_incident_time_to_commander_seconds Time from trigger to the first commander role assignment of incidents of the window; mean = _sum / _count.
# TYPE pagerlens_incident_time_to_commander_seconds summary
pagerlens_incident_time_to_commander_seconds{severity="SEV1",team="payments",window="30d",quantile="0.5"} 420
pagerlens_incident_time_to_commander_seconds{severity="SEV1",team="payments",window="30d",quantile="0.9"} 420
pagerlens_incident_time_to_commander_seconds{severity="SEV1",team="payments",window="30d",quantile="0.95"} 420
pagerlens_incident_time_to_commander_seconds{severity="SEV1",team="payments",window="30d",quantile="0.99"} 420
pagerlens_incident_time_to_commander_seconds_sum{severity="SEV1",team="payments",window="30d"} 420
pagerlens_incident_time_to_commander_seconds_count{severity="SEV1",team="payments",window="30d"} 1
pagerlens_incident_time_to_commander_seconds_sum{severity="SEV2",team="unknown",window="30d"} 0
pagerlens_incident_time_to_commander_seconds_count{severity="SEV2",team="unknown",window="30d"} 0
# HELP pagerlens_incident_status_update_max_gap_seconds Per resolved incident of the window, the longest gap between trigger, status updates and resolve; mean = _sum / _count.
# TYPE pagerlens_incident_status_update_max_gap_seconds summary
pagerlens_incident_status_update_max_gap_seconds{severity="SEV1",team="payments",window="30d",quantile="0.5"} 2400
pagerlens_incident_status_update_max_gap_seconds{severity="SEV1",team="payments",window="30d",quantile="0.9"} 2400
pagerlens_incident_status_update_max_gap_seconds{severity="SEV1",team="payments",window="30d",quantile="0.95"} 2400
pagerlens_incident_status_update_max_gap_seconds{severity="SEV1",team="payments",window="30d",quantile="0.99"} 2400
pagerlens_incident_status_update_max_gap_seconds_sum{severity="SEV1",team="payments",window="30d"} 2400
pagerlens_incident_status_update_max_gap_seconds_count{severity="SEV1",team="payments",window="30d"} 1
pagerlens_incident_status_update_max_gap_seconds_sum{severity="SEV2",team="unknown",window="30d"} 4200
pagerlens_incident_status_update_max_gap_seconds_count{severity="SEV2",team="unknown",window="30d"} 2
# HELP pagerlens_incidents_update_gap_over_target Incidents of the window whose longest status-update gap exceeds the target (30 minutes for major incidents, configurable).
# TYPE pagerlens_incidents_update_gap_over_target gauge
pagerlens_incidents_update_gap_over_target{severity="SEV1",team="payments",window="30d"} 1
pagerlens_incidents_update_gap_over_target{severity="SEV2",team="unknown",window="30d"} 1
# HELP pagerlens_retrospectives_completed Major incidents of the window with a completed retrospective (the share divides by pagerlens_incidents_major).
# TYPE pagerlens_retrospectives_completed gauge
pagerlens_retrospectives_completed{severity="SEV1",team="payments",window="30d"} 0
pagerlens_retrospectives_completed{severity="SEV2",team="unknown",window="30d"} 1
# HELP pagerlens_action_items_open Follow-up action items of the incidents of the window not completed by now.
# TYPE pagerlens_action_items_open gauge
pagerlens_action_items_open{severity="SEV1",team="payments",window="30d"} 0
pagerlens_action_items_open{severity="SEV2",team="unknown",window="30d"} 3
# HELP pagerlens_action_items_completed Follow-up action items of the incidents of the window completed by now.
# TYPE pagerlens_action_items_completed gauge
pagerlens_action_items_completed{severity="SEV1",team="payments",window="30d"} 0
pagerlens_action_items_completed{severity="SEV2",team="unknown",window="30d"} 2
# HELP pagerlens_schedule_uncovered_seconds Time of the window (from the schedule's first shift, if later) in which the schedule had nobody on call, from shift events.
# TYPE pagerlens_schedule_uncovered_seconds gauge
pagerlens_schedule_uncovered_seconds{schedule="primary",team="payments",window="30d"} 21600
# HELP pagerlens_service_top_responder_share Share (0-1) of the service's acknowledged incidents of the window acknowledged by its most frequent responder; above 0.8 with 5 or more acknowledged incidents is a single point of failure.
# TYPE pagerlens_service_top_responder_share gauge
pagerlens_service_top_responder_share{service="api",team="payments",window="30d"} 1
# HELP pagerlens_incidents_without_owner Incidents of the window with no team or no service (the missing label is empty).
# TYPE pagerlens_incidents_without_owner gauge
pagerlens_incidents_without_owner{service="api",team="payments",window="30d"} 0
pagerlens_incidents_without_owner{service="unknown",team="payments",window="30d"} 2
`
	c, err := NewCollector(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.SetSnapshot(snap)
	names := []string{mn.IncidentsWithoutCommander, mn.IncidentTimeToCommanderSeconds,
		mn.IncidentStatusUpdateMaxGapSeconds, mn.IncidentsUpdateGapOverTarget,
		mn.RetrospectivesCompleted, mn.ActionItemsOpen, mn.ActionItemsCompleted,
		mn.ScheduleUncoveredSeconds, mn.ServiceTopResponderShare, mn.IncidentsWithoutOwner}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(c, names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	// The area can be switched off like the others.
	off, err := NewCollector(Options{Disabled: []string{"command"}})
	if err != nil {
		t.Fatal(err)
	}
	off.SetSnapshot(snap)
	if n := testutil.CollectAndCount(off, names...); n != 0 {
		t.Errorf("disabled command area still served %d metrics", n)
	}
}
