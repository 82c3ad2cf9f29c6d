package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/pagerlens/pagerlens/internal/config"
)

// goMemoryLimitFlag registers --go-memory-limit on f. serve and ingest both
// hold a DuckDB buffer pool plus Go batches in flight, so both bound the Go
// heap the same way, with the same default and help.
func goMemoryLimitFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "go-memory-limit", config.DefaultGoMemoryLimit,
		"Go runtime soft memory limit, on top of DuckDB's --memory-limit (e.g. 512MiB; off: none; GOMEMLIMIT takes precedence)")
}

// applyGoMemoryLimit sets the Go soft memory limit (config.ApplyGoMemoryLimit:
// GOMEMLIMIT wins). A bad size is a configuration error (exit code 2), found
// before the store is opened rather than after a long ingest.
func applyGoMemoryLimit(cmdName, limit string) error {
	if _, err := config.ApplyGoMemoryLimit(limit); err != nil {
		return exitError{code: 2, err: fmt.Errorf("%s: %w", cmdName, err)}
	}
	return nil
}
