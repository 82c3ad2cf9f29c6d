package decode_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/internal/fixtures"
)

func readOptional(t testing.TB, rel string) ([]byte, error) {
	t.Helper()
	return os.ReadFile(filepath.Join(fixtures.Dir(t, ""), rel))
}

// fixtureFiles lists the payload fixtures of one format (not headers files).
func fixtureFiles(t testing.TB, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtures.Dir(t, dir), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".headers.json") {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// fuzzDecoder checks the decoder contract on any input: no panic; an error
// is an *event.Error; otherwise every event validates. It is seeded with the
// format's fixtures and the bad ones; the headers of the format's first
// fixture that has any are sent with every input.
func fuzzDecoder(f *testing.F, format string, seedDirs ...string) {
	d, err := decode.New(format, decode.DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	var headers []event.Header
	for _, dir := range seedDirs {
		for _, name := range fixtureFiles(f, dir) {
			m := message(f, dir+"/"+name)
			f.Add(m.Value)
			if headers == nil {
				headers = m.Headers
			}
		}
	}
	for _, name := range fixtureFiles(f, "bad") {
		f.Add(fixtures.Read(f, "bad/"+name))
	}
	lim := event.DefaultLimits()
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := d.Decode(decode.Message{Value: body, Headers: headers, Time: brokerTime})
		if err != nil {
			var e *event.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *event.Error", err, err)
			}
			if evs != nil {
				t.Fatalf("events with an error: %v", evs)
			}
			return
		}
		for i := range evs {
			if err := event.Validate(&evs[i], lim); err != nil {
				t.Fatalf("event %d does not validate: %v (%+v)", i, err, evs[i])
			}
		}
	})
}

func FuzzPagerDuty(f *testing.F)    { fuzzDecoder(f, decode.PagerDuty, "pagerduty") }
func FuzzAlertmanager(f *testing.F) { fuzzDecoder(f, decode.Alertmanager, "alertmanager") }
func FuzzGrafana(f *testing.F)      { fuzzDecoder(f, decode.Grafana, "grafana") }
func FuzzOpsgenie(f *testing.F)     { fuzzDecoder(f, decode.Opsgenie, "opsgenie") }
func FuzzOnCall(f *testing.F)       { fuzzDecoder(f, decode.OnCall, "oncall") }
func FuzzIncidentIO(f *testing.F)   { fuzzDecoder(f, decode.IncidentIO, "incidentio") }
func FuzzAuto(f *testing.F) {
	fuzzDecoder(f, decode.Auto, "pagerduty", "alertmanager", "grafana", "opsgenie", "oncall", "incidentio")
}
