package bench

import (
	"errors"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

var errEnough = errors.New("enough")

// synthConfig is the scale: 100 teams, 1,000 responders, 365 days.
func synthConfig(seed int64) synth.Config {
	return synth.Config{Seed: seed, Teams: 100, RespondersPerTeam: 10, Days: 365}
}

// firstEvents returns the first n events of cfg's stream (time order).
func firstEvents(cfg synth.Config, n int) ([]event.Event, error) {
	out := make([]event.Event, 0, n)
	err := synth.Generate(cfg, func(e event.Event) error {
		out = append(out, e)
		if len(out) == n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}

// messages marshals evs as canonical structured-mode documents.
func messages(evs []event.Event) ([][]byte, error) {
	out := make([][]byte, len(evs))
	for i, e := range evs {
		b, err := event.Marshal(e)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func rows(evs []event.Event, topic string) []store.Row {
	out := make([]store.Row, len(evs))
	for i, e := range evs {
		out[i] = store.Row{Event: e, Topic: topic, Partition: int32(i % 4), Offset: int64(i)}
	}
	return out
}
