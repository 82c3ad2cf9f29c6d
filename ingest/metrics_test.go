package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// newMetrics are the ingest metrics on a pedantic registry of their own.
func newMetrics(t *testing.T) (*prometheus.Registry, *Metrics) {
	t.Helper()
	g := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(g)
	if err != nil {
		t.Fatal(err)
	}
	return g, m
}

func help(name string) string {
	f, _ := mn.Lookup(name)
	return f.Help
}

func TestMetrics(t *testing.T) {
	g, m := newMetrics(t)
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

// TestMessageCounter: Reached closes when the count gets there, at once if
// it is there already, and never below it.
func TestMessageCounter(t *testing.T) {
	var c MessageCounter
	five, ten := c.Reached(5), c.Reached(10)
	c.BatchCommitted(BatchStats{Messages: 3})
	select {
	case <-five:
		t.Fatal("Reached(5) closed at 3")
	default:
	}
	c.BatchCommitted(BatchStats{Messages: 4})
	select {
	case <-five:
	case <-time.After(time.Second):
		t.Fatal("Reached(5) open at 7")
	}
	select {
	case <-ten:
		t.Fatal("Reached(10) closed at 7")
	default:
	}
	select {
	case <-c.Reached(7):
	default:
		t.Fatal("Reached(7) open at 7")
	}
	if c.Count() != 7 {
		t.Errorf("Count %d, want 7", c.Count())
	}
}
