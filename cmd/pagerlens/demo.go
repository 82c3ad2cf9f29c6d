package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/dashboards"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/demo"
	"github.com/pagerlens/pagerlens/internal/embedkafka"
	"github.com/pagerlens/pagerlens/store"
)

const demoTopic = "pagerlens-events"

func newDemoCmd() *cobra.Command {
	var (
		dir, listen string
		days, teams int
		seed        int64
		duration    time.Duration
		speedup     float64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on synthetic data: embedded Kafka, 90 days of history, /metrics, dashboards, a report",
		Long: `demo starts an embedded Kafka-protocol broker on loopback, produces --days of
synthetic history for --teams teams, consumes it into DIR/pagerlens.duckdb with
the real consumer, serves /metrics on --listen, writes the Grafana provisioning
tree and a fatigue report into DIR, prints a summary, and keeps a live trickle
of new events flowing until Ctrl-C (or --duration). DIR is recreated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			return runDemo(cmd.Context(), demoOptions{dir: dir, listen: listen, days: days, teams: teams,
				seed: seed, duration: duration, speedup: speedup, out: cmd.OutOrStdout()})
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "pagerlens-demo", "directory for the store, dashboards and report (a new or empty one, or an earlier demo's, whose files are replaced)")
	f.StringVar(&listen, "listen", ":9464", "HTTP listen address for /metrics")
	f.IntVar(&days, "days", 90, "days of synthetic history")
	f.IntVar(&teams, "teams", 8, "teams in the synthetic world")
	f.Int64Var(&seed, "seed", 1, "seed of the synthetic world")
	f.DurationVar(&duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	f.Float64Var(&speedup, "speedup", 60, "how much faster than real time the live trickle plays")
	return cmd
}

type demoOptions struct {
	dir, listen string
	days, teams int
	seed        int64
	duration    time.Duration
	speedup     float64
	out         interface{ Write([]byte) (int, error) }
}

// progress counts consumed messages for the progress bar and the wait for
// the history to be stored.
type progress struct {
	consumed atomic.Int64
	bar      *progressbar.ProgressBar
}

func (p *progress) BatchCommitted(s ingest.BatchStats) {
	p.consumed.Add(int64(s.Messages))
	if p.bar != nil {
		_ = p.bar.Add(s.Messages)
	}
}
func (p *progress) Lag(string, int, int64)       {}
func (p *progress) DecodeWarning(string, string) {}

func runDemo(ctx context.Context, o demoOptions) error {
	log := slog.Default()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// A fresh store each run: the synthetic history ends now, so yesterday's
	// run holds the same event ids at other times.
	if err := prepareDemoDir(dir); err != nil {
		return err
	}
	db := filepath.Join(dir, "pagerlens.duckdb")

	broker, err := embedkafka.Start(embedkafka.Options{Topics: []string{demoTopic}, Partitions: 4})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer broker.Close()
	start := time.Now().UTC()
	history, err := demo.History(o.seed, o.teams, o.days, start)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(o.out, "embedded Kafka broker on %s; producing %d days of history for %d teams: %d events\n",
		broker.Addr(), o.days, o.teams, len(history))
	if err := broker.Produce(ctx, demoTopic, history...); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	prog := &progress{}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		prog.bar = progressbar.NewOptions(len(history), progressbar.OptionSetDescription("consuming into "+db),
			progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	cfg := config.Default()
	cfg.DB = db
	cfg.Listen = o.listen
	cfg.Kafka.Brokers = []string{broker.Addr()}
	cfg.Kafka.Topics = []ingest.Topic{{Name: demoTopic}}
	cfg.Kafka.Group = "pagerlens-demo"
	cfg.Prometheus.RefreshInterval = config.Duration(10 * time.Second)

	type running struct {
		st   *store.Store
		addr string
	}
	started := make(chan running, 1)
	serveErr := make(chan error, 1)
	sctx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	go func() {
		serveErr <- runServe(sctx, cfg, &serveHooks{observer: prog, started: func(st *store.Store, addr string) {
			started <- running{st, addr}
		}})
	}()
	var r running
	select {
	case r = <-started:
	case err := <-serveErr:
		if errors.Is(err, syscall.EADDRINUSE) {
			// The usual first-run failure (a serve or an earlier demo
			// still running): say how to get past it in the same line.
			return fmt.Errorf("demo: %w; stop what holds it, or run pagerlens demo --listen %s", err, nextListen(o.listen))
		}
		return fmt.Errorf("demo: %w", err)
	case <-ctx.Done():
		stopServe()
		return <-serveErr
	}

	// Wait for the history to be stored: the consumer counts every message.
	for prog.consumed.Load() < int64(len(history)) {
		select {
		case err := <-serveErr:
			return fmt.Errorf("demo: %w", err)
		case <-ctx.Done():
			stopServe()
			return <-serveErr
		case <-time.After(100 * time.Millisecond):
		}
	}
	if prog.bar != nil {
		_ = prog.bar.Finish()
	}
	fmt.Fprintf(o.out, "consumed %d messages in %s\n", len(history), time.Since(start).Round(100*time.Millisecond))

	info, err := demoArtifacts(ctx, r.st, dir, r.addr, o)
	if err != nil {
		stopServe()
		<-serveErr
		return err
	}
	snap, err := analytics.Compute(ctx, r.st, analytics.DefaultConfig(time.Now()))
	if err != nil {
		stopServe()
		<-serveErr
		return fmt.Errorf("demo: %w", err)
	}
	if err := demo.WriteSummary(o.out, snap, "30d", info); err != nil {
		return err
	}
	fmt.Fprintf(o.out, "\nlive: a trickle of new events keeps flowing (%gx real time). Ctrl-C stops.\n", o.speedup)

	trickleErr := make(chan error, 1)
	go func() {
		trickleErr <- demo.Trickle(ctx, o.seed+1000, o.teams, time.Now(), o.speedup, func(ms []embedkafka.Message) error {
			return broker.Produce(ctx, demoTopic, ms...)
		})
	}()
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("demo: %w", err)
	}
	if err := <-trickleErr; err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		log.Warn("live trickle stopped", "err", err)
	}
	stopServe()
	if err := <-serveErr; err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(o.out, "stopped; the store is %s (pagerlens sql --db %s 'SELECT …')\n", db, db)
	return nil
}

// demoArtifacts writes the Grafana provisioning tree and the fatigue report.
func demoArtifacts(ctx context.Context, st *store.Store, dir, addr string, o demoOptions) (demo.Info, error) {
	prov := filepath.Join(dir, "grafana")
	if err := dashboards.WriteProvisioning(prov, dashboards.Options{PrometheusURL: "http://localhost:9090"}); err != nil {
		return demo.Info{}, fmt.Errorf("demo: %w", err)
	}
	report, err := writeDemoReport(ctx, st, dir)
	if err != nil {
		return demo.Info{}, fmt.Errorf("demo: %w", err)
	}
	return demo.Info{Dir: dir, DB: st.Path(), MetricsURL: "http://" + metricsHost(addr) + "/metrics",
		Provisioning: prov, Report: report, Target: metricsHost(addr)}, nil
}

// nextListen is listen with the port after its own (:9464 → :9465), the
// address to suggest when listen is taken; ":9465" if listen has no port.
func nextListen(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ":9465"
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p >= 65535 {
		return ":9465"
	}
	return net.JoinHostPort(host, strconv.Itoa(p+1))
}

// metricsHost turns a listen address such as [::]:9464 into localhost:9464.
func metricsHost(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return "localhost" + addr[i:]
		}
	}
	return addr
}
