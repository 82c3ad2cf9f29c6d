package ingest_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// TestMetricsInit: before any message, the given topics' outcomes, every
// dead-letter reason and every decode warning are exposed at 0, and nothing
// else is.
func TestMetricsInit(t *testing.T) {
	g := prometheus.NewPedanticRegistry()
	m, err := ingest.NewMetrics(g)
	if err != nil {
		t.Fatal(err)
	}
	m.Init([]string{"pd", "webhook/alertmanager"})
	want := map[string]bool{}
	for _, topic := range []string{"pd", "webhook/alertmanager"} {
		for _, o := range []string{mn.OutcomeStored, mn.OutcomeDuplicate, mn.OutcomeDeadLettered} {
			want[fmt.Sprintf("%s{outcome=%q,topic=%q}", mn.IngestMessagesTotal, o, topic)] = true
		}
	}
	for _, r := range event.Reasons() {
		want[fmt.Sprintf("%s{reason=%q}", mn.IngestDeadLettersTotal, r)] = true
	}
	for _, w := range decode.Warnings() {
		want[fmt.Sprintf("%s{reason=%q,source=%q}", mn.IngestDecodeWarningsTotal, w.What, w.Format)] = true
	}
	want[mn.IngestBatchDurationSeconds+"{}"] = true
	got := testkit.Series(t, g)
	for s := range want {
		if v, ok := got[s]; !ok || v != 0 {
			t.Errorf("%s: %v (present %v), want 0", s, v, ok)
		}
	}
	for s := range got {
		if !want[s] {
			t.Errorf("%s exposed before any message", s)
		}
	}
	// 14 reasons, 4 warnings, 2 topics x 3 outcomes, the histogram.
	if len(event.Reasons()) != 14 || len(decode.Warnings()) != 4 || len(got) != 14+4+6+1 {
		t.Errorf("%d reasons, %d warnings, %d series; want 14, 4, 25", len(event.Reasons()), len(decode.Warnings()), len(got))
	}
}
