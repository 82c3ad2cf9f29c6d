package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

// keyedMessages returns n synthetic events keyed by incident id (else alert
// key, else responder), as docs/scaling.md tells producers to key them.
func keyedMessages(t *testing.T, n int) []kafkatest.Message {
	t.Helper()
	enough := errors.New("enough")
	seen := map[string]bool{}
	var out []kafkatest.Message
	err := synth.Generate(synth.Config{Seed: 4, Days: 3650, Teams: 6}, func(e event.Event) error {
		if seen[e.ID] {
			return nil
		}
		seen[e.ID] = true
		v, err := event.Marshal(e)
		if err != nil {
			return err
		}
		key := e.Data.IncidentID
		if key == "" {
			key = e.Data.AlertKey
		}
		if key == "" {
			key = e.Data.Responder
		}
		out = append(out, kafkatest.Message{Key: []byte(key), Value: v})
		if len(out) == n {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) {
		t.Fatalf("synth: %d events, want %d (%v)", len(out), n, err)
	}
	return out
}

// TestRebalanceStoresEachEventOnce runs consumers with separate stores in one
// group while the stream is being produced, makes members join and leave
// mid-stream, and checks that the union of the stores holds every event
// exactly once: no batch in hand crossed a rebalance into two stores.
func TestRebalanceStoresEachEventOnce(t *testing.T) {
	n := 12000
	if testing.Short() {
		n = 4000
	}
	tests := []struct {
		name string
		// members start in order, each once the previous one has stored
		// something (a join rebalance while the others hold batches); the
		// first `leave` of them stop gracefully once the next has stored
		// something (a leave rebalance).
		members, leave int
	}{
		{name: "join", members: 2, leave: 0},
		{name: "join then leave", members: 2, leave: 1},
		{name: "three members, two leave", members: 3, leave: 2},
	}
	msgs := keyedMessages(t, n)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := kafkatest.New(t, kafkatest.Options{Topics: []string{"events"}, Partitions: 12})
			// The stream is produced while the members consume, so that
			// every rebalance meets batches in hand.
			produced := make(chan error, 1)
			go func() {
				const chunk = 100
				for i := 0; i < len(msgs); i += chunk {
					if err := b.Produce(ctx, "events", msgs[i:min(i+chunk, len(msgs))]...); err != nil {
						produced <- err
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				produced <- nil
			}()
			cfg := ingest.Config{Brokers: []string{b.Addr()}, Topics: []ingest.Topic{{Name: "events"}},
				Group: "shards", BatchSize: 300, BatchWait: 50 * time.Millisecond}
			stores := make([]*store.Store, tt.members)
			stops := make([]func(), tt.members)
			for i := range tt.members {
				stores[i] = testkit.OpenStore(t)
				stops[i] = testkit.RunConsumer(t, cfg, stores[i])
				waitStored(t, stores[i], fmt.Sprintf("member %d", i))
			}
			for i := range tt.leave {
				stops[i]()
				stops[i] = nil
			}
			if err := <-produced; err != nil {
				t.Fatal(err)
			}
			// The members left consume the rest.
			deadline := time.Now().Add(60 * time.Second)
			for {
				total := int64(0)
				for _, s := range stores {
					c, err := s.Count(ctx)
					if err != nil {
						t.Fatal(err)
					}
					total += c.Events
				}
				if total >= int64(n) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the stores hold %d events after 60 s, want %d", total, n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, stop := range stops {
				if stop != nil {
					stop()
				}
			}
			in := map[string]int{} // id → stores holding it
			for i, s := range stores {
				ids := testkit.StoredIDs(t, s)
				t.Logf("member %d stored %d events", i, len(ids))
				for id, k := range ids {
					if k != 1 {
						t.Errorf("member %d stored %s %d times", i, id, k)
					}
					in[id]++
				}
			}
			twice := 0
			for _, k := range in {
				if k > 1 {
					twice++
				}
			}
			if len(in) != n || twice != 0 {
				t.Errorf("union of the stores: %d distinct events (want %d), %d in more than one store (want 0)", len(in), n, twice)
			}
		})
	}
}

func waitStored(t *testing.T, s *store.Store, who string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := s.Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Events > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stored nothing within 60 s", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
