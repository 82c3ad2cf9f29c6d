package analytics

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

// TestOnCallShiftSourcesAgree: on-call load read from the derived tables
// (shift_events, responder_events, responder_zones, incidents) equals the
// same query reading events (what ResponderLoads does on a store without
// analytics attached).
func TestOnCallShiftSourcesAgree(t *testing.T) {
	ctx := context.Background()
	s := ocStore(t)
	if err := Attach(ctx, s); err != nil {
		t.Fatal(err)
	}
	enough := errors.New("enough")
	var rows []store.Row
	err := synth.Generate(synth.Config{Seed: 5, Teams: 4, Days: 40, End: synth.DefaultEnd}, func(e event.Event) error {
		rows = append(rows, store.Row{Event: e})
		if len(rows) == 8000 {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) {
		t.Fatalf("synth: %d events (%v)", len(rows), err)
	}
	for lo := 0; lo < len(rows); lo += 3000 {
		if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows[lo:min(lo+3000, len(rows))]}); err != nil {
			t.Fatal(err)
		}
	}
	// At the stream's end, and 10 days before it (events after Now: the
	// incidents and zones as of Now).
	for _, now := range []time.Time{synth.DefaultEnd, synth.DefaultEnd.Add(-10 * 24 * time.Hour)} {
		cfg := DefaultConfig(now)
		src, err := onCallSource(ctx, s.DB(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !src.derived || src.futureZones != now.Before(synth.DefaultEnd) || src.futureIncidents != now.Before(synth.DefaultEnd) {
			t.Fatalf("Now %s: source %+v", now, src)
		}
		ocSourcesAgree(t, s, cfg)
	}
}

func ocSourcesAgree(t *testing.T, s *store.Store, cfg Config) {
	ctx := context.Background()
	fromTable, err := ResponderLoads(ctx, s.DB(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	oncall := 0
	for _, r := range fromTable {
		if r.OnCallSeconds > 0 {
			oncall++
		}
	}
	if oncall == 0 {
		t.Fatal("no responder with on-call time: the test data has no shifts")
	}
	q, args := onCallQueryFrom(cfg, ocFromEvents)
	if q2, _ := onCallQuery(cfg); q2 == q {
		t.Fatal("the two sources render the same query")
	}
	res, err := s.DB().QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	fromEvents, err := scanResponderLoads(res, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromEvents) != len(fromTable) {
		t.Fatalf("Now %s: %d rows from events, %d from the derived tables", cfg.Now, len(fromEvents), len(fromTable))
	}
	for i := range fromEvents {
		a, b := fromEvents[i], fromTable[i]
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("Now %s: row %d: from events %+v, from the derived tables %+v", cfg.Now, i, a, b)
		}
	}
}
