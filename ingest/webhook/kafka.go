package webhook

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// newWriter is the producer of Kafka mode. Every write is synchronous and
// acknowledged by all in-sync replicas: the HTTP answer promises that the
// webhook is durable. Concurrent requests share produce requests within
// the short BatchTimeout.
func newWriter(brokers []string, d *kafka.Dialer, log *slog.Logger) *kafka.Writer {
	tr := &kafka.Transport{DialTimeout: 5 * time.Second, ClientID: "pagerlens-webhooks"}
	if d != nil {
		tr.TLS = d.TLS
		tr.SASL = d.SASLMechanism
		if d.Timeout > 0 {
			tr.DialTimeout = d.Timeout
		}
	}
	return &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Balancer:     &kafka.Hash{}, // by key: one incident, one partition
		RequiredAcks: kafka.RequireAll,
		// kafka-go's default of 1 s would be added to every request.
		BatchTimeout: 2 * time.Millisecond,
		// A few quick attempts, then 503: the sender's own retry is the
		// long-term one, and it must not be left hanging.
		MaxAttempts:     3,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		WriteTimeout:    10 * time.Second,
		ReadTimeout:     10 * time.Second,
		Transport:       tr,
		// Each failed attempt; the handler warns once per refused request.
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Debug("kafka writer: " + fmt.Sprintf(msg, args...))
		}),
	}
}
