package analytics

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestHandoverDocsCarryTheSQL: docs/metrics.md prints the two queries of
// the handover digest (no roster, every team); this keeps them equal to
// the code.
func TestHandoverDocsCarryTheSQL(t *testing.T) {
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	open, _ := openIncidentsQuery(now, "", false)
	oncall, _ := onCallAtQuery(DefaultConfig(now), "")
	if os.Getenv("PRINT_SQL") != "" {
		t.Logf("\n%s\n\n%s", open, oncall)
	}
	for name, q := range map[string]string{"open incidents": open, "on call at": oncall} {
		if !strings.Contains(string(b), q) {
			t.Errorf("docs/metrics.md does not carry the current SQL of %s; copy it from the code (PRINT_SQL=1 go test -run TestHandoverDocs -v)", name)
		}
	}
}
