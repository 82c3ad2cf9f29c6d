// Package kafkatest starts the embedded Kafka-protocol broker
// (internal/embedkafka) for a test and stops it when the test ends. Test
// support only: it is imported from _test.go files alone (checked by
// internal/layers), so the binary links no testing package.
package kafkatest

import (
	"testing"

	"github.com/pagerlens/pagerlens/internal/embedkafka"
)

// The broker's types, so that tests need one import.
type (
	Broker  = embedkafka.Broker
	Options = embedkafka.Options
	SASL    = embedkafka.SASL
	Message = embedkafka.Message
)

// Start starts a broker that the caller closes.
func Start(o Options) (*Broker, error) { return embedkafka.Start(o) }

// New starts a broker for a test and stops it when the test ends.
func New(tb testing.TB, o Options) *Broker {
	tb.Helper()
	b, err := embedkafka.Start(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	return b
}

// ProduceWith produces msgs on an existing client (embedkafka.ProduceWith).
var ProduceWith = embedkafka.ProduceWith
