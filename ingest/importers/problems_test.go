package importers

import (
	"testing"

	"github.com/pagerlens/pagerlens/event"
)

// TestProblemsOnce: an item met twice is one problem and one dead letter;
// without a batch it is only reported; items without an id are told apart
// by their bytes.
func TestProblemsOnce(t *testing.T) {
	p := Problems{Source: "pagerduty", Topic: "import/pagerduty", Format: "pagerduty-api"}
	var sum Summary
	var b Batch
	p.Add(&sum, &b, "incident", "P1", event.ReasonWrongType, "not an Incident", []byte(`{"id":1}`))
	p.Add(&sum, &b, "incident", "P1", event.ReasonWrongType, "not an Incident", []byte(`{"id":1}`)) // again
	p.Add(&sum, nil, "users", "", event.ReasonWrongType, "bad page", []byte(`[1]`))
	p.Add(&sum, &b, "page", "", event.ReasonWrongType, "bad page", []byte(`[2]`))
	p.Add(&sum, &b, "page", "", event.ReasonWrongType, "bad page", []byte(`[3]`))
	if sum.ProblemCount != 4 || len(b.DeadLetters) != 3 {
		t.Fatalf("%d problems, %d dead letters; want 4, 3", sum.ProblemCount, len(b.DeadLetters))
	}
	dl := b.DeadLetters[0]
	if dl.Topic != "import/pagerduty" || dl.Format != "pagerduty-api" || dl.Reason != string(event.ReasonWrongType) ||
		dl.Error != "pagerduty incident P1: not an Incident" || string(dl.Raw) != `{"id":1}` {
		t.Errorf("dead letter %+v", dl)
	}
	if b.DeadLetters[1].Offset == b.DeadLetters[2].Offset {
		t.Error("two items without an id got one offset")
	}
}
