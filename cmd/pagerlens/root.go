package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

// globalFlags are shared by every subcommand.
type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:           "pagerlens",
		Short:         "Reliability insights (MTTx, alert quality, on-call load, pager fatigue) from your paging events",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return setupLogging(g)
		},
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("PAGERLENS_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", envOr("PAGERLENS_LOG_FORMAT", "text"), "log format: text or json")
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
