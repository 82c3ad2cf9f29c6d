package metricnames

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// The rules of the "Exposed to Prometheus" section of the metrics design.
func TestFamilies(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range All {
		t.Run(f.Name, func(t *testing.T) {
			if seen[f.Name] {
				t.Errorf("duplicate family")
			}
			seen[f.Name] = true
			if !strings.HasPrefix(f.Name, "pagerlens_") {
				t.Errorf("name lacks the pagerlens_ prefix")
			}
			if !snakeCase.MatchString(f.Name) {
				t.Errorf("name is not snake_case")
			}
			if got := strings.HasSuffix(f.Name, "_total"); got != (f.Type == Counter) {
				t.Errorf("type %s with _total suffix %v: _total is for counters only, and every counter has it", f.Type, got)
			}
			switch f.Type {
			case Counter, Gauge, Summary, Histogram:
			default:
				t.Errorf("unknown type %q", f.Type)
			}
			// Summaries and histograms expose _sum/_count/_bucket series;
			// a family named like one of those would collide.
			for _, s := range []string{"_sum", "_count", "_bucket"} {
				if strings.HasSuffix(f.Name, s) {
					t.Errorf("name ends in reserved suffix %s", s)
				}
			}
			if strings.TrimSpace(f.Help) == "" {
				t.Errorf("no help text")
			}
			labels := map[string]bool{}
			for _, l := range f.Labels {
				if !snakeCase.MatchString(l) {
					t.Errorf("label %q is not snake_case", l)
				}
				if l == LabelQuantile || l == LabelLe {
					t.Errorf("label %q is implied by the type", l)
				}
				if labels[l] {
					t.Errorf("duplicate label %q", l)
				}
				labels[l] = true
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want Type
		ok   bool
	}{
		{IncidentAckSeconds, Summary, true},
		{IncidentsTotal, Counter, true},
		{IngestBatchDurationSeconds, Histogram, true},
		{"pagerlens_nope", "", false},
	}
	for _, tt := range tests {
		f, ok := Lookup(tt.name)
		if ok != tt.ok || f.Type != tt.want {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.name, f.Type, ok, tt.want, tt.ok)
		}
	}
}

// Label slices must not alias: the exporter may append to one family's
// labels (e.g. a replica label) without touching another's.
func TestLabelsDoNotAlias(t *testing.T) {
	a, _ := Lookup(IncidentAckSeconds)
	b, _ := Lookup(IncidentResolveSeconds)
	if len(a.Labels) == 0 || &a.Labels[0] == &b.Labels[0] {
		t.Fatal("families share a label slice")
	}
}

// Every pagerlens_ constant declared in names.go must be in All, or the
// exporter (which registers All) would not emit a name dashboards can use.
func TestEveryConstantInAll(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "names.go", nil, 0)
	if err != nil {
		t.Fatalf("parse names.go: %v", err)
	}
	n := 0
	ast.Inspect(file, func(node ast.Node) bool {
		lit, ok := node.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil || !strings.HasPrefix(s, "pagerlens_") {
			return true
		}
		n++
		if _, ok := Lookup(s); !ok {
			t.Errorf("%s is declared but missing from All", s)
		}
		return true
	})
	if n != len(All) {
		t.Errorf("names.go declares %d names, All has %d families", n, len(All))
	}
}

// The contract: the families of the design's "Names" table (and issue 12's),
// with their types. A rename or type change must be deliberate.
func TestContract(t *testing.T) {
	want := map[string]Type{
		"pagerlens_incident_detect_seconds":                  Summary,
		"pagerlens_incident_ack_seconds":                     Summary,
		"pagerlens_incident_mitigate_seconds":                Summary,
		"pagerlens_incident_resolve_seconds":                 Summary,
		"pagerlens_incidents":                                Gauge,
		"pagerlens_incidents_escalated":                      Gauge,
		"pagerlens_incidents_auto_resolved":                  Gauge,
		"pagerlens_incidents_reassigned":                     Gauge,
		"pagerlens_incidents_major":                          Gauge,
		"pagerlens_incidents_missed_by_alerting":             Gauge,
		"pagerlens_incidents_open":                           Gauge,
		"pagerlens_incident_oldest_open_age_seconds":         Gauge,
		"pagerlens_alerts":                                   Gauge,
		"pagerlens_alerts_acknowledged":                      Gauge,
		"pagerlens_alerts_actionable":                        Gauge,
		"pagerlens_alerts_transient":                         Gauge,
		"pagerlens_alerts_auto_resolved":                     Gauge,
		"pagerlens_alerts_outside_business":                  Gauge,
		"pagerlens_alerts_during_sleep":                      Gauge,
		"pagerlens_alerts_flapping":                          Gauge,
		"pagerlens_alert_tuning_suppressible_alerts":         Gauge,
		"pagerlens_interruptions":                            Gauge,
		"pagerlens_nights_interrupted":                       Gauge,
		"pagerlens_incidents_acknowledged_by_responder":      Gauge,
		"pagerlens_shifts_over_limit":                        Gauge,
		"pagerlens_engaged_seconds":                          Gauge,
		"pagerlens_oncall_seconds":                           Gauge,
		"pagerlens_pager_fatigue_score":                      Gauge,
		"pagerlens_team_interruptions_gini":                  Gauge,
		"pagerlens_incidents_total":                          Counter,
		"pagerlens_incident_ack_duration_seconds":            Histogram,
		"pagerlens_incident_resolve_duration_seconds":        Histogram,
		"pagerlens_ingest_messages_total":                    Counter,
		"pagerlens_ingest_dead_letters_total":                Counter,
		"pagerlens_ingest_batch_duration_seconds":            Histogram,
		"pagerlens_ingest_consumer_lag":                      Gauge,
		"pagerlens_ingest_decode_warnings_total":             Counter,
		"pagerlens_analytics_refresh_duration_seconds":       Gauge,
		"pagerlens_analytics_last_refresh_timestamp_seconds": Gauge,
		"pagerlens_analytics_refresh_errors_total":           Counter,
		"pagerlens_export_runs_total":                        Counter,
		"pagerlens_export_last_success_timestamp_seconds":    Gauge,
		"pagerlens_export_deliveries_total":                  Counter,
		"pagerlens_webhook_requests_total":                   Counter,
		"pagerlens_webhook_request_duration_seconds":         Histogram,
		"pagerlens_import_runs_total":                        Counter,
		"pagerlens_store_memory_bytes":                       Gauge,
		"pagerlens_store_wal_bytes":                          Gauge,
		"pagerlens_store_native_heap_bytes":                  Gauge,
		"pagerlens_store_native_releases_total":              Counter,
		"pagerlens_import_last_success_timestamp_seconds":    Gauge,
		"pagerlens_incidents_without_commander":              Gauge,
		"pagerlens_incident_time_to_commander_seconds":       Summary,
		"pagerlens_incident_status_update_max_gap_seconds":   Summary,
		"pagerlens_incidents_update_gap_over_target":         Gauge,
		"pagerlens_retrospectives_completed":                 Gauge,
		"pagerlens_action_items_open":                        Gauge,
		"pagerlens_action_items_completed":                   Gauge,
		"pagerlens_schedule_uncovered_seconds":               Gauge,
		"pagerlens_service_top_responder_share":              Gauge,
		"pagerlens_incidents_without_owner":                  Gauge,
		"pagerlens_api_requests_total":                       Counter,
		"pagerlens_api_request_duration_seconds":             Histogram,
	}
	for name, typ := range want {
		f, ok := Lookup(name)
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if f.Type != typ {
			t.Errorf("%s: type %s, want %s", name, f.Type, typ)
		}
	}
	if len(All) != len(want) {
		t.Errorf("All has %d families, the contract %d", len(All), len(want))
	}
}
