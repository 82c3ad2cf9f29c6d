package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/dashboards"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/store"
)

// Scaling beyond one instance (docs/scaling.md): `pagerlens merge`, and
// --shard-mode on `pagerlens dashboards`.

func newMergeCmd() *cobra.Command {
	var out, memoryLimit string
	cmd := &cobra.Command{
		Use:   "merge --out FILE SRC.duckdb...",
		Short: "Merge the stores of several shards into one store file (each event once)",
		Long: `merge adds the events and dead letters of the given store files (the DuckDB
files of the shards of one consumer group) to --out, creating it if needed,
and re-derives the analytics tables from the union. Events are deduplicated
by id: a batch that a crashed shard stored and that the group redelivered to
another shard counts once. The sources are opened read-only, so stop the
pagerlens processes that write them first (or merge copies made with
pagerlens backup). Merging the same sources again adds nothing.

The merged file is an ordinary store: pagerlens metrics, sql, report and
export read it as they read one shard's, and give the figures one instance
over the whole stream would give.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, srcs []string) error {
			if out == "" {
				return usageErrorf("merge: --out is required")
			}
			ctx := cmd.Context()
			start := time.Now()
			// With analytics attached: it registers the derived tables,
			// which Merge rebuilds.
			st, err := app.OpenStore(ctx, out, store.Options{MemoryLimit: memoryLimit})
			if err != nil {
				return fmt.Errorf("merge: %w", err)
			}
			defer st.Close()
			res, err := store.Merge(ctx, st, srcs)
			if err != nil {
				return err
			}
			c, err := st.Count(ctx)
			if err != nil {
				return fmt.Errorf("merge: %w", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(),
				"merged %d stores into %s in %s: %d events added (%d duplicates skipped), %d dead letters added; it holds %d events and %d dead letters\n",
				res.Sources, out, time.Since(start).Round(time.Millisecond), res.Events, res.Duplicates, res.DeadLetters, c.Events, c.DeadLetters)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "store file to merge into (created if missing)")
	memoryLimitFlag(f, &memoryLimit)
	return cmd
}

// withShardMode adds --shard-mode to `pagerlens dashboards`: shorthand for
// --aggregation sum, the setting of instances that share one consumer group.
func withShardMode(cmd *cobra.Command) *cobra.Command {
	var shard bool
	cmd.PersistentFlags().BoolVar(&shard, "shard-mode", false,
		"instances share one consumer group and each holds a part of the events: sum their series (same as --aggregation sum; use deploy/prometheus/rules-shards.yml)")
	parentPreRun := cmd.PersistentPreRunE
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		// cobra runs only the nearest PersistentPreRunE: keep the root's
		// (logging set-up) running.
		run := parentPreRun
		if run == nil && c.Root() != cmd {
			run = c.Root().PersistentPreRunE
		}
		if run != nil {
			if err := run(c, args); err != nil {
				return err
			}
		}
		if !shard {
			return nil
		}
		agg := cmd.PersistentFlags().Lookup("aggregation")
		if agg == nil {
			return fmt.Errorf("dashboards: --shard-mode needs the --aggregation flag")
		}
		if agg.Changed && agg.Value.String() != string(dashboards.AggregationSum) {
			return usageErrorf("--shard-mode contradicts --aggregation %s: shards are summed", agg.Value)
		}
		return agg.Value.Set(string(dashboards.AggregationSum))
	}
	return cmd
}
