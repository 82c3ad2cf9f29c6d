package bench

import (
	"encoding/json"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/pagerlens/pagerlens/event"
)

// wire is the canonical document as one plain struct: what a bare
// unmarshal of the same fields costs, without pagerlens's checks.
type wire struct {
	SpecVersion string `json:"specversion"`
	ID          string `json:"id"`
	Source      string `json:"source"`
	Type        string `json:"type"`
	Time        string `json:"time"`
	Data        struct {
		event.Data
		StartedAt string `json:"started_at"`
	} `json:"data"`
}

// decode: the canonical decoder (UTF-8 check, parse, times, validation) on
// one goroutine, next to a bare encoding/json and a bare go-json-experiment
// unmarshal of the same documents into the same struct. The three are
// interleaved over three rounds and each keeps its best round, so a burst
// of load from other processes does not favour one.
func (r *runner) decode() error {
	evs, err := firstEvents(synthConfig(1), r.cfg.DecodeEvents)
	if err != nil {
		return err
	}
	msgs, err := messages(evs)
	if err != nil {
		return err
	}
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	lim := event.DefaultLimits()
	run := map[string]func() error{
		"canonical": func() error {
			for _, m := range msgs {
				if _, err := event.Decode(m, lim); err != nil {
					return err
				}
			}
			return nil
		},
		"encoding/json": func() error {
			for _, m := range msgs {
				var w wire
				if err := json.Unmarshal(m, &w); err != nil {
					return err
				}
			}
			return nil
		},
		"go-json-experiment": func() error {
			for _, m := range msgs {
				var w wire
				if err := jsonv2.Unmarshal(m, &w); err != nil {
					return err
				}
			}
			return nil
		},
	}
	order := []string{"canonical", "encoding/json", "go-json-experiment"}
	best := map[string]float64{}
	for range 3 {
		for _, name := range order {
			start := time.Now()
			if err := run[name](); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if v := rate(len(msgs), time.Since(start)); v > best[name] {
				best[name] = v
			}
		}
	}
	c, std, v2 := best["canonical"], best["encoding/json"], best["go-json-experiment"]
	r.add(Row{Stage: "decode", What: fmt.Sprintf("canonical Decode, 1 goroutine, %d events of %d B avg", len(msgs), size/len(msgs)),
		Figure: fmtRate(c), Limit: "encoding/json bare unmarshal " + fmtRate(std), Ratio: fmt.Sprintf("%.2f×", c/std),
		Target: "≥ 1M/s per core", Met: met(c >= 1e6)})
	// go-json-experiment is Decode's second path now (documents the scanner
	// does not take); its bare unmarshal is the best reflective decoder here.
	r.add(Row{Stage: "decode", What: "the same, vs the best reflection-based decoder (Decode's fallback)",
		Figure: fmtRate(c), Limit: "go-json-experiment bare unmarshal " + fmtRate(v2), Ratio: fmt.Sprintf("%.2f×", c/v2)})
	return nil
}
