package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/incidentio"
	"github.com/pagerlens/pagerlens/ingest/importers/oncall"
	"github.com/pagerlens/pagerlens/ingest/importers/opsgenie"
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

// pollRun is one configured vendor's import over serve's store, from the
// settings every vendor shares.
type pollRun func(ctx context.Context, st *store.Store, c pollCommon) (importers.Summary, error)

// pollCommon is what every vendor's importer takes from serve's config.
type pollCommon struct {
	apiURL, tokenFile string
	since, until      time.Time
	teams             []string
	dec               decode.Options
	zones             map[string]string
}

// pollRuns are the vendors serve can poll, by their import: key.
var pollRuns = map[string]pollRun{
	pagerduty.Source: func(ctx context.Context, st *store.Store, c pollCommon) (importers.Summary, error) {
		tok, err := pagerduty.ReadToken(c.tokenFile)
		if err != nil {
			return importers.Summary{}, err
		}
		return pagerduty.Import(ctx, st, pagerduty.Options{APIURL: c.apiURL, Token: tok, TokenFile: c.tokenFile,
			Since: c.since, Until: c.until, TeamIDs: c.teams, Mappings: c.dec.Mappings, Limits: c.dec.Limits, Zones: c.zones})
	},
	opsgenie.Source: func(ctx context.Context, st *store.Store, c pollCommon) (importers.Summary, error) {
		tok, err := opsgenie.ReadToken(c.tokenFile)
		if err != nil {
			return importers.Summary{}, err
		}
		return opsgenie.Import(ctx, st, opsgenie.Options{APIURL: c.apiURL, Token: tok, TokenFile: c.tokenFile,
			Since: c.since, Until: c.until, Mappings: c.dec.Mappings, Limits: c.dec.Limits, Zones: c.zones})
	},
	oncall.Source: func(ctx context.Context, st *store.Store, c pollCommon) (importers.Summary, error) {
		tok, err := oncall.ReadToken(c.tokenFile)
		if err != nil {
			return importers.Summary{}, err
		}
		return oncall.Import(ctx, st, oncall.Options{APIURL: c.apiURL, Token: tok, TokenFile: c.tokenFile,
			Since: c.since, Until: c.until, Mappings: c.dec.Mappings, Limits: c.dec.Limits, Zones: c.zones})
	},
	incidentio.Source: func(ctx context.Context, st *store.Store, c pollCommon) (importers.Summary, error) {
		tok, err := incidentio.ReadToken(c.tokenFile)
		if err != nil {
			return importers.Summary{}, err
		}
		return incidentio.Import(ctx, st, incidentio.Options{APIURL: c.apiURL, Token: tok, TokenFile: c.tokenFile,
			Since: c.since, Until: c.until, Mappings: c.dec.Mappings, Limits: c.dec.Limits, Zones: c.zones})
	},
}

// importSources are the configured import: sources as poller sources over
// serve's store. Each run reads the token again (it may be rotated), asks
// from `since` back from now, and resumes from the stored cursor.
func importSources(cfg config.Config, st *store.Store) ([]poller.Source, error) {
	var out []poller.Source
	zones, err := rosterZones(cfg)
	if err != nil {
		return nil, err
	}
	dec := cfg.DecodeOptions()
	for name, s := range cfg.Import.Sources() {
		run, ok := pollRuns[name]
		if !ok {
			return nil, config.Invalid(fmt.Errorf("import.%s: serve cannot poll this source", name))
		}
		s := s.WithDefaults()
		ago, err := importers.ParseAgo(s.Since)
		if err != nil {
			return nil, config.Invalid(fmt.Errorf("import.%s.since: %w", name, err))
		}
		out = append(out, poller.Source{Name: name, Every: time.Duration(s.Every),
			Run: func(ctx context.Context) (importers.Summary, error) {
				now := time.Now().UTC()
				return run(ctx, st, pollCommon{apiURL: s.APIURL, tokenFile: s.TokenFile, since: now.Add(-ago), until: now,
					teams: s.Teams, dec: dec, zones: zones})
			}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ImportOpsgenie runs one Opsgenie REST import (docs/import.md) into
// cfg.DB with analytics attached, mapped with cfg's mappings and limits as
// the live webhook is (Opsgenie names teams by id: team_map names them), so
// that history and webhooks join; the roster's time zones win over the
// users' Opsgenie ones, as for PagerDuty.
func ImportOpsgenie(ctx context.Context, cfg config.Config, o opsgenie.Options) (importers.Summary, error) {
	d := cfg.DecodeOptions()
	o.Mappings, o.Limits = d.Mappings, d.Limits
	if o.Zones == nil {
		zones, err := rosterZones(cfg)
		if err != nil {
			return importers.Summary{Source: opsgenie.Source}, err
		}
		o.Zones = zones
	}
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return importers.Summary{Source: opsgenie.Source}, err
	}
	defer st.Close()
	return opsgenie.Import(ctx, st, o)
}

// ImportIncidentIO runs one incident.io REST import (docs/import.md) into
// cfg.DB with analytics attached, mapped with cfg's mappings and limits as
// the live webhook is, so that history and webhooks join; incident.io users
// carry no time zone: the roster's zones are the first choice, a schedule's
// the second.
func ImportIncidentIO(ctx context.Context, cfg config.Config, o incidentio.Options) (importers.Summary, error) {
	d := cfg.DecodeOptions()
	o.Mappings, o.Limits = d.Mappings, d.Limits
	if o.Zones == nil {
		zones, err := rosterZones(cfg)
		if err != nil {
			return importers.Summary{Source: incidentio.Source}, err
		}
		o.Zones = zones
	}
	st, err := OpenStore(ctx, cfg.DB, store.Options{MemoryLimit: cfg.Store.MemoryLimit, Threads: cfg.Store.Threads})
	if err != nil {
		return importers.Summary{Source: incidentio.Source}, err
	}
	defer st.Close()
	return incidentio.Import(ctx, st, o)
}
