package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pagerlens/pagerlens/internal/bench"
)

// BenchOptions are `pagerlens bench`'s settings beyond the stages' sizes.
type BenchOptions struct {
	// Write, if set, also writes the results as Markdown to this file.
	Write string
	// Command is the command line recorded in the Markdown.
	Command string
	// Out receives the results table; Progress the stages' progress.
	Out, Progress io.Writer
}

// Bench runs the benchmark stages of cfg (bench.Run) with this binary as
// the serve and backfill child, prints the table and, with o.Write, saves
// it as Markdown.
func Bench(ctx context.Context, cfg bench.Config, o BenchOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: locate the pagerlens binary: %w", err)
	}
	cfg.Exe = exe
	cfg.Progress = o.Progress
	machine := bench.Machine()
	res, err := bench.Run(ctx, cfg)
	if res != nil {
		fmt.Fprintln(o.Out)
		res.Print(o.Out)
	}
	if err != nil || o.Write == "" {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.Write), 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(o.Write, res.Markdown(machine, o.Command), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(o.Progress, "bench: wrote %s\n", o.Write)
	return nil
}
