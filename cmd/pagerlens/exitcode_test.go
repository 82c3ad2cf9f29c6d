package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pagerlens/pagerlens/internal/config"
)

// TestExitCode: 2 for every usage and configuration error, whichever part
// found it (issue 24: codes varied between 1 and 2); 1 for failures while
// running.
func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"config file", fmt.Errorf("serve: %w", &config.Error{File: "x.yaml", Problems: []config.Problem{{Key: "db", Msg: "empty"}}}), 2},
		{"usage", usageErrorf("--format: unknown"), 2},
		{"flag value", exitError{code: 2, err: errors.New(`invalid argument "x" for "--batch-size"`)}, 2},
		{"unknown command", errors.New(`unknown command "serv" for "pagerlens"`), 2},
		{"runtime", errors.New("open store x.duckdb: database file is in use"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitCode(tc.err); got != tc.want {
				t.Fatalf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}
