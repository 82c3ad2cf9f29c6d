package analytics

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestCommandDocsCarryTheSQL: docs/metrics.md ("Incident command practice")
// prints the SQL of the command, services and schedules queries; this keeps
// the copy there equal to the code, as TestDocsCarryTheSQL does for the
// other sections. The queries are rendered with the default config.
func TestCommandDocsCarryTheSQL(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	cfg := DefaultConfig(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	command, _ := commandQuery(cfg, false)
	services, _ := servicesQuery(cfg, false)
	schedules, _ := schedulesQuery(cfg)
	for name, q := range map[string]string{
		"command query":   command,
		"services query":  services,
		"schedules query": schedules,
	} {
		if !strings.Contains(doc, q) {
			t.Errorf("docs/metrics.md does not carry the current SQL of the %s; copy it from the code", name)
		}
	}
}
