// Package layers holds the tests that keep the import graph in the shape the
// README's Layout paragraph draws: test support (testkit, fixtures,
// kafkatest, e2eutil) only in tests and never in the binary, analytics
// without ingest, the exporter without ingest, and nothing importing cmd.
package layers
