// Package ingest moves messages from Kafka topics (or files) into the store:
// decode per source format, validate, batch, dead-letter what is bad, write
// the batch in one transaction, and only then commit the offsets.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// Outcomes of one consumed message (the outcome label of
// pagerlens_ingest_messages_total).
const (
	OutcomeStored       = mn.OutcomeStored
	OutcomeDuplicate    = mn.OutcomeDuplicate
	OutcomeDeadLettered = mn.OutcomeDeadLettered
)

// BatchStats describe one committed batch.
type BatchStats struct {
	Messages     int
	Stored       int
	Duplicates   int
	DeadLettered int
	// ByTopic counts per topic and outcome: events stored or duplicate,
	// messages dead-lettered.
	ByTopic map[string]map[string]int
	// DeadReasons counts dead letters by reason.
	DeadReasons map[string]int
	Duration    time.Duration
}

// Observer receives pipeline events for self-metrics; implementations must
// not block. The Kafka consumer calls BatchCommitted from its write
// goroutine while it calls Lag and DecodeWarning for the next batch:
// methods may be called concurrently.
type Observer interface {
	BatchCommitted(BatchStats)
	Lag(topic string, partition int, lag int64)
	DecodeWarning(format, what string)
}

// Observers fans every call out to each of its observers.
type Observers []Observer

// BatchCommitted implements Observer.
func (os Observers) BatchCommitted(s BatchStats) {
	for _, o := range os {
		o.BatchCommitted(s)
	}
}

// Lag implements Observer.
func (os Observers) Lag(topic string, partition int, lag int64) {
	for _, o := range os {
		o.Lag(topic, partition, lag)
	}
}

// DecodeWarning implements Observer.
func (os Observers) DecodeWarning(format, what string) {
	for _, o := range os {
		o.DecodeWarning(format, what)
	}
}

// NopObserver ignores everything; an observer of one kind of event embeds
// it and implements that method only.
type NopObserver struct{}

// BatchCommitted implements Observer.
func (NopObserver) BatchCommitted(BatchStats) {}

// Lag implements Observer.
func (NopObserver) Lag(string, int, int64) {}

// DecodeWarning implements Observer.
func (NopObserver) DecodeWarning(string, string) {}

// pipelineDefaults fills the settings that every ingest path (Kafka,
// direct, file) defaults alike when its caller leaves them zero: no
// observer, the default logger, the default decode limits. (Config.Defaults
// still spells them out; it can call this too.)
func pipelineDefaults(obs Observer, log *slog.Logger, dec decode.Options) (Observer, *slog.Logger, decode.Options) {
	if obs == nil {
		obs = NopObserver{}
	}
	if log == nil {
		log = slog.Default()
	}
	if dec.Limits == (event.Limits{}) {
		dec.Limits = event.DefaultLimits()
	}
	return obs, log, dec
}

// observedWarnings returns dec with its decode warnings also counted by obs
// (the Kafka and direct paths export them as a metric); the caller's own
// Warn, if any, is still called after.
func observedWarnings(obs Observer, dec decode.Options) decode.Options {
	prev := dec.Warn
	dec.Warn = func(format, what string) {
		obs.DecodeWarning(format, what)
		if prev != nil {
			prev(format, what)
		}
	}
	return dec
}

// raw is one undecoded message with its origin.
type raw struct {
	decode.Message
	partition int32
	offset    int64
}

// decoders maps a topic (or file) to its decoder.
type decoders struct {
	byTopic map[string]decode.Decoder
	def     decode.Decoder
}

// buildDecoders builds the decoder of each topic (canonical where it names
// no format) and the canonical default, for the Kafka and direct paths.
func buildDecoders(topics []Topic, opts decode.Options) (decoders, error) {
	decs := decoders{byTopic: map[string]decode.Decoder{}}
	for _, t := range topics {
		f := t.Format
		if f == "" {
			f = decode.Canonical
		}
		d, err := decode.New(f, opts)
		if err != nil {
			return decoders{}, fmt.Errorf("topic %s: %w", t.Name, err)
		}
		decs.byTopic[t.Name] = d
	}
	var err error
	if decs.def, err = decode.New(decode.Canonical, opts); err != nil {
		return decoders{}, err
	}
	return decs, nil
}

func (d decoders) For(topic string) decode.Decoder {
	if dec, ok := d.byTopic[topic]; ok {
		return dec
	}
	return d.def
}

