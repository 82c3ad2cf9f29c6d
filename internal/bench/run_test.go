package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRunQuick runs the stages named by PAGERLENS_BENCH_STAGES (default
// none: skipped) at small sizes, printing the table; for development.
func TestRunQuick(t *testing.T) {
	st := os.Getenv("PAGERLENS_BENCH_STAGES")
	if st == "" {
		t.Skip("set PAGERLENS_BENCH_STAGES")
	}
	cfg := DefaultConfig()
	cfg.Stages = strings.Split(st, ",")
	if v, _ := strconv.Atoi(os.Getenv("PAGERLENS_BENCH_STORED")); v > 0 {
		cfg.Stored = v
	}
	cfg.Progress = os.Stderr
	if v, _ := strconv.Atoi(os.Getenv("PAGERLENS_BENCH_BATCH")); v > 0 {
		cfg.BatchSize, cfg.StoreBatches = v, 500000/v
	}
	cfg.Dir = os.Getenv("PAGERLENS_BENCH_DIR")
	res, err := Run(context.Background(), cfg)
	if res != nil {
		for _, r := range res.Rows {
			t.Logf("%+v", r)
		}
		for _, n := range res.Notes {
			t.Log(n)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}
