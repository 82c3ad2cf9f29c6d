package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKafkaBatchMax: kafka.batch_max is read as given; unset it stays 0, the
// consumer's default (10 × batch_size, at most 50,000), so that the default
// follows batch_size.
func TestKafkaBatchMax(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       int
		wantErr    string
	}{
		{name: "unset", yaml: "kafka: {batch_size: 2000}\n", want: 0},
		{name: "set", yaml: "kafka: {batch_size: 2000, batch_max: 20000}\n", want: 20000},
		{name: "zero", yaml: "kafka: {batch_max: 0}\n", want: 0},
		{name: "not a number", yaml: "kafka:\n  batch_max: lots\n", wantErr: "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load: err %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Kafka.BatchMax != tc.want {
				t.Errorf("kafka.batch_max = %d; want %d", cfg.Kafka.BatchMax, tc.want)
			}
		})
	}
	if got := Default().Kafka.BatchMax; got != 0 {
		t.Errorf("Default().Kafka.BatchMax = %d; want 0 (the consumer's default)", got)
	}
}
