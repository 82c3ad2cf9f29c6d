// Command pagerlens ingests incident, alert, page and on-call events from
// Kafka (or files) into DuckDB and turns them into reliability metrics,
// dashboards, reports and exports. This package only wires flags and config
// to the library packages; it holds no logic of its own.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		// One line, saying what and where: commands wrap their errors with context.
		fmt.Fprintf(os.Stderr, "pagerlens: %v\n", err)
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
