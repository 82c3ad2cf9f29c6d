package event

// Decoder comparison on one 400-byte canonical event (make bench): the
// canonical Decode, and bare unmarshals of the same flat struct by
// encoding/json, go-json-experiment and sonic; and Decode's fast path with
// sonic in place of go-json-experiment. Sonic is a test-only dependency.

import (
	"encoding/json"
	"testing"

	"github.com/bytedance/sonic"
	jsonv2 "github.com/go-json-experiment/json"
)

var benchMsg = []byte(`{"specversion":"1.0","id":"pd-Q1ZV4A7X2-ack-1","source":"pagerduty","type":"incident.acknowledged","time":"2026-11-20T03:14:07Z","data":{"incident_id":"Q1ZV4A7X2","alert_key":"checkout-5xx","service":"checkout-api","team":"payments","severity":"SEV2","urgency":"high","responder":"u-ana","responder_tz":"Europe/Berlin","channel":"phone","labels":{"region":"eu-west-1"}}}`)

type flatWire struct {
	SpecVersion string   `json:"specversion"`
	ID          string   `json:"id"`
	Source      string   `json:"source"`
	Type        string   `json:"type"`
	Time        string   `json:"time"`
	Data        wireData `json:"data"`
}

func BenchmarkDecodeCanonical(b *testing.B) {
	lim := DefaultLimits()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if _, err := Decode(benchMsg, lim); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkUnmarshalEncodingJSON(b *testing.B) {
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		var w flatWire
		if err := json.Unmarshal(benchMsg, &w); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkUnmarshalGoJSONExperiment(b *testing.B) {
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		var w flatWire
		if err := jsonv2.Unmarshal(benchMsg, &w); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkUnmarshalSonic(b *testing.B) {
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		var w flatWire
		if err := sonic.Unmarshal(benchMsg, &w); err != nil {
			b.Fatal(err)
		}
	}
}

var sonicStrict = sonic.Config{DisallowUnknownFields: true}.Froze()

// decodeSonic is decodeFast with sonic in place of go-json-experiment, for
// the comparison only.
func decodeSonic(b []byte, lim Limits) (Event, bool) {
	var w fastWire
	if err := sonicStrict.Unmarshal(b, &w); err != nil || w.SpecVersion != SpecVersion {
		return Event{}, false
	}
	e := Event{ID: w.ID, Source: w.Source, Type: Type(w.Type), Data: w.Data.Data}
	var err error
	if e.Time, err = parseTime("time", w.Time); err != nil {
		return Event{}, false
	}
	if Validate(&e, lim) != nil {
		return Event{}, false
	}
	return e, true
}

func BenchmarkDecodeSonicFastPath(b *testing.B) {
	lim := DefaultLimits()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if err := checkBody(benchMsg, lim); err != nil {
			b.Fatal(err)
		}
		if _, ok := decodeSonic(benchMsg, lim); !ok {
			b.Fatal("sonic path failed")
		}
	}
}
