package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	"github.com/pagerlens/pagerlens/ingest/importers/poller"
	promimport "github.com/pagerlens/pagerlens/ingest/importers/prometheus"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/store"
)

// ImportPagerDuty runs one PagerDuty REST import (docs/import.md) into
// cfg.DB with analytics attached, so that the imported events get their
// derived rows as live ones do. cfg gives the mappings and limits (so that
// an imported incident and a webhook one look the same) and the roster,
// whose time zones win over the users' PagerDuty ones. The importers of
// other vendors go beside it, one function each.
func ImportPagerDuty(ctx context.Context, cfg config.Config, o pagerduty.Options) (importers.Summary, error) {
	if err := pagerDutyFromConfig(cfg, &o); err != nil {
		return importers.Summary{}, err
	}
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return importers.Summary{}, err
	}
	defer st.Close()
	return pagerduty.Import(ctx, st, o)
}

// pagerDutyFromConfig fills o's mappings, limits and roster zones from cfg.
func pagerDutyFromConfig(cfg config.Config, o *pagerduty.Options) error {
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

// rosterZones are the roster's responder time zones (responder → IANA
// zone), which win over what a vendor's API says of its users: the roster
// is the operator's own statement.
func rosterZones(cfg config.Config) (map[string]string, error) {
	if cfg.Analytics.RosterFile == "" {
		return nil, nil
	}
	r, err := analytics.LoadRoster(cfg.Analytics.RosterFile)
	if err != nil {
		return nil, config.Invalid(fmt.Errorf("analytics.roster_file: %w", err))
	}
	zones := map[string]string{}
	for _, p := range r.Responders {
		if p.Timezone != "" {
			zones[p.Name] = p.Timezone
		}
	}
	return zones, nil
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

// importSources are the configured import: sources as poller sources over
// serve's store. Each run reads the token again (it may be rotated), asks
// from `since` back from now, and resumes from the stored cursor.
func importSources(cfg config.Config, st *store.Store) ([]poller.Source, error) {
	var out []poller.Source
	if s := cfg.Import.PagerDuty; s != nil {
		s := s.WithDefaults()
		var o pagerduty.Options
		if err := pagerDutyFromConfig(cfg, &o); err != nil {
			return nil, err
		}
		ago, err := importers.ParseAgo(s.Since)
		if err != nil {
			return nil, config.Invalid(fmt.Errorf("import.pagerduty.since: %w", err))
		}
		out = append(out, poller.Source{Name: pagerduty.Source, Every: time.Duration(s.Every),
			Run: func(ctx context.Context) (importers.Summary, error) {
				tok, err := pagerduty.ReadToken(s.TokenFile)
				if err != nil {
					return importers.Summary{}, err
				}
				run := o
				now := time.Now().UTC()
				run.APIURL, run.Token, run.TokenFile, run.TeamIDs = s.APIURL, tok, s.TokenFile, s.Teams
				run.Since, run.Until = now.Add(-ago), now
				return pagerduty.Import(ctx, st, run)
			}})
	}
	return out, nil
}
