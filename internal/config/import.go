package config

import (
	"fmt"
	"time"

	"github.com/pagerlens/pagerlens/ingest/importers"
)

// Import is the import: section: the paging tools' APIs that serve polls,
// for teams that cannot expose a webhook endpoint (docs/import.md). Each
// source resumes from the cursor its importer keeps in the store.
type Import struct {
	PagerDuty *ImportSource `yaml:"pagerduty"`
	Opsgenie  *ImportSource `yaml:"opsgenie"`
	// OnCall is Grafana OnCall; api_url is required (the instance's URL).
	OnCall *ImportSource `yaml:"oncall"`
	// IncidentIO is incident.io (api_url defaults to https://api.incident.io).
	IncidentIO *ImportSource `yaml:"incidentio"`
}

// ImportSource is one polled API.
type ImportSource struct {
	// TokenFile holds the API token (read at each run, so it can rotate).
	TokenFile string `yaml:"token_file"`
	// APIURL is the API's base URL; "" is the vendor's default.
	APIURL string `yaml:"api_url"`
	// Every is the time between the end of a run and the next (default 1m).
	Every Duration `yaml:"every"`
	// Since is how far back the first run reaches, a duration back from
	// now such as 90d (default 90d); later runs resume from the cursor.
	Since string `yaml:"since"`
	// Teams restricts the import to these team ids (PagerDuty team_ids only;
	// refused for the other vendors, which import every team).
	Teams []string `yaml:"teams"`
}

// Default poll settings.
const (
	DefaultImportEvery = time.Minute
	DefaultImportSince = "90d"
)

// Sources lists the configured sources by name, in a fixed order.
func (i Import) Sources() map[string]*ImportSource {
	out := map[string]*ImportSource{}
	if i.PagerDuty != nil {
		out["pagerduty"] = i.PagerDuty
	}
	if i.Opsgenie != nil {
		out["opsgenie"] = i.Opsgenie
	}
	if i.OnCall != nil {
		out["oncall"] = i.OnCall
	}
	if i.IncidentIO != nil {
		out["incidentio"] = i.IncidentIO
	}
	return out
}

// WithDefaults is s with every unset value at its default.
func (s ImportSource) WithDefaults() ImportSource {
	if s.Every == 0 {
		s.Every = Duration(DefaultImportEvery)
	}
	if s.Since == "" {
		s.Since = DefaultImportSince
	}
	return s
}

func (i Import) problems() []Problem {
	var out []Problem
	for name, s := range i.Sources() {
		key := "import." + name
		d := s.WithDefaults()
		if d.TokenFile == "" {
			out = append(out, Problem{Key: key + ".token_file", Msg: "required: the file holding the API token"})
		}
		if name != "pagerduty" && len(d.Teams) > 0 {
			out = append(out, Problem{Key: key + ".teams", Msg: "only import.pagerduty takes a team filter; this source imports every team (docs/import.md)"})
		}
		if name == "oncall" && d.APIURL == "" {
			out = append(out, Problem{Key: key + ".api_url", Msg: "required: the OnCall instance's API URL (OnCall → Settings)"})
		}
		if time.Duration(d.Every) < 10*time.Second {
			out = append(out, Problem{Key: key + ".every", Msg: fmt.Sprintf("%s: want 10s or more (the vendors' rate limits are per minute)", time.Duration(d.Every))})
		}
		if ago, err := importers.ParseAgo(d.Since); err != nil || ago <= 0 {
			out = append(out, Problem{Key: key + ".since", Msg: fmt.Sprintf("%q: want a duration back from now such as 90d or 36h", d.Since)})
		}
	}
	return out
}
