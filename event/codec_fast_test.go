package event_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/synth"
)

// TestDecodeFastPathMatchesStd: Decode (go-json-experiment fast path with an
// encoding/json fallback) must give exactly what the encoding/json path
// gives, events and errors alike, on the fixtures, a synthetic stream and
// documents that exercise the differences between the two libraries (case,
// duplicates, unknown members, nulls, escapes).
func TestDecodeFastPathMatchesStd(t *testing.T) {
	var docs [][]byte
	for _, dir := range []string{"canonical", "bad"} {
		entries, err := os.ReadDir(fixtures.Dir(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b := fixtures.Read(t, dir+"/"+e.Name())
			docs = append(docs, b)
			for line := range bytes.Lines(b) {
				docs = append(docs, bytes.TrimSpace(line))
			}
		}
	}
	stop := errors.New("enough")
	err := synth.Generate(synth.Config{Seed: 7, Teams: 5, Days: 30}, func(e event.Event) error {
		b, err := event.Marshal(e)
		if err != nil {
			return err
		}
		docs = append(docs, b)
		if len(docs) > 20000 {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		t.Fatal(err)
	}
	const h = `"specversion":"1.0","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z"`
	for _, s := range []string{
		`{"ID":"upper",` + h + `,"data":{"incident_id":"I"}}`,
		`{"id":"a","Id":"b",` + h + `,"data":{"incident_id":"I"}}`,
		`{"id":"a","id":"b",` + h + `,"data":{"incident_id":"I"}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I","INCIDENT_ID":"J"}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I","labels":{"k":"1","k":"2"}}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I","labels":{}}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I","labels":null}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":null,"team":"t"}}`,
		`{"id":"a",` + h + `,"data":null}`,
		`{"id":"a",` + h + `,"data":"x"}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I\u00e9\ud83d\ude00"}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I","started_at":"2026-03-01T23:00:00+01:00"}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I","started_at":"soon"}}`,
		`{"id":"a",` + h + `,"extension":"x","data":{"incident_id":"I"}}`,
		`{"id":"a",` + h + `,"subject":"x","dataschema":"y","datacontenttype":"application/json","data":{"incident_id":"I"}}`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I"}} trailing`,
		`{"id":"a",` + h + `,"data":{"incident_id":"I"}}{}`,
		`{"id":1,` + h + `}`,
		`{"id":"a",` + h + `,"data":{"incident_id":7}}`,
		`{"id":"a",` + h + `,"data":{"labels":{"a":1},"incident_id":"I"}}`,
		`{"id":"a","specversion":"0.3","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z"}`,
	} {
		docs = append(docs, []byte(s))
	}
	lim := event.DefaultLimits()
	for _, d := range docs {
		decodeMatchesStd(t, d, lim)
	}
}

// FuzzDecodeFastMatchesStd: on any input, Decode and its encoding/json path
// agree on the event and on the error.
func FuzzDecodeFastMatchesStd(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"a","source":"s","type":"page.notified","time":"2026-03-02T00:00:00Z","data":{"responder":"u","alert_key":"k","responder_tz":"Europe/Berlin","labels":{"k":"v"}}}`))
	f.Add([]byte(`{"specversion":"1.0","ID":"a","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z","data":{"incident_id":"I","started_at":"2026-03-01T23:00:00Z"}}`))
	lim := event.DefaultLimits()
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gerr := event.Decode(b, lim)
		want, werr := event.DecodeStd(b, lim)
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("%q:\nDecode error %v\n   std error %v", b, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nDecode %+v\n   std %+v", b, got, want)
		}
	})
}
