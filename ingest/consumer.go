package ingest

// The consumer's configuration and its Run loop over generations; the
// generation itself is in generation.go, fetching in fetch.go, offset
// commits in offsets.go, waiting for brokers and topics in brokers.go.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/store"
)

// Topic is one topic to consume and the format of its messages.
type Topic struct {
	Name   string `yaml:"name"`
	Format string `yaml:"format"` // a decode format; "" means canonical
}

// Config configures a Kafka consumer.
type Config struct {
	Brokers []string
	Topics  []Topic
	Group   string
	// BatchSize and BatchWait bound a batch: it is written when it holds
	// BatchSize messages or BatchWait after its first message, whichever
	// comes first. Under a backlog (messages already waiting, or the
	// previous batch still being written) it grows up to BatchMax (default
	// 10 × BatchSize, at most 50,000 unless BatchSize is larger): see fill.
	BatchSize int
	BatchWait time.Duration
	BatchMax  int
	// Decode configures every decoder (limits, mapping rules).
	Decode decode.Options
	// Dialer carries TLS and SASL settings; nil means plain TCP.
	Dialer *kafka.Dialer
	// StartFromLatest makes a new group start at the end of the topics
	// instead of replaying their history.
	StartFromLatest bool
	Observer        Observer
	Logger          *slog.Logger
}

// The consumer's defaults, also those of serve's flags and config file.
const (
	// DefaultBatchSize is the messages a batch holds before it is
	// written, without a backlog.
	DefaultBatchSize = 5000
	// DefaultBatchWait is the time after a batch's first message before
	// it is written.
	DefaultBatchWait = 250 * time.Millisecond
	// DefaultBatchMaxCap caps the default BatchMax (10 × BatchSize): a
	// batch of 50,000 stores in about a second, well inside a rebalance
	// timeout (docs/scaling.md).
	DefaultBatchMaxCap = 50_000
	// DefaultGroup is the consumer group.
	DefaultGroup = "pagerlens"
	// DefaultFileBatchSize is the events per transaction of a file
	// backfill (`pagerlens ingest --batch-size`): larger than a live
	// batch, as nothing waits on a backfill's latency.
	DefaultFileBatchSize = 50_000
)

// Defaults fills in zero fields.
func (c *Config) Defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchWait <= 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.BatchMax <= 0 {
		c.BatchMax = max(c.BatchSize, min(10*c.BatchSize, DefaultBatchMaxCap))
	}
	c.BatchMax = max(c.BatchMax, c.BatchSize)
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.Observer == nil {
		c.Observer = NopObserver{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Decode.Limits == (event.Limits{}) {
		c.Decode.Limits = event.DefaultLimits()
	}
}

// Consumer reads a consumer group's topics into the store.
type Consumer struct {
	cfg   Config
	store *store.Store
	decs  decoders
	ready atomic.Bool
}

// NewConsumer validates cfg and builds the decoders.
func NewConsumer(cfg Config, s *store.Store) (*Consumer, error) {
	cfg.Defaults()
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka consumer: no brokers configured (--brokers)")
	}
	if len(cfg.Topics) == 0 {
		return nil, errors.New("kafka consumer: no topics configured (--topics)")
	}
	decs, err := buildDecoders(cfg.Topics, observedWarnings(cfg.Observer, cfg.Decode))
	if err != nil {
		return nil, err
	}
	return &Consumer{cfg: cfg, store: s, decs: decs}, nil
}

// Ready reports whether the consumer last reached a broker.
func (c *Consumer) Ready() bool { return c.ready.Load() }

// Run consumes until ctx ends. On cancellation it stops fetching, writes and
// commits the batch in hand, and only then leaves the group. Transient broker
// errors are retried with backoff; only a store that cannot be written when
// ctx ends makes Run return an error (its batch's offsets stay uncommitted).
//
// Run drives kafka-go's ConsumerGroup itself instead of a group Reader: the
// Reader rejoins the group as soon as a rebalance starts and does not wait
// for the batch the application holds, so partitions could move to another
// instance while their messages were still being stored here, and both
// instances would store them (in their own DuckDB files, where the
// idempotent write cannot see it). The ConsumerGroup waits for the functions
// of a generation to return before it rejoins, and the coordinator does not
// hand partitions out again until every member has rejoined (or
// RebalanceTimeout passes). consumeGeneration uses that wait to finish or
// abandon its batch: see docs/scaling.md.
func (c *Consumer) Run(ctx context.Context) error {
	topics := make([]string, len(c.cfg.Topics))
	for i, t := range c.cfg.Topics {
		topics[i] = t.Name
	}
	start := kafka.FirstOffset
	if c.cfg.StartFromLatest {
		start = kafka.LastOffset
	}
	log := c.cfg.Logger
	if err := c.waitForTopics(ctx, topics); err != nil {
		return nil // stopped while waiting: no batch in hand
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:      c.cfg.Group,
		Brokers: c.cfg.Brokers,
		Dialer:  c.dialer(),
		Topics:  topics,
		// Rebalance quickly when a replica leaves, so its partitions move
		// on; RebalanceTimeout also bounds how long the others wait for a
		// member to finish its batch before they go on without it.
		SessionTimeout:         sessionTimeout,
		RebalanceTimeout:       rebalanceTimeout,
		HeartbeatInterval:      1 * time.Second,
		WatchPartitionChanges:  true,
		PartitionWatchInterval: 5 * time.Second,
		JoinGroupBackoff:       1 * time.Second,
		StartOffset:            start,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Warn("kafka: " + fmt.Sprintf(msg, args...))
		}),
	})
	if err != nil {
		return fmt.Errorf("kafka consumer group %s: %w", c.cfg.Group, err)
	}
	// closeGroup leaves the group. It is called only once the batch in hand
	// is stored and committed: leaving earlier would let another member
	// take the partitions and read the same messages.
	closeGroup := sync.OnceFunc(func() {
		if err := cg.Close(); err != nil {
			log.Warn("kafka: leave consumer group", "err", err)
		}
	})
	defer closeGroup()

	go c.watchBrokers(ctx)
	s := &session{c: c, w: writer{store: c.store, obs: c.cfg.Observer, log: log}}
	joinBackoff := backoff{min: 100 * time.Millisecond, max: 5 * time.Second}
	for {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			return nil // stopped between generations: no batch in hand
		}
		if err != nil {
			d := joinBackoff.next()
			log.Warn("kafka consumer group join failed, retrying", "group", c.cfg.Group, "err", err, "retry_in", d)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d):
			}
			continue
		}
		joinBackoff.reset()
		log.Info("kafka consumer group generation", "group", c.cfg.Group, "generation", gen.ID,
			"member", gen.MemberID, "partitions", assignmentSummary(gen.Assignments))
		// finished is closed when the generation's function has written and
		// committed what it holds; on a stop Run then leaves the group while
		// the function still runs, so the group cannot start joining a next
		// generation first (see consumeGeneration).
		finished := make(chan error, 1)
		gen.Start(func(gctx context.Context) {
			finished <- s.consumeGeneration(ctx, gctx, gen)
			if ctx.Err() != nil {
				<-gctx.Done() // until closeGroup ends the generation
			}
		})
		if err := <-finished; err != nil {
			return fmt.Errorf("kafka consumer: %w", err)
		}
		if ctx.Err() != nil {
			return nil // the deferred closeGroup leaves the group
		}
	}
}
