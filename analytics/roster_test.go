package analytics

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRosterLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.yaml")
	src := `responders:
  - name: ana
    team: payments
    timezone: Europe/Berlin
  - name: bob
    team: payments
teams:
  - name: payments
    timezone: Europe/Berlin
  - name: owls
    timezone: UTC
    hours:
      business_start: 12
      sleep_start: 4
      sleep_end: 12
      working_days: [Sun, monday, TUE]
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRoster(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Roster{
		Responders: []RosterResponder{
			{Name: "ana", Team: "payments", Timezone: "Europe/Berlin"},
			{Name: "bob", Team: "payments"},
		},
		Teams: []RosterTeam{
			{Name: "payments", Timezone: "Europe/Berlin"},
			// business_end omitted → the default 18.
			{Name: "owls", Timezone: "UTC", Hours: &Hours{
				BusinessStart: 12, BusinessEnd: 18, SleepStart: 4, SleepEnd: 12,
				WorkingDays: []time.Weekday{time.Sunday, time.Monday, time.Tuesday},
			}},
		},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
}

// TestRosterErrors: each bad roster fails with a message that names the
// entry and the problem.
func TestRosterErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"not yaml", "responders: [", "parse"},
		{"unknown zone", "responders:\n  - name: ana\n    timezone: Europe/Berln\n", `responder "ana": timezone "Europe/Berln" is not an IANA time zone`},
		{"unknown team zone", "teams:\n  - name: pay\n    timezone: CEST\n", `team "pay": timezone "CEST"`},
		{"misspelt key", "responders:\n  - name: ana\n    time_zone: Europe/Berlin\n", "time_zone"},
		{"no name", "responders:\n  - team: payments\n", "responders[0]: name is empty"},
		{"duplicate", "responders:\n  - name: ana\n  - name: ana\n", `responder "ana": listed twice`},
		{"bad weekday", "teams:\n  - name: pay\n    hours:\n      working_days: [funday]\n", `"funday" is not a weekday`},
		{"bad hour", "teams:\n  - name: pay\n    hours:\n      sleep_start: 25\n", "sleep_start 25"},
		{"business backwards", "teams:\n  - name: pay\n    hours:\n      business_start: 19\n", "business_start 19 is after business_end 18"},
		{"local zone", "responders:\n  - name: ana\n    timezone: Local\n", "not an IANA time zone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRoster([]byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := LoadRoster(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "roster") {
		t.Errorf("missing file: %v", err)
	}
	if r, err := ParseRoster(nil); err != nil || len(r.Responders)+len(r.Teams) != 0 {
		t.Errorf("empty file: %+v, %v; want an empty roster", r, err)
	}
}
