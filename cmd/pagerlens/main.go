// Command pagerlens ingests incident, alert, page and on-call events from
// Kafka (or files) into DuckDB and turns them into reliability metrics,
// dashboards, reports and exports. This package declares the commands and
// their flags, and turns flags, PAGERLENS_* variables and --config into one
// configuration (overrides.go: one row per flag and the key it sets);
// internal/app runs serve, ingest, demo and bench from it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pagerlens/pagerlens/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		// One line, saying what and where: commands wrap their errors with context.
		fmt.Fprintf(os.Stderr, "pagerlens: %v\n", err)
		os.Exit(exitCode(err))
	}
}

// Exit codes: 0 success; 1 a failure while running (a broker, the store,
// the network); 2 the command line or the configuration is wrong (a flag,
// a PAGERLENS_* variable, a config file), whatever part found it.
func exitCode(err error) int {
	var ee exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case config.IsError(err):
		return 2
	case strings.HasPrefix(err.Error(), "unknown command "), strings.HasPrefix(err.Error(), "accepts "),
		strings.HasPrefix(err.Error(), "requires at least "), strings.HasPrefix(err.Error(), "unknown flag"):
		return 2 // cobra's usage errors
	}
	return 1
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
