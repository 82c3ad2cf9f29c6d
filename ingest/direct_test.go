package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

func TestDirectSubmit(t *testing.T) {
	pd := fixtures.Read(t, "pagerduty/incident.triggered.json")
	canon := []byte(`{"specversion":"1.0","id":"d-1","source":"synthetic","type":"alert.triggered","time":"2026-03-02T02:10:00Z","data":{"alert_key":"k","service":"s","team":"t"}}`)
	bad := fixtures.Read(t, "bad/truncated.json")
	tests := []struct {
		name       string
		msgs       []decode.Message
		wantEvents int
		wantDead   []string // reasons
	}{
		{"pagerduty", []decode.Message{{Topic: "webhook/pagerduty", Value: pd}}, 1, nil},
		{"canonical", []decode.Message{{Topic: "webhook/canonical", Value: canon}}, 1, nil},
		{"bad", []decode.Message{{Topic: "webhook/canonical", Value: bad}}, 0, []string{"invalid_json"}},
		{"mixed", []decode.Message{{Topic: "webhook/canonical", Value: canon}, {Topic: "webhook/pagerduty", Value: bad}}, 1, []string{"invalid_json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testkit.OpenStore(t)
			d, err := ingest.NewDirect(ingest.DirectConfig{Topics: []ingest.Topic{
				{Name: "webhook/pagerduty", Format: decode.PagerDuty},
				{Name: "webhook/canonical", Format: decode.Canonical},
			}}, s)
			if err != nil {
				t.Fatal(err)
			}
			// Delivered twice: stored once, dead-lettered once.
			for i := range 2 {
				res, err := d.Submit(context.Background(), tt.msgs)
				if err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
				if res.Events != tt.wantEvents {
					t.Errorf("delivery %d: %d events, want %d", i+1, res.Events, tt.wantEvents)
				}
				if len(res.DeadLetters) != len(tt.wantDead) {
					t.Fatalf("delivery %d: dead letters %v, want reasons %v", i+1, res.DeadLetters, tt.wantDead)
				}
				for j, dl := range res.DeadLetters {
					if dl.Reason != tt.wantDead[j] || dl.Error == "" {
						t.Errorf("dead letter %d: %+v, want reason %s and a message", j, dl, tt.wantDead[j])
					}
				}
			}
			testkit.WaitCounts(t, s, int64(tt.wantEvents), int64(len(tt.wantDead)))
		})
	}
}

// Concurrent submissions share transactions, and each still learns its own
// outcome.
func TestDirectGroupsConcurrentSubmissions(t *testing.T) {
	s := testkit.OpenStore(t)
	rec := &recorder{}
	d, err := ingest.NewDirect(ingest.DirectConfig{BatchWait: 20 * time.Millisecond, Observer: rec}, s)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			v := fmt.Sprintf(`{"specversion":"1.0","id":"g-%d","source":"synthetic","type":"alert.triggered","time":"2026-03-02T02:10:00Z","data":{"alert_key":"k%d"}}`, i, i)
			if i%10 == 0 {
				v = `{"specversion":` // every tenth is bad
			}
			res, err := d.Submit(context.Background(), []decode.Message{{Topic: "t", Value: []byte(v)}})
			switch {
			case err != nil:
				errs <- err
			case i%10 == 0 && len(res.DeadLetters) != 1:
				errs <- fmt.Errorf("submission %d: want one dead letter, got %+v", i, res)
			case i%10 != 0 && res.Events != 1:
				errs <- fmt.Errorf("submission %d: want one event, got %+v", i, res)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The bad bodies are identical, so they are one dead letter.
	testkit.WaitCounts(t, s, n-n/10, 1)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.batches >= n {
		t.Errorf("%d transactions for %d concurrent submissions: not grouped", rec.batches, n)
	}
}

func TestDirectSubmitCancelled(t *testing.T) {
	s := testkit.OpenStore(t)
	d, err := ingest.NewDirect(ingest.DirectConfig{BatchWait: time.Second}, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	v := `{"specversion":"1.0","id":"c-1","source":"synthetic","type":"alert.triggered","time":"2026-03-02T02:10:00Z","data":{"alert_key":"k"}}`
	if _, err := d.Submit(ctx, []decode.Message{{Topic: "t", Value: []byte(v)}}); err == nil {
		t.Fatal("Submit returned before the commit although its context ended")
	}
	// The write goes on and lands; a retry stores nothing twice.
	if _, err := d.Submit(context.Background(), []decode.Message{{Topic: "t", Value: []byte(v)}}); err != nil {
		t.Fatal(err)
	}
	testkit.WaitCounts(t, s, 1, 0)
}
