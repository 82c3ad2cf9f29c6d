package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// globalFlags are shared by every subcommand.
type globalFlags struct {
	logLevel   string
	logFormat  string
	cpuProfile string
}

func newRootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:           "pagerlens",
		Short:         "Reliability insights (MTTx, alert quality, on-call load, pager fatigue) from your paging events",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkEnv(cmd.Root(), os.Environ()); err != nil {
				return err
			}
			if err := setupLogging(g); err != nil {
				return err
			}
			return startCPUProfile(g.cpuProfile)
		},
		PersistentPostRun: func(*cobra.Command, []string) { stopCPUProfile() },
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("PAGERLENS_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", envOr("PAGERLENS_LOG_FORMAT", "text"), "log format: text or json")
	// For profiling a slow ingest or Snapshot in place (go tool pprof).
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpu-profile", "", "write a CPU profile of the command to this file")
	_ = root.PersistentFlags().MarkHidden("cpu-profile")
	// A bad flag or flag value is a usage error (exit 2), as a bad config is.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitError{code: 2, err: err} })
	// Each subcommand lives in its own file and is registered here.
	root.AddCommand(subcommands()...)
	return root
}

func setupLogging(g globalFlags) error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usageErrorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch g.logFormat {
	case "text":
		h = slog.NewTextHandler(os.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, opts)
	default:
		return usageErrorf("--log-format %q: want text or json", g.logFormat)
	}
	slog.SetDefault(slog.New(h))
	return nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

var cpuProfile *os.File

func startCPUProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpu-profile: %w", err)
	}
	cpuProfile = f
	return nil
}

func stopCPUProfile() {
	if cpuProfile != nil {
		pprof.StopCPUProfile()
		cpuProfile.Close()
		cpuProfile = nil
	}
}
