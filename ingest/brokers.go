package ingest

// Waiting for brokers and topics: serve answers HTTP from the start and the
// consumer waits here, in its own goroutine, until Kafka can be used.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

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
	return c.eachBroker(ctx, 3*time.Second, func(conn *kafka.Conn) error {
		_, err := conn.Brokers()
		return err
	})
}

// eachBroker dials the brokers in turn until f succeeds on one, each dial
// and f's requests bounded by timeout; the error joins every broker's.
func (c *Consumer) eachBroker(ctx context.Context, timeout time.Duration, f func(*kafka.Conn) error) error {
	d := c.dialer()
	var errs []error
	for _, b := range c.cfg.Brokers {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		conn, err := d.DialContext(pctx, "tcp", b)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(timeout))
		err = f(conn)
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
	var missing []string
	err := c.eachBroker(ctx, 5*time.Second, func(conn *kafka.Conn) error {
		parts, err := conn.ReadPartitions() // all topics: asking for a missing one is an error
		if err != nil {
			return err
		}
		have := make(map[string]bool, len(parts))
		for _, p := range parts {
			have[p.Topic] = true
		}
		for _, t := range topics {
			if !have[t] {
				missing = append(missing, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return missing, nil
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
