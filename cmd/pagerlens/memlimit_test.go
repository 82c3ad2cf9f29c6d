package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/fixtures"
)

// TestGoMemoryLimitFlag: serve and ingest register the same
// --go-memory-limit (one definition, one default).
func TestGoMemoryLimitFlag(t *testing.T) {
	want := newServeCmd().Flags().Lookup("go-memory-limit")
	if want == nil {
		t.Fatal("serve has no --go-memory-limit")
	}
	for _, name := range []string{"serve", "ingest"} {
		cmd := newServeCmd()
		if name == "ingest" {
			cmd = newIngestCmd()
		}
		f := cmd.Flags().Lookup("go-memory-limit")
		if f == nil {
			t.Errorf("%s has no --go-memory-limit", name)
			continue
		}
		if f.DefValue != config.DefaultGoMemoryLimit || f.Usage != want.Usage {
			t.Errorf("%s --go-memory-limit: default %q, usage %q; want %q, %q", name, f.DefValue, f.Usage, config.DefaultGoMemoryLimit, want.Usage)
		}
	}
}

// TestIngestGoMemoryLimit: ingest applies --go-memory-limit (or
// PAGERLENS_GO_MEMORY_LIMIT, or the default) unless GOMEMLIMIT is set. The
// limit is process-wide, so these cases run one after another in-process.
func TestIngestGoMemoryLimit(t *testing.T) {
	const before = 777 << 20 // a limit in place before ingest runs
	file := filepath.Join(fixtures.Dir(t, "canonical"), "incident-lifecycle.jsonl")
	for _, tc := range []struct {
		name       string
		args       []string
		env        string // PAGERLENS_GO_MEMORY_LIMIT
		gomemlimit string
		want       int64
		wantErr    bool
	}{
		{name: "default", want: 512 << 20},
		{name: "flag", args: []string{"--go-memory-limit", "300MiB"}, want: 300 << 20},
		{name: "env", env: "200MiB", want: 200 << 20},
		{name: "flag over env", args: []string{"--go-memory-limit", "300MiB"}, env: "200MiB", want: 300 << 20},
		{name: "GOMEMLIMIT wins", args: []string{"--go-memory-limit", "300MiB"}, gomemlimit: "1GiB", want: before},
		{name: "bad size", args: []string{"--go-memory-limit", "lots"}, want: before, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			// t.Setenv restores the variable afterwards; an empty
			// PAGERLENS_* value would still be a value, so unset it.
			t.Setenv("PAGERLENS_GO_MEMORY_LIMIT", tc.env)
			if tc.env == "" {
				os.Unsetenv("PAGERLENS_GO_MEMORY_LIMIT")
			}
			prev := debug.SetMemoryLimit(before)
			t.Cleanup(func() { debug.SetMemoryLimit(prev) })

			root := newRootCmd()
			root.SetOut(io.Discard)
			root.SetArgs(append([]string{"ingest", "-q", "--db", filepath.Join(t.TempDir(), "p.duckdb")}, append(tc.args, file)...))
			err := root.Execute()
			if (err != nil) != tc.wantErr {
				t.Fatalf("ingest: err %v; want error %v", err, tc.wantErr)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("Go memory limit after ingest = %d; want %d", got, tc.want)
			}
		})
	}
}
