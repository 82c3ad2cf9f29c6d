package bench

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/store"
)

// consume: cfg.Events canonical events from the embedded broker (4
// partitions), consumed by a bare kafka-go group reader that fetches and
// commits per 5,000 (the limit), then by pagerlens (decode, validate,
// idempotent store with analytics' derived tables, offset commit).
func (r *runner) consume() error {
	ctx := r.ctx
	n := r.cfg.Events
	evs, err := firstEvents(synthConfig(1), n)
	if err != nil {
		return err
	}
	msgs, err := messages(evs)
	if err != nil {
		return err
	}
	evs = nil
	br, err := kafkatest.Start(kafkatest.Options{Topics: []string{"events"}, Partitions: 4})
	if err != nil {
		return err
	}
	defer br.Close()
	kms := make([]kafkatest.Message, len(msgs))
	for i, v := range msgs {
		kms[i] = kafkatest.Message{Value: v}
	}
	r.logf("consume: producing %d messages", n)
	for lo := 0; lo < len(kms); lo += 50_000 {
		if err := br.Produce(ctx, "events", kms[lo:min(lo+50_000, len(kms))]...); err != nil {
			return err
		}
	}
	kms, msgs = nil, nil

	start := time.Now()
	kr := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{br.Addr()}, GroupID: "raw",
		GroupTopics: []string{"events"}, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 250 * time.Millisecond,
		QueueCapacity: 5000, StartOffset: kafka.FirstOffset})
	batch := make([]kafka.Message, 0, 5000)
	for got := 0; got < n; got++ {
		m, err := kr.FetchMessage(ctx)
		if err != nil {
			kr.Close()
			return fmt.Errorf("raw consume: %w", err)
		}
		batch = append(batch, m)
		if len(batch) == cap(batch) || got == n-1 {
			if err := kr.CommitMessages(ctx, batch...); err != nil {
				kr.Close()
				return fmt.Errorf("raw commit: %w", err)
			}
			batch = batch[:0]
		}
	}
	rawRate := rate(n, time.Since(start))
	kr.Close()

	// The default batch (5,000 messages or 250 ms: low latency for live
	// traffic) and a 50,000-message batch (catching up on a backlog).
	for _, batchSize := range []int{5000, 50_000} {
		ingestRate, err := r.consumeOnce(br.Addr(), n, batchSize)
		if err != nil {
			return err
		}
		r.add(Row{Stage: "consume", What: fmt.Sprintf("Kafka→DuckDB, %d events, 4 partitions, empty store, batch %d", n, batchSize),
			Figure: fmtRate(ingestRate), Limit: "raw kafka-go group consume " + fmtRate(rawRate),
			Ratio:  fmt.Sprintf("%.3f×", ingestRate/rawRate),
			Target: "≥ 250k/s (stretch)", Met: met(ingestRate >= 250_000)})
	}
	return nil
}

func (r *runner) consumeOnce(addr string, n, batchSize int) (float64, error) {
	ctx := r.ctx
	s, err := store.Open(ctx, r.path(fmt.Sprintf("consume-%d.duckdb", batchSize)), store.DefaultOptions())
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := analytics.Attach(ctx, s); err != nil {
		return 0, err
	}
	obs := &countObserver{target: n, done: make(chan struct{})}
	c, err := ingest.NewConsumer(ingest.Config{Brokers: []string{addr}, Topics: []ingest.Topic{{Name: "events"}},
		Group: fmt.Sprintf("pagerlens-%d", batchSize), BatchSize: batchSize, Observer: obs,
		Logger: slog.New(slog.DiscardHandler)}, s)
	if err != nil {
		return 0, err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- c.Run(cctx) }()
	select {
	case <-obs.done:
	case err := <-errc:
		return 0, fmt.Errorf("consumer stopped early: %v", err)
	}
	v := rate(n, time.Since(start))
	cancel()
	if err := <-errc; err != nil {
		return 0, err
	}
	return v, nil
}

type countObserver struct {
	mu     sync.Mutex
	seen   int
	target int
	done   chan struct{}
}

func (o *countObserver) BatchCommitted(s ingest.BatchStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen += s.Messages
	if o.seen >= o.target && o.done != nil {
		close(o.done)
		o.done = nil
	}
}
func (o *countObserver) Lag(string, int, int64)       {}
func (o *countObserver) DecodeWarning(string, string) {}

// writeJSONL writes n canonical events, one a line, to path.
func writeJSONL(path string, n int) error {
	evs, err := firstEvents(synthConfig(1), n)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, e := range evs {
		b, err := event.Marshal(e)
		if err != nil {
			f.Close()
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ingestChild runs `pagerlens ingest` of path into a new store and returns
// the events/s, stored count and the child's peak RSS.
func (r *runner) ingestChild(path, db string, lines int, env ...string) (float64, int, int64, error) {
	out, rss, took, err := r.childEnv(env, "ingest", "-q", "--db", db, path)
	if err != nil {
		return 0, 0, 0, err
	}
	// "N messages: S events stored, …"
	f := strings.Fields(string(out))
	stored := 0
	if len(f) > 3 {
		stored, _ = strconv.Atoi(f[2])
	}
	return rate(lines, took), stored, rss, nil
}

// backfill: `pagerlens ingest` of a cfg.Events-line JSONL file into a new
// store (the whole process: start-up, migrations, decode, write, close).
// The limit is the bare Appender rate of this run's store stage, if run.
func (r *runner) backfill() error {
	path := r.path("backfill.jsonl")
	if err := writeJSONL(path, r.cfg.Events); err != nil {
		return err
	}
	v, stored, rss, err := r.ingestChild(path, r.path("backfill.duckdb"), r.cfg.Events)
	if err != nil {
		return err
	}
	if stored != r.cfg.Events {
		return fmt.Errorf("backfill stored %d of %d events", stored, r.cfg.Events)
	}
	row := Row{Stage: "backfill", What: fmt.Sprintf("pagerlens ingest, %d-line JSONL, new store (peak RSS %s)", r.cfg.Events, fmtBytes(rss)),
		Figure: fmtRate(v), Target: "≥ 250k/s", Met: met(v >= 250_000)}
	if r.bareRate > 0 {
		row.Limit = "bare Appender " + fmtRate(r.bareRate) + " (store row)"
		row.Ratio = fmt.Sprintf("%.2f×", v/r.bareRate)
	}
	r.add(row)
	return nil
}

// memory: peak RSS of `pagerlens ingest` of cfg.MemEvents events with the
// default 1GB DuckDB memory_limit.
func (r *runner) memory() error {
	path := r.path("memory.jsonl")
	if err := writeJSONL(path, r.cfg.MemEvents); err != nil {
		return err
	}
	// With serve's default Go soft memory limit (--go-memory-limit): DuckDB's
	// memory_limit bounds its buffer pool only, the Go heap comes on top
	// (1.72 GiB peak without a Go limit, GOGC=100, in the first round).
	v, _, rss, err := r.ingestChild(path, r.path("memory.duckdb"), r.cfg.MemEvents, "GOMEMLIMIT="+config.DefaultGoMemoryLimit)
	if err != nil {
		return err
	}
	os.Remove(path)
	r.add(Row{Stage: "memory", What: fmt.Sprintf("peak RSS of pagerlens ingest of %d events, memory_limit 1GB, GOMEMLIMIT %s (serve's default) (%s)",
		r.cfg.MemEvents, config.DefaultGoMemoryLimit, fmtRate(v)),
		Figure: fmtBytes(rss), Target: "bounded: ≤ 1.5 GiB", Met: met(rss <= 3<<29)})
	return nil
}
