package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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
	// comes first.
	BatchSize int
	BatchWait time.Duration
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

// Defaults fills in zero fields.
func (c *Config) Defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 250 * time.Millisecond
	}
	if c.Group == "" {
		c.Group = "pagerlens"
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
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
	obs := cfg.Observer
	opts := cfg.Decode
	prevWarn := opts.Warn
	opts.Warn = func(format, what string) {
		obs.DecodeWarning(format, what)
		if prevWarn != nil {
			prevWarn(format, what)
		}
	}
	decs := decoders{byTopic: map[string]decode.Decoder{}}
	for _, t := range cfg.Topics {
		f := t.Format
		if f == "" {
			f = decode.Canonical
		}
		d, err := decode.New(f, opts)
		if err != nil {
			return nil, fmt.Errorf("topic %s: %w", t.Name, err)
		}
		decs.byTopic[t.Name] = d
	}
	decs.def, _ = decode.New(decode.Canonical, opts)
	return &Consumer{cfg: cfg, store: s, decs: decs}, nil
}

// Ready reports whether the consumer last reached a broker.
func (c *Consumer) Ready() bool { return c.ready.Load() }

// WaitForBrokers blocks until a broker answers, retrying with backoff, or
// returns ctx's error. With wait false, one failed attempt is an error.
func (c *Consumer) WaitForBrokers(ctx context.Context, wait bool) error {
	bo := backoff{min: 250 * time.Millisecond, max: 10 * time.Second}
	for {
		err := c.probe(ctx)
		if err == nil {
			c.ready.Store(true)
			return nil
		}
		if !wait {
			return fmt.Errorf("kafka brokers %s unreachable: %w", strings.Join(c.cfg.Brokers, ","), err)
		}
		d := bo.next()
		c.cfg.Logger.Warn("waiting for kafka brokers", "brokers", c.cfg.Brokers, "err", err, "retry_in", d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// probe dials each broker until one answers a metadata request.
func (c *Consumer) probe(ctx context.Context) error {
	d := c.dialer()
	var errs []error
	for _, b := range c.cfg.Brokers {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := d.DialContext(pctx, "tcp", b)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		_, err = conn.Brokers()
		conn.Close()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Consumer) dialer() *kafka.Dialer {
	if c.cfg.Dialer != nil {
		return c.cfg.Dialer
	}
	return &kafka.Dialer{Timeout: 5 * time.Second, DualStack: true}
}

// Run consumes until ctx ends. On cancellation it stops fetching, writes and
// commits the batch in hand, and returns nil. Transient broker errors are
// retried with backoff; only a store that cannot be written when ctx ends
// makes Run return an error (its batch's offsets stay uncommitted).
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
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.cfg.Brokers,
		GroupID:        c.cfg.Group,
		GroupTopics:    topics,
		Dialer:         c.dialer(),
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        250 * time.Millisecond,
		QueueCapacity:  c.cfg.BatchSize,
		CommitInterval: 0, // synchronous commits, after the store commit only
		StartOffset:    start,
		ReadBackoffMin: 100 * time.Millisecond,
		ReadBackoffMax: 5 * time.Second,
		// Rebalance quickly when a replica leaves, so its partitions move on.
		SessionTimeout:        10 * time.Second,
		RebalanceTimeout:      10 * time.Second,
		HeartbeatInterval:     1 * time.Second,
		WatchPartitionChanges: true,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Warn("kafka: " + fmt.Sprintf(msg, args...))
		}),
	})
	defer r.Close()

	w := writer{store: c.store, obs: c.cfg.Observer, log: log}
	go c.watchBrokers(ctx)
	msgs := make([]kafka.Message, 0, c.cfg.BatchSize)
	raws := make([]raw, 0, c.cfg.BatchSize)
	fetchBackoff := backoff{min: 100 * time.Millisecond, max: 5 * time.Second}
	for {
		msgs = msgs[:0]
		stopping, err := c.fill(ctx, r, &msgs)
		if err != nil {
			d := fetchBackoff.next()
			log.Warn("kafka fetch failed, retrying", "err", err, "retry_in", d)
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		} else {
			fetchBackoff.reset()
		}
		if len(msgs) > 0 {
			raws = raws[:0]
			for _, m := range msgs {
				raws = append(raws, toRaw(m))
				if lag := m.HighWaterMark - m.Offset - 1; lag >= 0 {
					c.cfg.Observer.Lag(m.Topic, m.Partition, lag)
				}
			}
			// The batch in hand is finished even when ctx was cancelled: a
			// graceful stop writes it and commits its offsets.
			if _, err := w.write(ctx, raws, c.decs); err != nil {
				return fmt.Errorf("kafka consumer: %w", err)
			}
			if err := c.commit(ctx, r, msgs); err != nil {
				// The events are stored; an uncommitted offset only means
				// redelivery, which the store ignores. Keep going.
				log.Warn("kafka offset commit failed; messages will be redelivered and skipped as duplicates", "err", err)
			}
		}
		if stopping || ctx.Err() != nil {
			return nil
		}
	}
}

// fill fetches into msgs until the batch is full, BatchWait has passed since
// its first message, or ctx ends (stopping = true).
func (c *Consumer) fill(ctx context.Context, r *kafka.Reader, msgs *[]kafka.Message) (stopping bool, err error) {
	// One deadline per batch, set by its first message: a context per fetch
	// would cost more than the fetch itself.
	fctx := ctx
	var timers []context.CancelFunc
	defer func() {
		for _, cancel := range timers {
			cancel()
		}
	}()
	for len(*msgs) < c.cfg.BatchSize {
		m, err := r.FetchMessage(fctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return true, nil
			case errors.Is(err, context.DeadlineExceeded):
				return false, nil // the batch's time is up
			case errors.Is(err, io.EOF):
				return true, nil // reader closed
			}
			return false, err
		}
		*msgs = append(*msgs, m)
		if len(*msgs) == 1 {
			var cancel context.CancelFunc
			fctx, cancel = context.WithTimeout(ctx, c.cfg.BatchWait)
			timers = append(timers, cancel)
		}
	}
	return false, nil
}

// commit commits offsets even when ctx was cancelled (graceful stop), with a
// bounded wait so that a vanished broker cannot hang shutdown.
func (c *Consumer) commit(ctx context.Context, r *kafka.Reader, msgs []kafka.Message) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return r.CommitMessages(cctx, msgs...)
}

func (c *Consumer) watchBrokers(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := c.probe(ctx)
			was := c.ready.Swap(err == nil)
			if was && err != nil {
				c.cfg.Logger.Warn("kafka brokers unreachable; not ready", "err", err)
			} else if !was && err == nil {
				c.cfg.Logger.Info("kafka brokers reachable again; ready")
			}
		}
	}
}

func toRaw(m kafka.Message) raw {
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
