package ingest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// TestSourceTopicsEndToEnd feeds one topic per source format with that
// format's fixtures, as a webhook bridge would (body as value, HTTP headers
// as record headers), and checks that every message is stored and that the
// stored PagerDuty incident has the durations its fixtures' timestamps imply.
func TestSourceTopicsEndToEnd(t *testing.T) {
	ctx := context.Background()
	formats := []string{decode.PagerDuty, decode.Alertmanager, decode.Grafana, decode.Opsgenie, decode.OnCall, decode.IncidentIO}
	b := kafkatest.New(t, kafkatest.Options{Topics: formats, Partitions: 2})
	var topics []ingest.Topic
	// Distinct ids: fixtures of one source may repeat an event on purpose
	// (a role snapshot, a page listed again by a later webhook), which the
	// store keeps once.
	wantIDs := map[string]bool{}
	for _, f := range formats {
		topics = append(topics, ingest.Topic{Name: f, Format: f})
		dec, err := decode.New(f, decode.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		dir := fixtures.Dir(t, f)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []kafkatest.Message
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".headers.json") || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			m := kafkatest.Message{Value: fixtures.Read(t, f+"/"+e.Name()), Headers: map[string]string{}}
			if h, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(e.Name(), ".json")+".headers.json")); err == nil {
				if err := json.Unmarshal(h, &m.Headers); err != nil {
					t.Fatal(err)
				}
			}
			var hs []decodeHeader
			for k, v := range m.Headers {
				hs = append(hs, decodeHeader{k, v})
			}
			// Opsgenie's Escalate and OnCall's unresolve, unacknowledge and
			// unsilence carry no time: the decoder takes the record
			// timestamp (an id that includes it differs from the consumer's,
			// but is distinct either way).
			evs, err := dec.Decode(decode.Message{Topic: f, Value: m.Value, Headers: toEventHeaders(hs), Time: time.Now()})
			if err != nil {
				t.Fatalf("%s/%s: %v", f, e.Name(), err)
			}
			for _, ev := range evs {
				wantIDs[ev.ID] = true
			}
			msgs = append(msgs, m)
		}
		if err := b.Produce(ctx, f, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	s := testkit.OpenStore(t)
	stop := testkit.RunConsumer(t, ingest.Config{Brokers: []string{b.Addr()}, Topics: topics, Group: "sources", BatchWait: 50 * time.Millisecond}, s)
	testkit.WaitCounts(t, s, int64(len(wantIDs)), 0)
	stop()

	// PagerDuty Q2WXYZ: triggered 02:11:03(.210), acknowledged 02:17:45(.120)
	// and resolved 03:02:40(.500), in whole seconds as the decoder gives
	// PagerDuty times (decode.PagerDutyID): 6m42s and 51m37s.
	var ackMs, resolveMs int64
	err := s.DB().QueryRow(`
		SELECT epoch_ms(max(time) FILTER (WHERE type = 'incident.acknowledged')) - epoch_ms(min(time) FILTER (WHERE type = 'incident.triggered')),
		       epoch_ms(max(time) FILTER (WHERE type = 'incident.resolved'))     - epoch_ms(min(time) FILTER (WHERE type = 'incident.triggered'))
		FROM events WHERE source = 'pagerduty' AND incident_id = 'Q2WXYZ'`).Scan(&ackMs, &resolveMs)
	if err != nil {
		t.Fatal(err)
	}
	if ackMs != (6*60+42)*1000 || resolveMs != (51*60+37)*1000 {
		t.Errorf("PagerDuty ack %d ms, resolve %d ms; want 402000 and 3097000", ackMs, resolveMs)
	}
}
