package synth

import (
	"testing"

	"github.com/pagerlens/pagerlens/event"
)

// TestQueueStaysSmall: the queue holds what is in flight, not the stream, so
// a 10× longer stream must not need a 10× larger queue.
func TestQueueStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("generates about 1M events")
	}
	peak := func(days int) (int, int) {
		g, err := newGen(Config{Seed: 1, Days: days, Teams: 50}, func(event.Event) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		mx, n := 0, 0
		g.out.emit = func(event.Event) error {
			n++
			mx = max(mx, len(g.queue))
			return nil
		}
		if err := g.run(); err != nil {
			t.Fatal(err)
		}
		return mx, n
	}
	short, n1 := peak(36)
	long, n2 := peak(365)
	t.Logf("peak queue %d for %d events, %d for %d events", short, n1, long, n2)
	if n2 < 900_000 {
		t.Fatalf("only %d events", n2)
	}
	if long > 2*short {
		t.Fatalf("peak queue grew from %d to %d with the stream length", short, long)
	}
}
