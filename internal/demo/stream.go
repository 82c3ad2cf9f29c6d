// Package demo holds what `pagerlens demo` adds to the real pipeline: the
// synthetic history and live trickle as keyed Kafka records, and the summary
// it prints. internal/app runs the demo (broker, serve, dashboards, report).
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/embedkafka"
	"github.com/pagerlens/pagerlens/internal/synth"
)

// key is the Kafka record key a producer should use (event.PartitionKey);
// a shift event falls back to its responder.
func key(e event.Event) []byte {
	return []byte(event.PartitionKey(e.Data.IncidentID, e.Data.AlertKey, e.Data.Responder))
}

// Message is e as a Kafka record keyed by key, as the demo and the
// dashboards end-to-end test produce their streams.
func Message(e event.Event) (embedkafka.Message, error) {
	v, err := event.Marshal(e)
	if err != nil {
		return embedkafka.Message{}, err
	}
	return embedkafka.Message{Key: key(e), Value: v}, nil
}

// History returns the synthetic history as Kafka messages, in time order.
func History(seed int64, teams, days int, end time.Time) ([]embedkafka.Message, error) {
	var out []embedkafka.Message
	cfg := synth.Config{Seed: seed, Teams: teams, Days: days, End: end.Truncate(time.Second), Duplicates: 0.005, Disorder: 0.01}
	err := synth.Generate(cfg, func(e event.Event) error {
		m, err := Message(e)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("generate history: %w", err)
	}
	return out, nil
}

var errDone = errors.New("done")

// Trickle sends live events until ctx ends: a further day of the same
// synthetic world (another seed), played speedup times faster than real
// time, each event stamped with the moment it is sent so that it lands in
// the present. send is called with each due group of events.
func Trickle(ctx context.Context, seed int64, teams int, start time.Time, speedup float64, send func([]embedkafka.Message) error) error {
	if speedup <= 0 {
		speedup = 60
	}
	start = start.Truncate(time.Second)
	cfg := synth.Config{Seed: seed, Teams: teams, Start: start, End: start.Add(30 * 24 * time.Hour)}
	seq, err := synth.Events(cfg)
	if err != nil {
		return fmt.Errorf("live trickle: %w", err)
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var due []embedkafka.Message
	var sendErr error
	for e := range seq {
		// Compress the world's clock: an event t after start is sent at
		// start + (t−start)/speedup; its times move by the same map.
		at := start.Add(time.Duration(float64(e.Time.Sub(start)) / speedup))
		for time.Now().Before(at) {
			if len(due) > 0 {
				if sendErr = send(due); sendErr != nil {
					return fmt.Errorf("live trickle: %w", sendErr)
				}
				due = due[:0]
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
		e.Time = at.UTC().Truncate(time.Millisecond)
		if e.Data.StartedAt != nil {
			s := start.Add(time.Duration(float64(e.Data.StartedAt.Sub(start)) / speedup)).UTC()
			e.Data.StartedAt = &s
		}
		m, err := Message(e)
		if err != nil {
			return fmt.Errorf("live trickle: %w", err)
		}
		due = append(due, m)
	}
	return nil
}
