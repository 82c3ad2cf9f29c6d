package decode

import (
	"encoding/json"
	"strings"

	"github.com/pagerlens/pagerlens/event"
)

func init() {
	Register(Auto, func(o Options) Decoder {
		a := auto{lim: o.Limits, decoders: map[string]Decoder{}}
		for _, f := range []string{Canonical, PagerDuty, Alertmanager, Grafana, Opsgenie, OnCall, IncidentIO} {
			d, err := New(f, o)
			if err != nil {
				// Every format above registers itself in this package's init;
				// a missing one is a build error, not an input error.
				panic("decode: auto: " + err.Error())
			}
			a.decoders[f] = d
		}
		return a
	})
}

// auto recognises the format of each message by the keys that only that
// format's body has (and, for binary-mode CloudEvents, the headers) and
// hands it to that format's decoder. A body that matches no format is
// dead-lettered as unknown_format: decoding it with a near miss would store
// wrong events, which is worse than storing none.
type auto struct {
	lim      event.Limits
	decoders map[string]Decoder
}

func (auto) Format() string { return Auto }

func (a auto) Decode(m Message) ([]event.Event, error) {
	f, err := Sniff(m, a.lim)
	if err != nil {
		return nil, err
	}
	return a.decoders[f].Decode(m)
}

// Sniff returns the format of a message, or an *event.Error: the input
// checks' reasons (empty, invalid_json, …) for what is not a JSON object,
// unknown_format for an object of no known shape.
func Sniff(m Message, lim event.Limits) (string, error) {
	if event.IsBinary(m.Headers) {
		return Canonical, nil
	}
	var top map[string]json.RawMessage
	if err := unmarshal(m.Value, &top, lim); err != nil {
		return "", withContext(err, "auto")
	}
	str := func(raw json.RawMessage) (string, bool) {
		var s string
		return s, raw != nil && json.Unmarshal(raw, &s) == nil
	}
	isObject := func(raw json.RawMessage) bool {
		s := strings.TrimLeft(string(raw), " \t\r\n")
		return strings.HasPrefix(s, "{")
	}
	keys := func(raw json.RawMessage) map[string]json.RawMessage {
		var k map[string]json.RawMessage
		_ = json.Unmarshal(raw, &k)
		return k
	}
	if _, ok := top["specversion"]; ok {
		return Canonical, nil
	}
	if et, ok := str(top["event_type"]); ok && (strings.HasPrefix(et, "public_incident.") || strings.HasPrefix(et, "private_incident.")) {
		return IncidentIO, nil
	}
	if ev := top["event"]; isObject(ev) {
		inner := keys(ev)
		if _, ok := inner["event_type"]; ok {
			if _, ok := inner["resource_type"]; ok {
				return PagerDuty, nil
			}
		}
		if _, ok := top["alert_group"]; ok {
			if _, ok := inner["type"]; ok {
				return OnCall, nil
			}
		}
	}
	if _, ok := top["alerts"]; ok {
		v, _ := str(top["version"])
		switch {
		case v == "4":
			return Alertmanager, nil
		case v == "1" && (top["orgId"] != nil || top["state"] != nil):
			return Grafana, nil
		}
	}
	if _, ok := str(top["action"]); ok && isObject(top["alert"]) {
		return Opsgenie, nil
	}
	return "", errf(event.ReasonUnknownFormat, "", "auto: the body matches no known format")
}
