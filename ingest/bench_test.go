package ingest_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

var (
	benchEvents = flag.Int("bench.events", 1_000_000, "events produced for BenchmarkConsume and BenchmarkIngestFile")
	benchBatch  = flag.Int("bench.batch", 5000, "BatchSize of BenchmarkConsume's consumer")
)

// synthMessages returns n canonical events as Kafka messages, keyed by
// incident or alert key as a producer should key them.
func synthMessages(b *testing.B, n int) [][]byte {
	b.Helper()
	out := make([][]byte, 0, n)
	cfg := synth.Config{Seed: 1, Teams: 100, Days: 365}
	stop := fmt.Errorf("enough")
	err := synth.Generate(cfg, func(e event.Event) error {
		v, err := event.Marshal(e)
		if err != nil {
			return err
		}
		out = append(out, v)
		if len(out) == n {
			return stop
		}
		return nil
	})
	if err != nil && err != stop {
		b.Fatal(err)
	}
	return out
}

// BenchmarkConsume measures, on the same messages from the embedded broker,
// the raw kafka-go consumer-group rate (the limit) and pagerlens's
// Kafka→DuckDB rate (decode, validate, idempotent store, offset commit).
func BenchmarkConsume(b *testing.B) {
	n := *benchEvents
	msgs := synthMessages(b, n)
	br := kafkatest.New(b, kafkatest.Options{Topics: []string{"events"}, Partitions: 4})
	ctx := context.Background()
	kms := make([]kafkatest.Message, len(msgs))
	for i, v := range msgs {
		kms[i] = kafkatest.Message{Value: v}
	}
	if err := br.Produce(ctx, "events", kms...); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()

	var rawRate, ingestRate float64
	for i := 0; i < b.N; i++ {
		// The limit: kafka-go FetchMessage + CommitMessages per 5,000, nothing else.
		start := time.Now()
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{br.Addr()}, GroupID: fmt.Sprintf("raw-%d", i),
			GroupTopics: []string{"events"}, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 250 * time.Millisecond,
			QueueCapacity: 5000, StartOffset: kafka.FirstOffset})
		batch := make([]kafka.Message, 0, 5000)
		for got := 0; got < n; got++ {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, m)
			if len(batch) == cap(batch) || got == n-1 {
				if err := r.CommitMessages(ctx, batch...); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		r.Close()
		rawRate = float64(n) / time.Since(start).Seconds()

		s, err := store.Open(ctx, filepath.Join(b.TempDir(), "b.duckdb"), store.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		// The derived tables serve maintains (incidents, alert_lives, …)
		// are part of every batch's write: without them the store's fixed
		// cost per batch, which bounds the consumer, is not measured.
		if err := analytics.Attach(ctx, s); err != nil {
			b.Fatal(err)
		}
		obs := &ingest.MessageCounter{}
		done := obs.Reached(int64(n))
		c, err := ingest.NewConsumer(ingest.Config{Brokers: []string{br.Addr()}, Topics: []ingest.Topic{{Name: "events"}},
			Group: fmt.Sprintf("pl-%d", i), BatchSize: *benchBatch, Observer: obs}, s)
		if err != nil {
			b.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		start = time.Now()
		errc := make(chan error, 1)
		go func() { errc <- c.Run(cctx) }()
		<-done
		ingestRate = float64(n) / time.Since(start).Seconds()
		cancel()
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(rawRate, "raw-events/s")
	b.ReportMetric(ingestRate, "ingest-events/s")
	b.ReportMetric(ingestRate/rawRate, "ratio")
}

// BenchmarkIngestFile measures `pagerlens ingest` of a JSONL file.
func BenchmarkIngestFile(b *testing.B) {
	n := *benchEvents
	msgs := synthMessages(b, n)
	path := filepath.Join(b.TempDir(), "events.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range msgs {
		f.Write(m)
		f.Write([]byte{'\n'})
	}
	f.Close()
	b.ResetTimer()
	var rate float64
	for i := 0; i < b.N; i++ {
		s, err := store.Open(context.Background(), filepath.Join(b.TempDir(), fmt.Sprintf("f%d.duckdb", i)), store.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		st, err := ingest.IngestFile(context.Background(), path, s, ingest.FileConfig{BatchSize: 50000})
		if err != nil {
			b.Fatal(err)
		}
		rate = float64(st.Messages) / time.Since(start).Seconds()
		s.Close()
	}
	b.ReportMetric(rate, "events/s")
}
