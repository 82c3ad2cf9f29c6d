package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/pagerlens/pagerlens/dashboards"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/demo"
	"github.com/pagerlens/pagerlens/internal/embedkafka"
	"github.com/pagerlens/pagerlens/store"
)

// demoTopic is the embedded broker's one topic.
const demoTopic = "pagerlens-events"

// DemoOptions are `pagerlens demo`'s settings.
type DemoOptions struct {
	Dir, Listen string
	Days, Teams int
	Seed        int64
	// Duration stops the demo after this long (0: when ctx ends).
	Duration time.Duration
	// Speedup is how much faster than real time the live trickle plays.
	Speedup float64
	// Out receives the demo's own lines and summary.
	Out io.Writer
	// Progress, if set, is told the number of history messages about to
	// be consumed into db, and returns an observer of the consumed batches
	// (the command's progress bar) and what to call once all are stored.
	Progress func(total int, db string) (ingest.Observer, func())
}

// Demo runs the whole pipeline on synthetic data: an embedded broker, the
// history produced to it and consumed by serve's own code into
// o.Dir/pagerlens.duckdb, /metrics, the Grafana provisioning tree and a
// fatigue report in o.Dir, a summary on o.Out, then a live trickle until
// ctx ends or o.Duration passes.
func Demo(ctx context.Context, o DemoOptions) error {
	log := slog.Default()
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	// A taken port is the usual first-run failure (a serve or an earlier
	// demo still running): say so before minutes of history are produced.
	// serve binds it again below; a race in between is reported there.
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("demo: %w; stop what holds it, or run pagerlens demo --listen %s", err, nextListen(o.Listen))
	}
	ln.Close()
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// A fresh store each run: the synthetic history ends now, so yesterday's
	// run holds the same event ids at other times.
	if err := prepareDemoDir(dir); err != nil {
		return err
	}
	db := filepath.Join(dir, store.DefaultFile)

	broker, err := embedkafka.Start(embedkafka.Options{Topics: []string{demoTopic}, Partitions: 4})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer broker.Close()
	start := time.Now().UTC()
	history, err := demo.History(o.Seed, o.Teams, o.Days, start)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(o.Out, "embedded Kafka broker on %s; producing %d days of history for %d teams: %d events\n",
		broker.Addr(), o.Days, o.Teams, len(history))
	if err := broker.Produce(ctx, demoTopic, history...); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	count := &ingest.MessageCounter{}
	var observer ingest.Observer = count
	progressDone := func() {}
	if o.Progress != nil {
		var p ingest.Observer
		if p, progressDone = o.Progress(len(history), db); p != nil {
			observer = ingest.Observers{count, p}
		}
	}
	cfg := config.Default()
	cfg.DB = db
	cfg.Listen = o.Listen
	cfg.Kafka.Brokers = []string{broker.Addr()}
	cfg.Kafka.Topics = []ingest.Topic{{Name: demoTopic}}
	cfg.Kafka.Group = "pagerlens-demo"
	cfg.Prometheus.RefreshInterval = config.Duration(10 * time.Second)

	started := make(chan served, 1)
	serveErr := make(chan error, 1)
	sctx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	go func() {
		serveErr <- runServe(sctx, cfg, &serveHooks{observer: observer, started: func(s served) { started <- s }})
	}()
	var r served
	select {
	case r = <-started:
	case err := <-serveErr:
		if errors.Is(err, syscall.EADDRINUSE) {
			// The usual first-run failure (a serve or an earlier demo
			// still running): say how to get past it in the same line.
			return fmt.Errorf("demo: %w; stop what holds it, or run pagerlens demo --listen %s", err, nextListen(o.Listen))
		}
		return fmt.Errorf("demo: %w", err)
	case <-ctx.Done():
		stopServe()
		return <-serveErr
	}

	// Wait for the history to be stored: the consumer counts every message.
	select {
	case <-count.Reached(int64(len(history))):
	case err := <-serveErr:
		return fmt.Errorf("demo: %w", err)
	case <-ctx.Done():
		stopServe()
		return <-serveErr
	}
	progressDone()
	fmt.Fprintf(o.Out, "consumed %d messages in %s\n", len(history), time.Since(start).Round(100*time.Millisecond))

	info, err := demoArtifacts(ctx, r.store, dir, r.addr, o)
	if err != nil {
		stopServe()
		<-serveErr
		return err
	}
	// The snapshot /metrics serves, refreshed now that the history is in:
	// the summary shows what the dashboards show, computed once.
	snap, err := r.snapshot(ctx)
	if err != nil {
		stopServe()
		<-serveErr
		return fmt.Errorf("demo: %w", err)
	}
	if err := demo.WriteSummary(o.Out, snap, "30d", info); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "\nlive: a trickle of new events keeps flowing (%gx real time). Ctrl-C stops.\n", o.Speedup)

	trickleErr := make(chan error, 1)
	go func() {
		trickleErr <- demo.Trickle(ctx, o.Seed+1000, o.Teams, time.Now(), o.Speedup, func(ms []embedkafka.Message) error {
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
	fmt.Fprintf(o.Out, "stopped; the store is %s (pagerlens sql --db %s 'SELECT …')\n", db, db)
	return nil
}

// demoArtifacts writes the Grafana provisioning tree and the fatigue report.
func demoArtifacts(ctx context.Context, st *store.Store, dir, addr string, o DemoOptions) (demo.Info, error) {
	prov := filepath.Join(dir, demoGrafanaDir)
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
