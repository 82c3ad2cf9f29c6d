package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/export"
	promexp "github.com/pagerlens/pagerlens/exporters/prometheus"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/poller"
	"github.com/pagerlens/pagerlens/ingest/webhook"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/server"
	"github.com/pagerlens/pagerlens/internal/server/api"
	"github.com/pagerlens/pagerlens/store"
)

// serveHooks let Demo watch the pipeline it runs; Serve passes nil.
type serveHooks struct {
	// observer also receives the consumer's batches (progress).
	observer ingest.Observer
	// started is called once everything runs.
	started func(served)
}

// served is what a running serve offers its hooks.
type served struct {
	store *store.Store
	addr  string // the HTTP server's
	// snapshot refreshes the analytics now and returns the snapshot that
	// /metrics then serves.
	snapshot func(context.Context) (*analytics.Snapshot, error)
}

// Serve runs `pagerlens serve` with cfg (flags, variables and file already
// applied and validated) until ctx ends: the Kafka consumer (when brokers
// are configured), the webhook intake (when sources are), /metrics with its
// analytics refresher, and the export scheduler, over one store. HTTP is
// served from the start; the consumer waits for its brokers on its own.
func Serve(ctx context.Context, cfg config.Config) error { return runServe(ctx, cfg, nil) }

func runServe(ctx context.Context, cfg config.Config, hooks *serveHooks) error {
	log := slog.Default()
	// Webhooks in direct mode need no Kafka: then no consumer runs.
	webhooks := len(cfg.Webhooks.Enabled()) > 0
	if len(cfg.Kafka.Brokers) == 0 && !webhooks && len(cfg.Import.Sources()) == 0 {
		return config.Invalid(fmt.Errorf("serve: no Kafka brokers, no webhooks and no import: set --brokers (PAGERLENS_BROKERS, kafka.brokers in --config) to consume Kafka, " +
			"list sources under webhooks: in --config to receive webhooks without Kafka (docs/webhooks.md), " +
			"or under import: to poll a paging tool's API (docs/import.md)"))
	}
	if len(cfg.Kafka.Brokers) == 0 && cfg.Webhooks.Kafka() {
		return config.Invalid(fmt.Errorf("serve: webhooks.mode kafka needs Kafka brokers: set --brokers (PAGERLENS_BROKERS, kafka.brokers in --config), " +
			"or webhooks.mode: direct to write webhooks to the store without Kafka"))
	}
	if err := cfg.Webhooks.Validate(); err != nil {
		return config.Invalid(err)
	}
	if err := cfg.Mappings.Validate(); err != nil {
		return config.Invalid(fmt.Errorf("serve: %w", err))
	}
	// Checked (and the roster read) once, before anything runs: a bad
	// window or time zone is a config error, not a refresh failure to be
	// found in the logs later. Each refresh and export run then moves
	// only Now.
	acfg, err := cfg.Analytics.Config(time.Now())
	if err != nil {
		return config.Invalid(fmt.Errorf("serve: %w", err))
	}
	if webhooks && cfg.Webhooks.Kafka() {
		cfg.Kafka.Topics = withWebhookTopics(cfg.Kafka.Topics, cfg.Webhooks)
	}
	if len(cfg.Kafka.Brokers) > 0 && len(cfg.Kafka.Topics) == 0 {
		return config.Invalid(errors.New("serve: no topics: set --topics, PAGERLENS_TOPICS or kafka.topics in --config"))
	}
	dialer, err := cfg.Kafka.Dialer()
	if err != nil {
		return config.Invalid(err)
	}
	// The Go heap is bounded next to DuckDB's buffer pool (see
	// config.Store.GoMemoryLimit).
	if err := applyGoMemoryLimit("serve", cfg.Store.GoMemoryLimit); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := analytics.Attach(ctx, st); err != nil {
		return err
	}
	// The analytics tables are updated beside the next batch's write rather
	// than inside it (store/derive.go); snapshots wait for them.
	if err := st.SetAsyncDerived(ctx, true); err != nil {
		return err
	}
	metrics, refresher, err := newExporter(st, cfg.Prometheus, acfg, log)
	if err != nil {
		return config.Invalid(err)
	}
	exports, err := newExports(cfg.Exports, st, metrics, acfg, log)
	if err != nil {
		return config.Invalid(err)
	}
	// Every component registers its own self-metrics on the /metrics
	// registry; those of the configured topics, sources and exports start
	// at 0.
	ingestMetrics, err := ingest.NewMetrics(metrics.Self)
	if err != nil {
		return err
	}
	ingestMetrics.Init(storedTopics(cfg))
	observer := ingest.Observers{ingestMetrics, ingest.OnBatch(refresher.Poke)}
	if hooks != nil && hooks.observer != nil {
		observer = append(observer, hooks.observer)
	}
	dec := cfg.DecodeOptions()
	var consumer *ingest.Consumer
	if len(cfg.Kafka.Brokers) > 0 {
		consumer, err = ingest.NewConsumer(ingest.Config{
			Brokers: cfg.Kafka.Brokers, Topics: cfg.Kafka.Topics, Group: cfg.Kafka.Group,
			BatchSize: cfg.Kafka.BatchSize, BatchWait: time.Duration(cfg.Kafka.BatchWait), BatchMax: cfg.Kafka.BatchMax,
			Dialer: dialer, StartFromLatest: cfg.Kafka.StartFromLatest, Logger: log,
			Decode:   dec,
			Observer: observer,
		}, st)
		if err != nil {
			return config.Invalid(err)
		}
	}
	srv, err := server.New(cfg.Listen, cfg.WebConfigFile, log)
	if err != nil {
		return err
	}
	srv.Handle("GET /metrics", metrics.Handler())
	// The API queries the store on connections of its own, bounded: a
	// slow report or query never holds up ingestion or the refresh.
	httpAPI, err := api.New(api.Options{Store: st, Analytics: acfg, Cached: metrics.Collector.Snapshot,
		SQL: cfg.API.SQL, MaxRows: cfg.API.MaxRows, Timeout: time.Duration(cfg.API.Timeout), MaxConcurrent: cfg.API.MaxConcurrent,
		Registerer: metrics.Self, Logger: log.With("component", "api")})
	if err != nil {
		return err
	}
	httpAPI.Mount(srv)
	srv.AddCheck("analytics", func() error {
		if metrics.Collector.Snapshot() == nil {
			return errors.New("no analytics snapshot yet")
		}
		return nil
	})
	if webhooks {
		wh, err := newWebhooks(cfg, st, dialer, dec, observer, metrics, log)
		if err != nil {
			return config.Invalid(err)
		}
		defer wh.Close()
		wh.Mount(srv)
	}
	if consumer != nil {
		srv.AddCheck("kafka", func() error {
			if !consumer.Ready() {
				return errors.New("brokers unreachable")
			}
			return nil
		})
	}
	sampleMemory, err := sampleStoreMemory(st, metrics.Self, log)
	if err != nil {
		return err
	}
	// API polling: a vendor outage is counted (pagerlens_import_runs_total)
	// and logged, never a readiness failure; what a run stores is in the
	// next snapshot at once.
	sources, err := importSources(cfg, st)
	if err != nil {
		return err
	}
	var polls *poller.Poller
	if len(sources) > 0 {
		if polls, err = poller.New(metrics.Self, log.With("component", "import"), sources...); err != nil {
			return err
		}
		polls.OnRun = func(string, importers.Summary, error) { refresher.Poke() }
	}
	// Commands pointed at the locked file name this URL (--url).
	removeServeFile, err := writeServeFile(cfg.DB, srv.URL())
	if err != nil {
		log.Warn("cannot leave serve's URL next to the store", "err", err)
	}
	defer removeServeFile()
	log.Info("serving", "db", cfg.DB, "url", srv.URL(), "sql_api", cfg.API.SQL, "brokers", cfg.Kafka.Brokers, "group", cfg.Kafka.Group, "topics", topicNames(cfg.Kafka.Topics),
		"webhooks", cfg.Webhooks.Enabled(), "import", len(sources))
	// HTTP is served from the start, whatever Kafka does: /healthz answers
	// (a liveness probe must not kill a pod that waits for its brokers),
	// /readyz says what it waits for, direct-mode webhooks are stored and
	// Kafka-mode ones answered 503 + Retry-After until the brokers answer.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	if consumer != nil {
		g.Go(func() error {
			if err := consumer.WaitForBrokers(gctx, cfg.Kafka.WaitForBrokers); err != nil {
				if gctx.Err() != nil {
					return nil
				}
				return err
			}
			return consumer.Run(gctx)
		})
	}
	g.Go(func() error { return refresher.Run(gctx) })
	g.Go(func() error { return exports.Run(gctx) })
	g.Go(func() error { return sampleMemory(gctx) })
	if polls != nil {
		g.Go(func() error { return polls.Run(gctx) })
	}
	if hooks != nil && hooks.started != nil {
		hooks.started(served{store: st, addr: srv.Addr(), snapshot: func(ctx context.Context) (*analytics.Snapshot, error) {
			if err := refresher.Refresh(ctx); err != nil {
				return nil, err
			}
			return metrics.Collector.Snapshot(), nil
		}})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// storedTopics are the topic label values of what serve stores: the
// consumed topics and, in direct mode, each webhook source's.
func storedTopics(cfg config.Config) []string {
	out := topicNames(cfg.Kafka.Topics)
	if !cfg.Webhooks.Kafka() {
		for _, s := range cfg.Webhooks.Enabled() {
			out = append(out, webhook.StoreTopic(s))
		}
	}
	return out
}

func topicNames(ts []ingest.Topic) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// newExporter builds the /metrics registry and its analytics refresher
// (docs/prometheus.md). acfg is the checked analytics config; every refresh
// computes it as of the refresh's own time.
func newExporter(st *store.Store, c config.Prometheus, acfg analytics.Config, log *slog.Logger) (*promexp.Registry, *promexp.Refresher, error) {
	guard, err := promexp.ParseResponderLabel(c.ResponderLabel)
	if err != nil {
		return nil, nil, fmt.Errorf("--responder-label: %w", err)
	}
	if c.MaxAlertnames == 0 {
		return nil, nil, errors.New("--max-alertnames: 0 would fold every alert into \"other\"; use a negative value for no limit")
	}
	reg, err := promexp.NewRegistry(promexp.RegistryOptions{
		// The configured weights, so that folded responders ("other",
		// "all") are scored as the analytics scored the rest.
		Collector: promexp.Options{Responders: guard, MaxAlertnames: c.MaxAlertnames,
			FatigueWeights: acfg.FatigueWeights, Logger: log.With("component", "metrics")},
		Runtime: true,
		Logger:  log.With("component", "metrics"),
	})
	if err != nil {
		return nil, nil, err
	}
	ref := reg.NewRefresher(promexp.StoreSource(st, analyticsAt(acfg)), promexp.RefresherOptions{
		Interval: time.Duration(c.RefreshInterval), Logger: log.With("component", "refresher"),
	})
	return reg, ref, nil
}

// analyticsAt is base as of now, for a Source that is asked at each
// refresh: base's Now (serve's start) must never end a window.
func analyticsAt(base analytics.Config) func(now time.Time) analytics.Config {
	return func(now time.Time) analytics.Config {
		c := base
		c.Now = now.UTC()
		return c
	}
}

// newExports builds the export scheduler (docs/reports.md) on serve's own
// store: the DuckDB file is locked to this process, so exports cannot open
// it separately. Its counters go on the /metrics registry. acfg carries the
// roster and thresholds; the scheduler sets Now and the window per run.
func newExports(jobs []export.Job, st *store.Store, metrics *promexp.Registry, acfg analytics.Config, log *slog.Logger) (*export.Scheduler, error) {
	return export.New(export.Options{Jobs: jobs, Store: st, Analytics: acfg,
		Registerer: metrics.Self, Logger: log.With("component", "exports")})
}

// newWebhooks builds the webhook intake (docs/webhooks.md) with its
// counters on the /metrics registry.
func newWebhooks(cfg config.Config, st *store.Store, dialer *kafka.Dialer, dec decode.Options, obs ingest.Observer, metrics *promexp.Registry, log *slog.Logger) (*webhook.Handler, error) {
	return webhook.New(webhook.Options{
		Config: cfg.Webhooks, Store: st, Brokers: cfg.Kafka.Brokers, Dialer: dialer,
		Decode: dec, Observer: obs, Registerer: metrics.Self, Logger: log.With("component", "webhooks"),
	})
}

// withWebhookTopics adds the topics the webhook intake produces to in Kafka
// mode to the consumed ones, so that what is accepted is also stored.
func withWebhookTopics(ts []ingest.Topic, w webhook.Config) []ingest.Topic {
	have := map[string]bool{}
	for _, t := range ts {
		have[t.Name] = true
	}
	out := append([]ingest.Topic(nil), ts...)
	for _, s := range w.Enabled() {
		if name := w.Topic(s); !have[name] {
			out = append(out, ingest.Topic{Name: name, Format: s})
		}
	}
	return out
}
