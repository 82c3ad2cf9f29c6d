// Package embedkafka runs an embedded Kafka-protocol broker (franz-go's kfake)
// on 127.0.0.1 for the demo, the benchmarks and (through internal/kafkatest)
// the tests, with helpers to create topics and produce messages. It is a real
// broker speaking the Kafka wire protocol: pagerlens's kafka-go consumer talks
// to it exactly as to Kafka. It imports no testing package, so that the
// binary that links it for `pagerlens demo` and `bench` carries no test code.
package embedkafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Options configure the broker.
type Options struct {
	// Port to listen on; 0 picks a free one.
	Port int
	// Topics are created at start with Partitions partitions each (default 1).
	Topics     []string
	Partitions int32
	// DataDir persists the log so that a broker restarted on the same port
	// and directory keeps its topics, messages and committed offsets.
	DataDir string
	// TLS, if set, makes the broker speak TLS only.
	TLS *tls.Config
	// SASL, if set, requires SASL authentication with these superuser credentials
	// (Mechanism: "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512").
	SASL *SASL
	// Extra are further kfake options (faults, control hooks).
	Extra []kfake.Opt
}

// SASL is one superuser credential.
type SASL struct {
	Mechanism, User, Password string
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	opts    Options
}

// Start starts a broker on 127.0.0.1.
func Start(o Options) (*Broker, error) {
	if o.Partitions == 0 {
		o.Partitions = 1
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(o.Port), kfake.DefaultNumPartitions(int(o.Partitions))}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(o.Partitions, o.Topics...))
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	if o.TLS != nil {
		opts = append(opts, kfake.TLS(o.TLS))
	}
	if o.SASL != nil {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(o.SASL.Mechanism, o.SASL.User, o.SASL.Password))
	}
	opts = append(opts, o.Extra...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka broker: %w", err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		c.Close()
		return nil, errors.New("start embedded kafka broker: no listen address")
	}
	return &Broker{cluster: c, addr: addrs[0], opts: o}, nil
}

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return b.addr }

// Cluster exposes kfake's cluster for fault injection and control hooks.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

// Close stops the broker.
func (b *Broker) Close() { b.cluster.Close() }

// Message is one record to produce.
type Message struct {
	Key     []byte
	Value   []byte
	Headers map[string]string
	// Partition, if ≥ 0 with Partitioned set, pins the record to a partition;
	// otherwise records are partitioned by key hash (as Kafka's default
	// partitioner does), or spread round-robin when the key is nil.
	Partition   int32
	Partitioned bool
}

// Client returns a franz-go client for producing to the broker. Callers close it.
func (b *Broker) Client(extra ...kgo.Opt) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(b.addr),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(900 << 10), // the broker, like Kafka, rejects batches over 1 MB
		kgo.MaxBufferedRecords(1 << 16),
		kgo.ProducerLinger(5 * time.Millisecond),
	}
	if b.opts.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // loopback test broker
	}
	opts = append(opts, extra...)
	return kgo.NewClient(opts...)
}

// Produce writes msgs to topic and waits until every record is acknowledged.
func (b *Broker) Produce(ctx context.Context, topic string, msgs ...Message) error {
	cl, err := b.Client()
	if err != nil {
		return fmt.Errorf("produce to %s: %w", topic, err)
	}
	defer cl.Close()
	return ProduceWith(ctx, cl, b.partitions(), topic, msgs...)
}

func (b *Broker) partitions() int32 { return b.opts.Partitions }

// ProduceWith produces msgs on an existing client; partitions is the topic's
// partition count, used to partition by key.
func ProduceWith(ctx context.Context, cl *kgo.Client, partitions int32, topic string, msgs ...Message) error {
	var firstErr error
	errc := make(chan error, 1)
	pending := 0
	done := make(chan struct{}, len(msgs))
	rr := int32(0)
	for _, m := range msgs {
		r := &kgo.Record{Topic: topic, Key: m.Key, Value: m.Value}
		for k, v := range m.Headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		switch {
		case m.Partitioned:
			r.Partition = m.Partition
		case m.Key != nil:
			r.Partition = int32(fnv32a(m.Key) % uint32(partitions))
		default:
			r.Partition = rr % partitions
			rr++
		}
		pending++
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- err:
				default:
				}
			}
			done <- struct{}{}
		})
	}
	for ; pending > 0; pending-- {
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("produce to %s: %w", topic, ctx.Err())
		}
	}
	select {
	case firstErr = <-errc:
	default:
	}
	if firstErr != nil {
		return fmt.Errorf("produce to %s: %w", topic, firstErr)
	}
	return nil
}

// fnv32a is a stable key hash so that one key always lands in one partition.
func fnv32a(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// CreateTopic creates topic with the given partitions.
func (b *Broker) CreateTopic(ctx context.Context, topic string, partitions int32) error {
	cl, err := b.Client()
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	defer cl.Close()
	req := kmsgCreateTopics(topic, partitions)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if t.ErrorCode != 0 {
			return fmt.Errorf("create topic %s: kafka error code %d", topic, t.ErrorCode)
		}
	}
	return nil
}
