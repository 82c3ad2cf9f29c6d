package ingest_test

import (
	"testing"

	"github.com/pagerlens/pagerlens/ingest"
)

// TestConfigBatchMax: the bound on a batch under a backlog, as serve's
// --batch-max and kafka.batch_max document it (0: 10 × BatchSize, at most
// 50,000; never below BatchSize).
func TestConfigBatchMax(t *testing.T) {
	for _, tc := range []struct {
		name                string
		batchSize, batchMax int
		want                int
	}{
		{"defaults", 0, 0, 50_000},
		{"10 × batch size", 2000, 0, 20_000},
		{"capped at 50,000", 8000, 0, 50_000},
		{"batch size above the cap", 60_000, 0, 60_000},
		{"set", 5000, 12_000, 12_000},
		{"below batch size", 5000, 1000, 5000},
		{"negative means default", 1000, -1, 10_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ingest.Config{BatchSize: tc.batchSize, BatchMax: tc.batchMax}
			c.Defaults()
			if c.BatchMax != tc.want {
				t.Errorf("BatchSize %d, BatchMax %d: BatchMax after Defaults = %d; want %d",
					tc.batchSize, tc.batchMax, c.BatchMax, tc.want)
			}
		})
	}
}
