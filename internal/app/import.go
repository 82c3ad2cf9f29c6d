package app

import (
	"context"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/opsgenie"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	promimport "github.com/pagerlens/pagerlens/ingest/importers/prometheus"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// ImportPagerDuty runs one PagerDuty REST import (docs/import.md) into the
// store at db with analytics attached, so that the imported events get
// their derived rows as live ones do. The importers of other vendors go
// beside it, one function each.
func ImportPagerDuty(ctx context.Context, db string, opts store.Options, o pagerduty.Options) (importers.Summary, error) {
	st, err := OpenStore(ctx, db, opts)
	if err != nil {
		return importers.Summary{}, err
	}
	defer st.Close()
	return pagerduty.Import(ctx, st, o)
}

// ImportPrometheus rebuilds alert history from a Prometheus's ALERTS series
// (docs/import.md) into cfg.DB, decoded with cfg's mappings and limits as
// the live Alertmanager webhook is, so that history and live alerts join.
func ImportPrometheus(ctx context.Context, cfg config.Config, ic promimport.Config) (promimport.Stats, error) {
	ic.Decode = cfg.DecodeOptions()
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return promimport.Stats{}, err
	}
	defer st.Close()
	return promimport.Import(ctx, st, ic)
}

// ImportOpsgenie runs one Opsgenie REST import (docs/import.md) into
// cfg.DB with analytics attached, mapped with cfg's mappings and limits as
// the live webhook is (Opsgenie names teams by id: team_map names them), so
// that history and webhooks join.
func ImportOpsgenie(ctx context.Context, cfg config.Config, o opsgenie.Options) (importers.Summary, error) {
	d := cfg.DecodeOptions()
	o.Mappings, o.Limits = d.Mappings, d.Limits
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return importers.Summary{Source: opsgenie.Source}, err
	}
	defer st.Close()
	return opsgenie.Import(ctx, st, o)
}
