package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImportSources: each vendor's import: key is a source serve polls, by
// the name its importer and metrics use; problems name the key.
func TestImportSources(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
		wantErr    string
	}{
		{name: "incidentio", yaml: "import:\n  incidentio: {token_file: /k, every: 5m}\n", want: []string{"incidentio"}},
		{name: "all four", yaml: "import:\n  pagerduty: {token_file: /a}\n  opsgenie: {token_file: /b}\n  oncall: {token_file: /c, api_url: https://oncall.example.com}\n  incidentio: {token_file: /d}\n",
			want: []string{"incidentio", "oncall", "opsgenie", "pagerduty"}},
		{name: "incidentio without a token file", yaml: "import:\n  incidentio: {every: 5m}\n", wantErr: "import.incidentio.token_file"},
		{name: "incidentio polled too often", yaml: "import:\n  incidentio: {token_file: /k, every: 1s}\n", wantErr: "import.incidentio.every"},
		// Only PagerDuty's API is filtered by team: a filter the others
		// would ignore is refused rather than silently importing every team.
		{name: "a team filter where there is none", yaml: "import:\n  opsgenie: {token_file: /k, teams: [a]}\n", wantErr: "import.opsgenie.teams"},
		{name: "misspelt", yaml: "import:\n  incident_io: {token_file: /k}\n", wantErr: "incident_io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if err == nil && tc.wantErr != "" {
				err = cfg.Validate("")
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v; want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for name := range cfg.Import.Sources() {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("sources %v, want %v", got, tc.want)
			}
		})
	}
}
