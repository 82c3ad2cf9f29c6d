package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/internal/bench"
)

func newBenchCmd() *cobra.Command {
	cfg := bench.DefaultConfig()
	var (
		write         bool
		out           string
		stages        string
		snapshotChild string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure every stage next to the limit of the library below it, in one run",
		Long: `bench measures decode, store, consume (embedded Kafka broker), backfill,
memory, soak (serve's RSS under a steady webhook and Kafka stream), analytics
(Snapshot) and scrape, each figure next to its limit measured
in the same run, and prints one table with the targets met or missed.

The defaults finish in about fifteen minutes on a loaded 2-core machine. The
full sizes (bench/results.md):

  pagerlens bench --events 1000000 --stored 50000000 --snapshot-events 1000000,10000000

(--stored 50000000 needs ~3 GB of disk in --dir and ~15 more minutes.)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if snapshotChild != "" {
				return bench.SnapshotChild(ctx, snapshotChild, 3)
			}
			cfg.Stages = strings.Split(stages, ",")
			o := app.BenchOptions{Out: cmd.OutOrStdout(), Progress: cmd.ErrOrStderr()}
			if write {
				o.Write = out
				o.Command = strings.TrimSpace("pagerlens bench " + strings.Join(os.Args[2:], " "))
			}
			return app.Bench(ctx, cfg, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Events, "events", cfg.Events, "events for consume and backfill")
	f.IntVar(&cfg.Stored, "stored", cfg.Stored, "events already in the store for the store stage")
	f.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "events per batch in the store stage")
	f.IntVar(&cfg.StoreBatches, "batches", cfg.StoreBatches, "measured batches in the store stage")
	f.IntSliceVar(&cfg.SnapshotEvents, "snapshot-events", cfg.SnapshotEvents, "store sizes for the Snapshot (analytics; the smallest also for scrape)")
	f.IntVar(&cfg.MemEvents, "mem-events", cfg.MemEvents, "events ingested by the memory stage")
	f.DurationVar(&cfg.SoakDuration, "soak-duration", cfg.SoakDuration, "how long each steady stream of the soak stage runs")
	f.IntVar(&cfg.SoakRate, "soak-rate", cfg.SoakRate, "webhook requests a second in the soak stage (two alerts each)")
	f.IntVar(&cfg.SoakKafkaRate, "soak-kafka-rate", cfg.SoakKafkaRate, "canonical events a second through Kafka in the soak stage")
	f.IntVar(&cfg.DecodeEvents, "decode-events", cfg.DecodeEvents, "events per decoder and round")
	f.StringVar(&stages, "stages", strings.Join(bench.AllStages, ","), "stages to run")
	f.StringVar(&cfg.Dir, "dir", "", "scratch directory (default: a temporary one, removed after)")
	f.BoolVar(&write, "write", false, "also write the results as Markdown to --out")
	f.StringVarP(&out, "out", "o", "bench/results.md", "results file for --write")
	f.StringVar(&snapshotChild, "snapshot-child", "", "internal: compute the Snapshot of this store and print timings as JSON")
	_ = f.MarkHidden("snapshot-child")
	return cmd
}
