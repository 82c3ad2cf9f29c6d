package app

import (
	"fmt"

	"github.com/pagerlens/pagerlens/internal/config"
)

// applyGoMemoryLimit sets the Go soft memory limit (config.ApplyGoMemoryLimit:
// GOMEMLIMIT wins). serve and ingest both hold a DuckDB buffer pool plus Go
// batches in flight, so both bound the Go heap the same way. A bad size is
// a configuration error (exit code 2), found before the store is opened
// rather than after a long ingest.
func applyGoMemoryLimit(cmdName, limit string) error {
	if _, err := config.ApplyGoMemoryLimit(limit); err != nil {
		return config.Invalid(fmt.Errorf("%s: %w", cmdName, err))
	}
	return nil
}
