package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

func help(name string) string {
	f, _ := mn.Lookup(name)
	return f.Help
}

func TestMetrics(t *testing.T) {
	g := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(g)
	if err != nil {
		t.Fatal(err)
	}
	m.BatchCommitted(BatchStats{
		ByTopic:     map[string]map[string]int{"pd": {OutcomeStored: 3, OutcomeDuplicate: 1, OutcomeDeadLettered: 2}},
		DeadReasons: map[string]int{"invalid_json": 2},
		Duration:    20 * time.Millisecond,
	})
	m.Lag("pd", 0, 42)
	m.DecodeWarning("alertmanager", "truncated_alerts")
	want := `
# HELP pagerlens_ingest_consumer_lag ` + help(mn.IngestConsumerLag) + `
# TYPE pagerlens_ingest_consumer_lag gauge
pagerlens_ingest_consumer_lag{partition="0",topic="pd"} 42
# HELP pagerlens_ingest_dead_letters_total ` + help(mn.IngestDeadLettersTotal) + `
# TYPE pagerlens_ingest_dead_letters_total counter
pagerlens_ingest_dead_letters_total{reason="invalid_json"} 2
# HELP pagerlens_ingest_decode_warnings_total ` + help(mn.IngestDecodeWarningsTotal) + `
# TYPE pagerlens_ingest_decode_warnings_total counter
pagerlens_ingest_decode_warnings_total{reason="truncated_alerts",source="alertmanager"} 1
# HELP pagerlens_ingest_messages_total ` + help(mn.IngestMessagesTotal) + `
# TYPE pagerlens_ingest_messages_total counter
pagerlens_ingest_messages_total{outcome="dead_lettered",topic="pd"} 2
pagerlens_ingest_messages_total{outcome="duplicate",topic="pd"} 1
pagerlens_ingest_messages_total{outcome="stored",topic="pd"} 3
`
	names := []string{mn.IngestConsumerLag, mn.IngestDeadLettersTotal, mn.IngestDecodeWarningsTotal, mn.IngestMessagesTotal}
	if err := testutil.GatherAndCompare(g, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.batchDuration); n != 1 {
		t.Errorf("batch duration histogram has %d series", n)
	}
}

// TestMetricsInit: before any message, the configured topics' outcomes,
// every dead-letter reason and every decode warning are exposed at 0.
func TestMetricsInit(t *testing.T) {
	g := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(g)
	if err != nil {
		t.Fatal(err)
	}
	m.Init([]string{"pd", "webhook/alertmanager"})
	want := `
# HELP pagerlens_ingest_dead_letters_total ` + help(mn.IngestDeadLettersTotal) + `
# TYPE pagerlens_ingest_dead_letters_total counter
pagerlens_ingest_dead_letters_total{reason="bad_time"} 0
pagerlens_ingest_dead_letters_total{reason="bad_value"} 0
pagerlens_ingest_dead_letters_total{reason="decoder_panic"} 0
pagerlens_ingest_dead_letters_total{reason="empty"} 0
pagerlens_ingest_dead_letters_total{reason="invalid_json"} 0
pagerlens_ingest_dead_letters_total{reason="invalid_utf8"} 0
pagerlens_ingest_dead_letters_total{reason="limit_exceeded"} 0
pagerlens_ingest_dead_letters_total{reason="missing_field"} 0
pagerlens_ingest_dead_letters_total{reason="not_an_object"} 0
pagerlens_ingest_dead_letters_total{reason="too_large"} 0
pagerlens_ingest_dead_letters_total{reason="unknown_format"} 0
pagerlens_ingest_dead_letters_total{reason="unknown_type"} 0
pagerlens_ingest_dead_letters_total{reason="unsupported_specversion"} 0
pagerlens_ingest_dead_letters_total{reason="wrong_type"} 0
# HELP pagerlens_ingest_decode_warnings_total ` + help(mn.IngestDecodeWarningsTotal) + `
# TYPE pagerlens_ingest_decode_warnings_total counter
pagerlens_ingest_decode_warnings_total{reason="custom_action_skipped",source="opsgenie"} 0
pagerlens_ingest_decode_warnings_total{reason="task_skipped",source="pagerduty"} 0
pagerlens_ingest_decode_warnings_total{reason="truncated_alerts",source="alertmanager"} 0
pagerlens_ingest_decode_warnings_total{reason="truncated_alerts",source="grafana"} 0
# HELP pagerlens_ingest_messages_total ` + help(mn.IngestMessagesTotal) + `
# TYPE pagerlens_ingest_messages_total counter
pagerlens_ingest_messages_total{outcome="dead_lettered",topic="pd"} 0
pagerlens_ingest_messages_total{outcome="dead_lettered",topic="webhook/alertmanager"} 0
pagerlens_ingest_messages_total{outcome="duplicate",topic="pd"} 0
pagerlens_ingest_messages_total{outcome="duplicate",topic="webhook/alertmanager"} 0
pagerlens_ingest_messages_total{outcome="stored",topic="pd"} 0
pagerlens_ingest_messages_total{outcome="stored",topic="webhook/alertmanager"} 0
`
	names := []string{mn.IngestDeadLettersTotal, mn.IngestDecodeWarningsTotal, mn.IngestMessagesTotal}
	if err := testutil.GatherAndCompare(g, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}
