// Package layers holds the tests that keep the import graph in the shape
// docs/design.md draws: test support (testkit, fixtures, kafkatest) only in
// tests and never in the binary, analytics without ingest, the exporter
// without ingest, and nothing importing cmd.
package layers