// buildBatch decodes msgs into a store batch. It never fails: a message that
// does not decode becomes a dead letter with its reason. JSON decoding is the
// slowest stage of ingest, so large batches are decoded on every core, each
// goroutine taking a contiguous slice; the results are joined in message
// order, so the batch is the same as a sequential decode's.
func buildBatch(msgs []raw, decs decoders) store.Batch {
	workers := runtime.GOMAXPROCS(0)
	if len(msgs) < 512 || workers == 1 {
		return decodeRange(msgs, decs)
	}
	parts := make([]store.Batch, workers)
	chunk := (len(msgs) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(msgs))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[w] = decodeRange(msgs[lo:hi], decs)
		}()
	}
	wg.Wait()
	var b store.Batch
	n, d := 0, 0
	for _, p := range parts {
		n += len(p.Rows)
		d += len(p.DeadLetters)
	}
	b.Rows = make([]store.Row, 0, n)
	for _, p := range parts {
		b.Rows = append(b.Rows, p.Rows...)
		b.DeadLetters = append(b.DeadLetters, p.DeadLetters...)
	}
	return b
}

func decodeRange(msgs []raw, decs decoders) store.Batch {
	var b store.Batch
	b.Rows = make([]store.Row, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		dec := decs.For(m.Topic)
		evs, err := safeDecode(dec, m.Message)
		if err != nil {
			b.DeadLetters = append(b.DeadLetters, deadLetter(m, dec.Format(), err))
			continue
		}
		for _, e := range evs {
			b.Rows = append(b.Rows, store.Row{Event: e, Topic: m.Topic, Partition: m.partition, Offset: m.offset})
		}
	}
	return b
}

// safeDecode turns a decoder panic into a dead letter: bad input must never
// crash the consumer, even through a decoder bug.
func safeDecode(dec decode.Decoder, m decode.Message) (evs []event.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			evs, err = nil, &event.Error{Reason: event.ReasonDecoderPanic, Msg: fmt.Sprintf("decoder %s panicked: %v", dec.Format(), r)}
		}
	}()
	return dec.Decode(m)
}

func deadLetter(m *raw, format string, err error) store.DeadLetter {
	reason := string(event.ReasonInvalidJSON)
	var ee *event.Error
	if errors.As(err, &ee) {
		reason = string(ee.Reason)
	}
	msg := err.Error()
	if len(msg) > 1024 {
		msg = msg[:1024] + "…"
	}
	return store.DeadLetter{Raw: m.Value, Topic: m.Topic, Partition: m.partition, Offset: m.offset,
		Format: format, Reason: reason, Error: msg}
}

// writer writes decoded batches and reports them.
type writer struct {
	store *store.Store
	obs   Observer
	log   *slog.Logger
}

// write stores one batch, retrying with backoff while the store fails (a
// full disk, say) until ctx ends. It returns only after the batch is
// committed to DuckDB, or with ctx's error: then nothing of it is visible.
func (w writer) write(ctx context.Context, msgs []raw, decs decoders) (BatchStats, error) {
	return w.writeDecoded(ctx, time.Now(), len(msgs), buildBatch(msgs, decs))
}

// writeDecoded is write for a batch already decoded from msgs messages
// (file ingest decodes the next batch while this one is written); start is
// when its work began, for BatchStats.Duration.
func (w writer) writeDecoded(ctx context.Context, start time.Time, msgs int, b store.Batch) (BatchStats, error) {
	var res store.Result
	bo := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for {
		// The attempt in progress is never cut short by shutdown: a graceful
		// stop finishes the batch in hand. Only retries stop with ctx.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		var err error
		res, err = w.store.WriteBatch(actx, b)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return BatchStats{}, fmt.Errorf("batch not stored: %w", err)
		}
		d := bo.next()
		w.log.Error("store write failed; offsets not committed, retrying", "err", err, "retry_in", d)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return BatchStats{}, fmt.Errorf("batch not stored: %w", err)
		}
	}
	st := BatchStats{Messages: msgs, Stored: res.Stored, Duplicates: res.Duplicates,
		DeadLettered: len(b.DeadLetters), ByTopic: map[string]map[string]int{}, DeadReasons: map[string]int{},
		Duration: time.Since(start)}
	// Stored and duplicate count events (a webhook message may carry several);
	// dead_lettered counts messages.
	add := func(topic, outcome string, n int) {
		if n == 0 {
			return
		}
		if st.ByTopic[topic] == nil {
			st.ByTopic[topic] = map[string]int{}
		}
		st.ByTopic[topic][outcome] += n
	}
	rowsByTopic := map[string]int{}
	for _, r := range b.Rows {
		rowsByTopic[r.Topic]++
	}
	for topic, n := range rowsByTopic {
		stored := res.StoredByTopic[topic]
		add(topic, OutcomeStored, stored)
		add(topic, OutcomeDuplicate, n-stored)
	}
	for _, d := range b.DeadLetters {
		st.DeadReasons[d.Reason]++
		add(d.Topic, OutcomeDeadLettered, 1)
	}
	w.obs.BatchCommitted(st)
	return st, nil
}

// backoff is a capped exponential backoff.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur *= 2
	}
	if b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
