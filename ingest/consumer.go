package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
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
	decs, err := buildDecoders(cfg.Topics, observedWarnings(cfg.Observer, cfg.Decode))
	if err != nil {
		return nil, err
	}
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

// commitOffsets returns the offsets that commit a batch: per partition, the
// last message's + 1 (Kafka's offset is the next one to read).
func commitOffsets(msgs []kafka.Message) map[string]map[int]int64 {
	offsets := map[string]map[int]int64{}
	for i := range msgs {
		m := &msgs[i]
		byPart := offsets[m.Topic]
		if byPart == nil {
			byPart = map[int]int64{}
			offsets[m.Topic] = byPart
		}
		if m.Offset+1 > byPart[m.Partition] {
			byPart[m.Partition] = m.Offset + 1
		}
	}
	return offsets
}

// commit commits the batch's offsets with gen even when ctx was cancelled
// (graceful stop), with a bounded wait so that a vanished broker cannot hang
// shutdown.
func (c *Consumer) commit(ctx context.Context, gen *kafka.Generation, offsets map[string]map[int]int64) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	bo := backoff{min: 100 * time.Millisecond, max: 2 * time.Second}
	for {
		err := gen.CommitOffsets(offsets)
		if err == nil || !retriableCommit(err) {
			if err != nil {
				return fmt.Errorf("commit offsets (generation %d): %w", gen.ID, err)
			}
			return nil
		}
		select {
		case <-cctx.Done():
			return fmt.Errorf("commit offsets (generation %d): %w", gen.ID, err)
		case <-time.After(bo.next()):
		}
	}
}

// retriableCommit tells transient commit errors from those that mean the
// generation is over (retrying those cannot succeed).
func retriableCommit(err error) bool {
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.RebalanceInProgress, kafka.FencedInstanceID:
			return false
		}
		return ke.Temporary()
	}
	return true // network errors
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

// waitForTopics blocks until every topic exists, or ctx ends. While a
// topic is missing, kafka-go's consumer group rejoins in a tight loop
// (thousands of generations a second, each logged) and does not reliably
// pick the topic up once it is created; so the group is joined only when
// all topics are there.
func (c *Consumer) waitForTopics(ctx context.Context, topics []string) error {
	bo := backoff{min: 500 * time.Millisecond, max: 15 * time.Second}
	for {
		missing, err := c.missingTopics(ctx, topics)
		if err == nil && len(missing) == 0 {
			return nil
		}
		d := bo.next()
		if err != nil {
			c.cfg.Logger.Warn("cannot list kafka topics, retrying", "err", err, "retry_in", d)
		} else {
			c.cfg.Logger.Warn("waiting for kafka topics to be created", "missing", missing, "retry_in", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// missingTopics returns the topics the first reachable broker does not know.
func (c *Consumer) missingTopics(ctx context.Context, topics []string) ([]string, error) {
	d := c.dialer()
	var errs []error
	for _, b := range c.cfg.Brokers {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := d.DialContext(pctx, "tcp", b)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		parts, err := conn.ReadPartitions() // all topics: asking for a missing one is an error
		conn.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		have := make(map[string]bool, len(parts))
		for _, p := range parts {
			have[p.Topic] = true
		}
		var missing []string
		for _, t := range topics {
			if !have[t] {
				missing = append(missing, t)
			}
		}
		return missing, nil
	}
	return nil, fmt.Errorf("list topics: %w", errors.Join(errs...))
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
