package ingest

// One consumer-group generation: its partitions fetched, batched, written
// and committed until a rebalance or a stop (Run loops over generations).

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pagerlens/pagerlens/store"
)

const (
	sessionTimeout   = 10 * time.Second
	rebalanceTimeout = 10 * time.Second
)

// session is the state of one Run shared by its generations.
type session struct {
	c *Consumer
	w writer
}

// consumeGeneration consumes the partitions of one generation until ctx ends
// (stop) or the generation ends (gctx: a rebalance, or the connection to the
// coordinator was lost). Offsets are committed with this generation only, so
// they can never land on partitions that meanwhile belong to someone else.
//
// On a stop the batch in hand is written and committed. When the generation
// ends, a batch whose write has not started is abandoned (its messages were
// not stored, their offsets not committed: the next owner reads them), and a
// write in progress is finished and committed: the coordinator accepts this
// generation's commits until every member has rejoined, and does not hand the
// partitions out before that.
func (s *session) consumeGeneration(ctx, gctx context.Context, gen *kafka.Generation) error {
	c := s.c
	log := c.cfg.Logger
	// fctx ends fetching: a stop or the end of the generation.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-gctx.Done():
			cancel()
		case <-fctx.Done():
		}
	}()
	in := make(chan kafka.Message, c.cfg.BatchSize)
	var wg sync.WaitGroup
	for topic, parts := range gen.Assignments {
		for _, p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.fetchPartition(fctx, topic, p, in)
			}()
		}
	}
	// The partition readers stop before the generation function returns, so
	// nothing is fetched for partitions that are about to move.
	defer wg.Wait()
	defer cancel()

	// The store write of a batch (and its offset commit) runs in its own
	// goroutine while the next batch is filled and decoded here: at 5,000-
	// message batches the write took 100-140 ms and the decode 7-27 ms, the
	// fill ~1 ms (BenchmarkConsume, 200k events, 2 cores). Writes never
	// overlap: the next one starts only when the previous one has been
	// written and committed, so offsets are committed in order, and the
	// write in flight is always finished before the generation function
	// returns (the deferred wait), as a write in progress was before.
	var flight *batchWrite
	finish := func() error {
		if flight == nil {
			return nil
		}
		<-flight.done
		err := flight.err
		flight = nil
		return err
	}
	defer func() { _ = finish() }()

	msgs := make([]kafka.Message, 0, c.cfg.BatchSize)
	raws := make([]raw, 0, c.cfg.BatchSize)
	for {
		var busy <-chan struct{}
		if flight != nil {
			busy = flight.done
		}
		msgs = msgs[:0]
		c.fill(fctx, in, &msgs, busy)
		if len(msgs) > 0 && ctx.Err() == nil && gctx.Err() != nil {
			log.Info("rebalance: abandoning the batch in hand; the partitions' next owner reads it",
				"messages", len(msgs), "generation", gen.ID)
			return finish()
		}
		var next *batchWrite
		if len(msgs) > 0 {
			raws = raws[:0]
			for i := range msgs {
				raws = append(raws, toRaw(&msgs[i]))
			}
			c.reportLag(msgs)
			next = &batchWrite{start: time.Now(), n: len(msgs), offsets: commitOffsets(msgs), done: make(chan struct{})}
			next.batch = buildBatch(raws, c.decs)
		}
		// The previous batch is written and committed before this one's
		// write starts.
		if err := finish(); err != nil {
			return err
		}
		if next != nil {
			if ctx.Err() == nil && gctx.Err() != nil {
				// The generation ended while this batch was decoded or the
				// previous one written: its write has not started, so it is
				// abandoned like a batch in hand.
				log.Info("rebalance: abandoning the batch in hand; the partitions' next owner reads it",
					"messages", next.n, "generation", gen.ID)
				return nil
			}
			flight = next
			go s.writeAndCommit(ctx, gen, next)
		}
		if ctx.Err() != nil || gctx.Err() != nil {
			// On a stop the batch just started is finished and committed
			// (the deferred finish, before the readers are waited for).
			return finish()
		}
	}
}

// batchWrite is one decoded batch on its way to the store: written, then its
// offsets committed; done is closed when both are over, err set before.
type batchWrite struct {
	start   time.Time
	n       int
	batch   store.Batch
	offsets map[string]map[int]int64
	done    chan struct{}
	err     error
}

// writeAndCommit writes b (finishing it even when ctx was cancelled or the
// generation ended during the write) and commits its offsets with gen.
func (s *session) writeAndCommit(ctx context.Context, gen *kafka.Generation, b *batchWrite) {
	defer close(b.done)
	if _, err := s.w.writeDecoded(ctx, b.start, b.n, b.batch); err != nil {
		b.err = err
		return
	}
	b.batch = store.Batch{} // let the rows go while the next batch is decoded
	if err := s.c.commit(ctx, gen, b.offsets); err != nil {
		// The events are stored here; an uncommitted offset means
		// redelivery: skipped as duplicates if this instance reads them
		// again, stored a second time if another shard does.
		s.c.cfg.Logger.Warn("kafka offset commit failed; the batch will be redelivered (a duplicate if another instance of the group reads it)",
			"err", err, "generation", gen.ID)
	}
}

// assignmentSummary renders a generation's partitions as topic:[p…] for the
// log.
func assignmentSummary(as map[string][]kafka.PartitionAssignment) string {
	topics := make([]string, 0, len(as))
	for t := range as {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	var b strings.Builder
	for i, t := range topics {
		ids := make([]int, 0, len(as[t]))
		for _, a := range as[t] {
			ids = append(ids, a.ID)
		}
		slices.Sort(ids)
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%v", t, ids)
	}
	return b.String()
}
