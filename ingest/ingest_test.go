package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// fixtureMessages returns the canonical fixture's lines and every bad fixture.
func fixtureMessages(t *testing.T) (good, bad []kafkatest.Message) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(fixtures.Read(t, "canonical/incident-lifecycle.jsonl")))
	for sc.Scan() {
		good = append(good, kafkatest.Message{Value: append([]byte(nil), sc.Bytes()...)})
	}
	entries, err := os.ReadDir(fixtures.Dir(t, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		bad = append(bad, kafkatest.Message{Value: fixtures.Read(t, "bad/"+e.Name())})
	}
	return good, bad
}

// recorder is a real Observer that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	reasons map[string]int
	batches int
}

func (r *recorder) BatchCommitted(s ingest.BatchStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	if r.reasons == nil {
		r.reasons = map[string]int{}
	}
	for k, v := range s.DeadReasons {
		r.reasons[k] += v
	}
}
func (r *recorder) Lag(string, int, int64)       {}
func (r *recorder) DecodeWarning(string, string) {}

func TestConsumeFixturesExactlyOnce(t *testing.T) {
	ctx := context.Background()
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{"events"}, Partitions: 3})
	good, bad := fixtureMessages(t)
	if err := b.Produce(ctx, "events", append(good, bad...)...); err != nil {
		t.Fatal(err)
	}
	s := testkit.OpenStore(t)
	rec := &recorder{}
	cfg := ingest.Config{Brokers: []string{b.Addr()}, Topics: []ingest.Topic{{Name: "events"}}, Group: "g1",
		BatchSize: 4, BatchWait: 50 * time.Millisecond, Observer: rec}
	stop := testkit.RunConsumer(t, cfg, s)
	testkit.WaitCounts(t, s, int64(len(good)), int64(len(bad)))
	stop()

	// Every bad fixture is dead-lettered with its precise reason.
	rows, err := s.DB().Query(`SELECT reason, count(*) FROM dead_letters GROUP BY ALL ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			t.Fatal(err)
		}
		got[r] = n
	}
	want := map[string]int{"not_an_object": 1, "bad_time": 1, "empty": 1, "missing_field": 1, "invalid_utf8": 1,
		"invalid_json": 1, "unknown_type": 1, "wrong_type": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dead letters by reason = %v, want %v", got, want)
	}
	if fmt.Sprint(rec.reasons) != fmt.Sprint(want) {
		t.Errorf("observer dead reasons = %v, want %v", rec.reasons, want)
	}

	// Produce everything again, consume it with a restart in the middle:
	// nothing new is stored and nothing is dead-lettered twice.
	if err := b.Produce(ctx, "events", append(good, bad...)...); err != nil {
		t.Fatal(err)
	}
	stop = testkit.RunConsumer(t, cfg, s)
	time.Sleep(100 * time.Millisecond)
	stop()
	stop = testkit.RunConsumer(t, cfg, s)
	// New events after the replay prove the consumer caught up past it.
	extra := kafkatest.Message{Value: []byte(`{"specversion":"1.0","id":"late-1","source":"t","type":"incident.resolved","time":"2026-03-03T00:00:00Z","data":{"incident_id":"INC-9"}}`)}
	if err := b.Produce(ctx, "events", extra); err != nil {
		t.Fatal(err)
	}
	testkit.WaitCounts(t, s, int64(len(good))+1, int64(len(bad))+int64(len(bad)))
	stop()
	var distinct, total int64
	if err := s.DB().QueryRow(`SELECT count(DISTINCT id), count(*) FROM events`).Scan(&distinct, &total); err != nil {
		t.Fatal(err)
	}
	if distinct != total {
		t.Errorf("events: %d rows for %d ids", total, distinct)
	}
}

func TestBinaryModeMessage(t *testing.T) {
	ctx := context.Background()
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{"bin"}})
	e := event.Event{ID: "bin-1", Source: "t", Type: event.IncidentTriggered, Time: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Data: event.Data{IncidentID: "I-1", Team: "payments"}}
	hs, v, err := event.MarshalBinary(e)
	if err != nil {
		t.Fatal(err)
	}
	m := kafkatest.Message{Value: v, Headers: map[string]string{}}
	for _, h := range hs {
		m.Headers[h.Key] = string(h.Value)
	}
	if err := b.Produce(ctx, "bin", m); err != nil {
		t.Fatal(err)
	}
	s := testkit.OpenStore(t)
	stop := testkit.RunConsumer(t, ingest.Config{Brokers: []string{b.Addr()}, Topics: []ingest.Topic{{Name: "bin"}}, Group: "g"}, s)
	testkit.WaitCounts(t, s, 1, 0)
	stop()
	var team string
	if err := s.DB().QueryRow(`SELECT team FROM events WHERE id='bin-1'`).Scan(&team); err != nil || team != "payments" {
		t.Fatalf("team = %q, %v", team, err)
	}
}

func TestWaitForBrokersFailsFast(t *testing.T) {
	s := testkit.OpenStore(t)
	c, err := ingest.NewConsumer(ingest.Config{Brokers: []string{"127.0.0.1:1"}, Topics: []ingest.Topic{{Name: "x"}}}, s)
	if err != nil {
		t.Fatal(err)
	}
	err = c.WaitForBrokers(context.Background(), false)
	if err == nil {
		t.Fatal("WaitForBrokers(wait=false) succeeded against a closed port")
	}
	t.Log(err)
}

func TestIngestFileTwice(t *testing.T) {
	ctx := context.Background()
	s := testkit.OpenStore(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	good, bad := fixtureMessages(t)
	var buf bytes.Buffer
	for _, m := range good {
		buf.Write(m.Value)
		buf.WriteByte('\n')
	}
	buf.WriteString(`{"specversion":"1.0","id":"x","type":"incident.exploded"}` + "\n")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = bad
	tests := []struct {
		name                 string
		stored, dups, deadLt int
	}{
		{"first", len(good), 0, 1},
		{"second", 0, len(good), 1},
	}
	for _, tt := range tests {
		st, err := ingest.IngestFile(ctx, path, s, ingest.FileConfig{BatchSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		if st.Stored != tt.stored || st.Duplicates != tt.dups || st.DeadLettered != tt.deadLt {
			t.Errorf("%s ingest: %+v", tt.name, st)
		}
	}
	// The replayed dead letter is recognised by file and line: stored once.
	testkit.WaitCounts(t, s, int64(len(good)), 1)

	if _, err := ingest.IngestFile(ctx, filepath.Join(dir, "missing.jsonl"), s, ingest.FileConfig{}); err == nil {
		t.Error("ingest of a missing file succeeded")
	}
}

func TestIngestWholeDocument(t *testing.T) {
	s := testkit.OpenStore(t)
	path := filepath.Join(t.TempDir(), "one.json")
	doc := "{\n  \"specversion\": \"1.0\", \"id\": \"w-1\", \"source\": \"t\",\n  \"type\": \"incident.triggered\", \"time\": \"2026-03-02T00:00:00Z\",\n  \"data\": {\"incident_id\": \"I\"}\n}\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := ingest.IngestFile(context.Background(), path, s, ingest.FileConfig{})
	if err != nil || st.Stored != 1 {
		t.Fatalf("stats %+v, err %v", st, err)
	}
}

type decodeHeader struct{ k, v string }

func toEventHeaders(hs []decodeHeader) []event.Header {
	out := make([]event.Header, len(hs))
	for i, h := range hs {
		out[i] = event.Header{Key: h.k, Value: []byte(h.v)}
	}
	return out
}
