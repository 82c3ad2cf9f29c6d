package ingest

// Fetching: one goroutine per assigned partition, the batch filled from
// them, and the lag reported from what was fetched.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
)

// reportLag reports each partition's lag after the batch: its last message's
// (once per partition and batch, not once per message).
func (c *Consumer) reportLag(msgs []kafka.Message) {
	type tp struct {
		topic string
		part  int
	}
	var seen []tp
	for i := len(msgs) - 1; i >= 0; i-- {
		m := &msgs[i]
		k := tp{m.Topic, m.Partition}
		if slices.Contains(seen, k) {
			continue
		}
		seen = append(seen, k)
		if lag := m.HighWaterMark - m.Offset - 1; lag >= 0 {
			c.cfg.Observer.Lag(m.Topic, m.Partition, lag)
		}
	}
}

// fetchPartition reads one assigned partition from its committed offset into
// out until ctx ends. A partition Reader, not a group Reader: the group is
// managed by Run, and offsets are committed with the generation.
func (c *Consumer) fetchPartition(ctx context.Context, topic string, a kafka.PartitionAssignment, out chan<- kafka.Message) {
	log := c.cfg.Logger
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.cfg.Brokers,
		Topic:          topic,
		Partition:      a.ID,
		Dialer:         c.dialer(),
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        250 * time.Millisecond,
		QueueCapacity:  c.cfg.BatchSize,
		ReadBackoffMin: 100 * time.Millisecond,
		ReadBackoffMax: 5 * time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Warn("kafka: " + fmt.Sprintf(msg, args...))
		}),
	})
	defer r.Close()
	if err := r.SetOffset(a.Offset); err != nil {
		log.Warn("kafka: set offset", "topic", topic, "partition", a.ID, "offset", a.Offset, "err", err)
		return
	}
	bo := backoff{min: 100 * time.Millisecond, max: 5 * time.Second}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			d := bo.next()
			log.Warn("kafka fetch failed, retrying", "topic", topic, "partition", a.ID, "err", err, "retry_in", d)
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
			continue
		}
		bo.reset()
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

// fill takes messages from in until the batch holds BatchSize messages,
// BatchWait has passed since its first message, or ctx ends.
//
// Under a backlog the batch grows past BatchSize, up to BatchMax: while the
// previous batch is still being written (busy not closed), and then for as
// long as messages are already waiting in in. The store's cost per batch is
// mostly fixed (temp tables, derived-table updates, commit: ~100 ms at 5,000
// events, ~1 s at 50,000, measured with analytics' derived tables), so a
// consumer catching up writes fewer, larger batches instead of falling
// behind at 5,000 a time; with no backlog nothing is waiting and batches
// close at BatchSize or BatchWait as before. BatchWait stays the bound on
// how long the first message of a batch waits for the batch to close.
func (c *Consumer) fill(ctx context.Context, in <-chan kafka.Message, msgs *[]kafka.Message, busy <-chan struct{}) {
	var deadline <-chan time.Time
	for len(*msgs) < c.cfg.BatchSize {
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return // the batch's time is up
		case m := <-in:
			*msgs = append(*msgs, m)
			if len(*msgs) == 1 {
				t := time.NewTimer(c.cfg.BatchWait)
				defer t.Stop()
				deadline = t.C
			}
		}
	}
	for len(*msgs) < c.cfg.BatchMax {
		if busy != nil {
			select {
			case <-ctx.Done():
				return
			case <-deadline:
				return
			case <-busy:
				busy = nil
			case m := <-in:
				*msgs = append(*msgs, m)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return
		case m := <-in:
			*msgs = append(*msgs, m)
		default:
			return // nothing waiting: no backlog
		}
	}
}

func toRaw(m *kafka.Message) raw {
	hs := make([]event.Header, len(m.Headers))
	for i, h := range m.Headers {
		hs[i] = event.Header{Key: h.Key, Value: h.Value}
	}
	return raw{
		Message:   decode.Message{Topic: m.Topic, Key: m.Key, Value: m.Value, Headers: hs, Time: m.Time},
		partition: int32(m.Partition),
		offset:    m.Offset,
	}
}
