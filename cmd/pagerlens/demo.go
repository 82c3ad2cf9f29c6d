package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/internal/server"
)

func newDemoCmd() *cobra.Command {
	o := app.DemoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on synthetic data: embedded Kafka, 90 days of history, /metrics, dashboards, a report",
		Long: `demo starts an embedded Kafka-protocol broker on loopback, produces --days of
synthetic history for --teams teams, consumes it into DIR/pagerlens.duckdb with
the real consumer, serves /metrics on --listen, writes the Grafana provisioning
tree and a fatigue report into DIR, prints a summary, and keeps a live trickle
of new events flowing until Ctrl-C (or --duration). DIR must be new, empty,
or a previous demo's (whose own files are replaced); anything else is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			o.Out = cmd.OutOrStdout()
			if term.IsTerminal(int(os.Stderr.Fd())) {
				o.Progress = consumeBar
			}
			return app.Demo(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", "pagerlens-demo", "directory for the store, dashboards and report (a new or empty one, or an earlier demo's, whose files are replaced)")
	f.StringVar(&o.Listen, "listen", server.DefaultListen, "HTTP listen address for /metrics")
	f.IntVar(&o.Days, "days", 90, "days of synthetic history")
	f.IntVar(&o.Teams, "teams", 8, "teams in the synthetic world")
	f.Int64Var(&o.Seed, "seed", 1, "seed of the synthetic world")
	f.DurationVar(&o.Duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	f.Float64Var(&o.Speedup, "speedup", 60, "how much faster than real time the live trickle plays")
	return cmd
}

// consumeBar draws the demo's history consumption on stderr: an observer
// of the consumer's batches (app.DemoOptions.Progress).
func consumeBar(total int, db string) (ingest.Observer, func()) {
	bar := progressbar.NewOptions(total, progressbar.OptionSetDescription("consuming into "+db),
		progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
	return &barObserver{bar: bar}, func() { _ = bar.Finish() }
}

// barObserver advances a progress bar by the messages of each batch.
// (progressbar locks its own state: the consumer's goroutines may call.)
type barObserver struct {
	ingest.NopObserver
	bar *progressbar.ProgressBar
}

func (b *barObserver) BatchCommitted(s ingest.BatchStats) { _ = b.bar.Add(s.Messages) }
