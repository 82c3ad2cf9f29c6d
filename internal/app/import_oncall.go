package app

import (
	"context"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/oncall"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// ImportOnCall runs one Grafana OnCall public API import (docs/import.md)
// into cfg.DB with analytics attached, as ImportPagerDuty does: cfg gives
// the mappings and limits (an imported alert group and a webhook one look
// the same) and the roster, whose time zones win over the users' OnCall
// ones.
func ImportOnCall(ctx context.Context, cfg config.Config, o oncall.Options) (importers.Summary, error) {
	if err := onCallFromConfig(cfg, &o); err != nil {
		return importers.Summary{}, err
	}
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return importers.Summary{}, err
	}
	defer st.Close()
	return oncall.Import(ctx, st, o)
}

// onCallFromConfig fills o's mappings, limits and roster zones from cfg.
func onCallFromConfig(cfg config.Config, o *oncall.Options) error {
	dec := cfg.DecodeOptions()
	o.Mappings, o.Limits = dec.Mappings, dec.Limits
	zones, err := rosterZones(cfg)
	if err != nil {
		return err
	}
	if o.Zones == nil {
		o.Zones = zones
	}
	return nil
}
