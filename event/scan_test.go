package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/synth"
)

// The tests of Decode's hand-written scanner (scan.go). Its contract: when
// it accepts a message, the event is exactly decodeStd's; when it does not,
// Decode goes on as if it did not exist. Both halves are checked on every
// document here, and the documents Decode is meant to be fast on must not
// silently fall back.

// canonicalDocs are the messages of the canonical fixtures, one per line.
func canonicalDocs(tb testing.TB) [][]byte {
	tb.Helper()
	entries, err := os.ReadDir(fixtures.Dir(tb, "canonical"))
	if err != nil {
		tb.Fatal(err)
	}
	var docs [][]byte
	for _, e := range entries {
		for line := range bytes.Lines(fixtures.Read(tb, "canonical/"+e.Name())) {
			if line = bytes.TrimSpace(line); len(line) > 0 {
				docs = append(docs, line)
			}
		}
	}
	if len(docs) == 0 {
		tb.Fatal("no canonical fixtures")
	}
	return docs
}

// synthDocs are the first n events of a synthetic stream shaped like the
// one `pagerlens bench --stages decode` decodes (internal/bench), marshaled.
func synthDocs(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var docs [][]byte
	stop := errors.New("enough")
	err := synth.Generate(synth.Config{Seed: 1, Teams: 100, RespondersPerTeam: 10, Days: 365}, func(e event.Event) error {
		b, err := event.Marshal(e)
		if err != nil {
			return err
		}
		if docs = append(docs, b); len(docs) == n {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		tb.Fatal(err)
	}
	return docs
}

// checkScan fails t unless Decode gives exactly what decodeStd gives, and,
// if the scanner accepts b, unless that event is decodeStd's too. It
// reports whether the scanner accepted b.
func checkScan(t *testing.T, b []byte, lim event.Limits) bool {
	t.Helper()
	want, werr := decodeMatchesStd(t, b, lim)
	e, ok := event.Scan(b, lim)
	if !ok {
		return false
	}
	if werr != nil {
		t.Fatalf("%q: scan accepts, std rejects: %v", b, werr)
	}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("%q:\nscan %+v\n std %+v", b, e, want)
	}
	return true
}

// TestScanAcceptsCanonical: the canonical fixtures, the benchmark's event
// and a synthetic stream must all take the scanner — a change that made
// them fall back to the slow paths would pass every other test.
func TestScanAcceptsCanonical(t *testing.T) {
	lim := event.DefaultLimits()
	docs := append(canonicalDocs(t), event.BenchMsg)
	docs = append(docs, synthDocs(t, 20000)...)
	for _, b := range docs {
		if !checkScan(t, b, lim) {
			t.Fatalf("scan gave up on a canonical document:\n%s", b)
		}
	}
}

const (
	// head is an envelope without id or data.
	head = `"specversion":"1.0","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z"`

	accept = true
	giveUp = false
)

// doc is a minimal valid document with data members d (without braces).
func doc(d string) string { return `{"id":"a",` + head + `,"data":{` + d + `}}` }

var scanCases = []struct {
	name string
	doc  string
	scan bool // whether the scanner must accept it
}{
	// Accepted: the subset, in every spelling JSON allows.
	{"minimal", doc(`"incident_id":"I"`), accept},
	{"members in any order", `{"data":{"incident_id":"I"},"time":"2026-03-02T00:00:00Z","type":"incident.triggered","source":"s","id":"a","specversion":"1.0"}`, accept},
	{"optional attributes", `{"id":"a",` + head + `,"subject":"x","dataschema":"https://x/y","datacontenttype":"application/json","data":{"incident_id":"I"}}`, accept},
	{"every data field", `{"specversion":"1.0","id":"a","source":"s","type":"incident.role_assigned","time":"2026-03-02T00:00:00.5+01:00","data":{` +
		`"incident_id":"I","alert_key":"k","alert_name":"n","title":"t","service":"svc","team":"tm","severity":"SEV1","urgency":"high",` +
		`"responder":"u","responder_tz":"Europe/Berlin","channel":"phone","schedule":"sch","detected_by":"alert","resolved_by":"human",` +
		`"role":"commander","audience":"public","action_id":"x","labels":{"a":"1","b":"2","":""},"started_at":"2026-03-01T23:00:00Z"}}`, accept},
	{"whitespace everywhere", " \t\r\n{ \"id\" : \"a\" ,\n\t\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"incident.triggered\",\"time\":\"2026-03-02T00:00:00Z\",\r\n\"data\" :\t{ \"incident_id\" : \"I\" , \"labels\" : { \"k\" : \"v\" } } } \n", accept},
	{"empty strings", doc(`"incident_id":"I","team":"","title":"","started_at":""`), accept},
	{"escapes", doc(`"incident_id":"I","title":"q\" b\\ s\/ \b\f\n\r\t \u00e9\u20AC \ud83d\ude00 \u003c\u0026","team":"p\u0061y"`), accept},
	{"lone high surrogate", doc(`"incident_id":"I","title":"a\ud800b"`), accept},
	{"lone low surrogate", doc(`"incident_id":"I","title":"a\udc00b"`), accept},
	{"high surrogate then not low", doc(`"incident_id":"I","title":"\ud800\u0041"`), accept},
	{"two high surrogates then low", doc(`"incident_id":"I","title":"\ud800\ud800\udc00"`), accept},
	{"surrogate at end", doc(`"incident_id":"I","title":"\ud83d"`), accept},
	{"escaped label key", doc(`"incident_id":"I","labels":{"\u0061b":"1","x\"y":"\ud83d\ude00"}`), accept},
	{"non-ASCII", doc(`"incident_id":"Ï","title":"🚨 Zahlungsausfall – café","labels":{"ключ":"значение"}`), accept},
	{"long values", doc(`"incident_id":"I","team":"` + strings.Repeat("t", 100) + `","labels":{"` + strings.Repeat("k", 70) + `":"` + strings.Repeat("v", 70) + `"}`), accept},
	{"many labels", doc(`"incident_id":"I","labels":{` + labels(20) + `}`), accept},
	{"fraction and offset", `{"id":"a","specversion":"1.0","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00.123456789123-07:30","data":{"incident_id":"I"}}`, accept},
	{"DEL and U+2028", doc("\"incident_id\":\"I\x7f\u2028\""), accept},

	// Given up: names not written exactly once as pagerlens writes them.
	{"upper-case envelope name", `{"ID":"a",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"case variant duplicate", `{"id":"a","Id":"b",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"duplicate id", `{"id":"a","id":"b",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"duplicate data", `{"id":"a",` + head + `,"data":{"incident_id":"I"},"data":{"incident_id":"J"}}`, giveUp},
	{"upper-case data name", doc(`"incident_id":"I","INCIDENT_ID":"J"`), giveUp},
	{"duplicate data member", doc(`"incident_id":"I","team":"a","team":"b"`), giveUp},
	{"duplicate labels", doc(`"incident_id":"I","labels":{"a":"1"},"labels":{"b":"2"}`), giveUp},
	{"escaped name", `{"\u0069d":"a",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"unknown envelope member", `{"id":"a",` + head + `,"extension":"x","data":{"incident_id":"I"}}`, giveUp},
	{"unknown data member", doc(`"incident_id":"I","foo":"x"`), giveUp},
	{"StartedAt Go name", doc(`"incident_id":"I","StartedAt":"x"`), giveUp},

	// Given up: values that are not strings.
	{"number id", `{"id":1,` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"number data member", doc(`"incident_id":7`), giveUp},
	{"number label", doc(`"incident_id":"I","labels":{"a":1}`), giveUp},
	{"null data", `{"id":"a",` + head + `,"data":null}`, giveUp},
	{"null data member", doc(`"incident_id":null,"alert_key":"k"`), giveUp},
	{"null labels", doc(`"incident_id":"I","labels":null`), giveUp},
	{"null subject", `{"id":"a",` + head + `,"subject":null,"data":{"incident_id":"I"}}`, giveUp},
	{"bool member", doc(`"incident_id":"I","team":true`), giveUp},
	{"string data", `{"id":"a",` + head + `,"data":"x"}`, giveUp},
	{"array data", `{"id":"a",` + head + `,"data":[]}`, giveUp},
	{"object in data", doc(`"incident_id":"I","team":{}`), giveUp},
	{"object label value", doc(`"incident_id":"I","labels":{"a":{}}`), giveUp},
	{"array labels", doc(`"incident_id":"I","labels":[]`), giveUp},
	{"empty labels", doc(`"incident_id":"I","labels":{}`), giveUp},
	{"duplicate label keys", doc(`"incident_id":"I","labels":{"k":"1","k":"2"}`), giveUp},
	{"duplicate label keys after unescaping", doc(`"incident_id":"I","labels":{"a":"1","\u0061":"2"}`), giveUp},
	{"too many labels", doc(`"incident_id":"I","labels":{` + labels(129) + `}`), giveUp},

	// Given up: not JSON, or not one object.
	{"trailing garbage", doc(`"incident_id":"I"`) + " trailing", giveUp},
	{"second object", doc(`"incident_id":"I"`) + "{}", giveUp},
	{"extra brace", doc(`"incident_id":"I"`) + "}", giveUp},
	{"BOM", "\xef\xbb\xbf" + doc(`"incident_id":"I"`), giveUp},
	{"raw tab in string", doc("\"incident_id\":\"I\",\"title\":\"a\tb\""), giveUp},
	{"raw newline in string", doc("\"incident_id\":\"I\",\"title\":\"a\nb\""), giveUp},
	{"raw NUL in string", doc("\"incident_id\":\"I\x00\""), giveUp},
	{"invalid escape", doc(`"incident_id":"I\x"`), giveUp},
	{"single-quote escape", doc(`"incident_id":"I\'"`), giveUp},
	{"short unicode escape", doc(`"incident_id":"I\u12"`), giveUp},
	{"non-hex unicode escape", doc(`"incident_id":"I\u12G4"`), giveUp},
	{"trailing comma", `{"id":"a",` + head + `,"data":{"incident_id":"I",}}`, giveUp},
	{"missing colon", `{"id" "a",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"missing comma", `{"id":"a"` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"single quotes", `{'id':'a',` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"truncated", doc(`"incident_id":"I"`)[:60], giveUp},
	{"truncated in string", `{"id":"a`, giveUp},
	{"empty object", `{}`, giveUp},
	{"array", `[` + doc(`"incident_id":"I"`) + `]`, giveUp},
	{"string", `"x"`, giveUp},

	// Given up: valid JSON that does not make a valid event.
	{"no specversion", `{"id":"a","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z","data":{"incident_id":"I"}}`, giveUp},
	{"specversion 0.3", `{"id":"a","specversion":"0.3","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z","data":{"incident_id":"I"}}`, giveUp},
	{"escaped specversion", `{"id":"a","specversion":"1\u002e0","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00Z","data":{"incident_id":"I"}}`, giveUp},
	{"unknown type", `{"id":"a","specversion":"1.0","source":"s","type":"incident.exploded","time":"2026-03-02T00:00:00Z","data":{"incident_id":"I"}}`, giveUp},
	{"no data", `{"id":"a",` + head + `}`, giveUp},
	{"missing incident_id", doc(`"team":"t"`), giveUp},
	{"empty time", `{"id":"a","specversion":"1.0","source":"s","type":"incident.triggered","time":"","data":{"incident_id":"I"}}`, giveUp},
	{"bad time", `{"id":"a","specversion":"1.0","source":"s","type":"incident.triggered","time":"2026-02-30T00:00:00Z","data":{"incident_id":"I"}}`, giveUp},
	{"time out of range", `{"id":"a","specversion":"1.0","source":"s","type":"incident.triggered","time":"1999-12-31T23:59:59Z","data":{"incident_id":"I"}}`, giveUp},
	{"escaped time", `{"id":"a","specversion":"1.0","source":"s","type":"incident.triggered","time":"2026-03-02T00:00:00\u005a","data":{"incident_id":"I"}}`, giveUp},
	{"bad started_at", doc(`"incident_id":"I","started_at":"soon"`), giveUp},
	{"escaped NUL in id", `{"id":"a\u0000",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"escaped NUL in label", doc(`"incident_id":"I","labels":{"k":"\u0000"}`), giveUp},
	{"string over the limit", doc(`"incident_id":"I","title":"` + strings.Repeat("x", 5000) + `"`), giveUp},
	{"id over the limit", `{"id":"` + strings.Repeat("x", 600) + `",` + head + `,"data":{"incident_id":"I"}}`, giveUp},
	{"bad resolved_by", doc(`"incident_id":"I","resolved_by":"robot"`), giveUp},
	{"bad responder_tz", doc(`"incident_id":"I","responder_tz":"Mars/Olympus"`), giveUp},
}

// labels returns n distinct label members.
func labels(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(sprintf(`"k%d":"v%d"`, i, i))
	}
	return b.String()
}

// TestScanMatchesStd: on each case Decode matches the encoding/json path,
// and the scanner accepts exactly the cases it must.
func TestScanMatchesStd(t *testing.T) {
	lim := event.DefaultLimits()
	for _, c := range scanCases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkScan(t, []byte(c.doc), lim); got != c.scan {
				t.Errorf("scan accepted %v, want %v:\n%s", got, c.scan, c.doc)
			}
		})
	}
}

// FuzzScanMatchesStd: on any input, an event the scanner accepts is
// decodeStd's, and Decode agrees with decodeStd on the event and the error.
func FuzzScanMatchesStd(f *testing.F) {
	for _, b := range canonicalDocs(f) {
		f.Add(b)
	}
	f.Add(event.BenchMsg)
	for _, c := range scanCases {
		f.Add([]byte(c.doc))
	}
	lim := event.DefaultLimits()
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b, lim)
	})
}

// TestDecodeConcurrent decodes a synthetic stream from several goroutines
// (Decode's use at ingest), so that `go test -race` covers the intern table.
func TestDecodeConcurrent(t *testing.T) {
	docs := synthDocs(t, 4000)
	lim := event.DefaultLimits()
	want := make([]event.Event, len(docs))
	for i, b := range docs {
		var err error
		if want[i], err = event.DecodeStd(b, lim); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range docs {
				i := (k*7 + g*1000) % len(docs)
				e, err := event.Decode(docs[i], lim)
				if err != nil || !reflect.DeepEqual(e, want[i]) {
					t.Errorf("%s:\n got %+v, %v\nwant %+v", docs[i], e, err, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestDecodeAllocs pins the allocation budget of the scanner on the
// benchmark's event: the one string of its unique values, and the labels
// map (its header and one group). Repeated strings come from the intern
// table.
func TestDecodeAllocs(t *testing.T) {
	lim := event.DefaultLimits()
	n := testing.AllocsPerRun(100, func() {
		if _, err := event.Decode(event.BenchMsg, lim); err != nil {
			t.Fatal(err)
		}
	})
	if n > 3 {
		t.Errorf("Decode: %v allocations per event, want at most 3", n)
	}
}

func TestInternConcurrent(t *testing.T) {
	vals := make([][]byte, 3*event.InternSlots) // more than fit: slots are replaced
	for i := range vals {
		vals[i] = []byte(sprintf("v-%d", i%(event.InternSlots+7)))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range vals {
				v := vals[(k+g*101)%len(vals)]
				if s := event.Intern(v); s != string(v) {
					t.Errorf("intern(%q) = %q", v, s)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestInternHitDoesNotAllocate(t *testing.T) {
	v := []byte("checkout-api")
	event.Intern(v)
	if n := testing.AllocsPerRun(100, func() { event.Intern(v) }); n != 0 {
		t.Errorf("intern of a held value: %v allocations, want 0", n)
	}
}

// TestAppendUnescapedMatchesStd compares the unescaper with encoding/json
// on escapes alone, surrogates in every arrangement included.
func TestAppendUnescapedMatchesStd(t *testing.T) {
	for _, s := range []string{
		``, `plain`, `\"\\\/\b\f\n\r\t`, `\u0000\u001f\u007f\u0080\u07ff\u0800\uffff`,
		`\ud83d\ude00`, `\uD83D\uDE00`, `\ud800`, `\udfff`, `\ud800x`, `\ud800\u0041`, `\ud800\ud800\udc00`,
		`\udc00\ud800`, `\ud800\\u0041`, `a\ud83db`, `\ud83d\ude00\ud83d`, `é\u00e9€`,
	} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := string(event.AppendUnescaped(nil, []byte(s))); got != want {
			t.Errorf("%s: got %q, want %q", s, got, want)
		}
	}
}

// TestParseRFC3339 checks the scanner's time parser against time.Parse,
// and that it takes the shapes it is meant for.
func TestParseRFC3339(t *testing.T) {
	for _, c := range []struct {
		s    string
		fast bool // parsed without time.Parse
	}{
		{"2026-03-02T00:00:00Z", true},
		{"2026-11-20T03:14:07Z", true},
		{"2024-02-29T23:59:59Z", true},
		{"2000-02-29T12:00:00Z", true},
		{"0000-01-01T00:00:00Z", true},
		{"0000-02-29T00:00:00Z", true},
		{"9999-12-31T23:59:59.999999999Z", true},
		{"2026-03-02T00:00:00.1Z", true},
		{"2026-03-02T00:00:00.123456789Z", true},
		{"2026-03-02T00:00:00.1234567891234Z", true},
		{"2026-03-02T00:00:00+01:00", true},
		{"2026-03-02T00:00:00-23:59", true},
		{"2026-03-02T00:00:00.5-00:00", true},
		{"1970-01-01T00:00:00Z", true},
		{"1969-12-31T23:59:59Z", true},
		{"2026-02-29T00:00:00Z", false},
		{"1900-02-29T00:00:00Z", false},
		{"2026-13-01T00:00:00Z", false},
		{"2026-00-01T00:00:00Z", false},
		{"2026-01-00T00:00:00Z", false},
		{"2026-04-31T00:00:00Z", false},
		{"2026-03-02T24:00:00Z", false},
		{"2026-03-02T00:60:00Z", false},
		{"2026-03-02T00:00:60Z", false},
		{"2026-03-02T00:00:00+24:00", false},
		{"2026-03-02T00:00:00+01:60", false},
		{"2026-03-02T00:00:00", false},
		{"2026-03-02T00:00:00.Z", false},
		{"2026-03-02T00:00:00,5Z", false},
		{"2026-03-02t00:00:00Z", false},
		{"2026-03-02T00:00:00z", false},
		{"2026-03-02 00:00:00Z", false},
		{"2026-3-02T00:00:00Z", false},
		{"+026-03-02T00:00:00Z", false},
		{"2026-03-02T00:00:00+0100", false},
		{"2026-03-02T00:00:00Z ", false},
		{"", false},
	} {
		fast, ok := event.ParseRFC3339([]byte(c.s))
		if ok != c.fast {
			t.Errorf("%q: fast path %v, want %v", c.s, ok, c.fast)
		}
		checkTime(t, c.s, fast, ok)
	}
}

// FuzzParseRFC3339: whatever the fast parser accepts, time.Parse accepts
// with the same result.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2026-03-02T00:00:00Z", "2026-03-02T00:00:00.123+01:00", "2024-02-29T23:59:59.9999999999-07:30", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := event.ParseRFC3339([]byte(s))
		checkTime(t, s, fast, ok)
	})
}

func checkTime(t *testing.T, s string, fast time.Time, ok bool) {
	t.Helper()
	if !ok {
		return
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%q: fast path gives %v, time.Parse: %v", s, fast, err)
	}
	if want = want.UTC(); !reflect.DeepEqual(fast, want) {
		t.Fatalf("%q: fast path %#v, time.Parse %#v", s, fast, want)
	}
}

// BenchmarkDecodeSynthetic is BenchmarkDecodeCanonical over a synthetic
// stream (what `pagerlens bench --stages decode` decodes): many distinct
// values, so the intern table's misses and the label maps are paid as in
// production. It reports events/s on one goroutine.
func BenchmarkDecodeSynthetic(b *testing.B) {
	docs := synthDocs(b, 20000)
	lim := event.DefaultLimits()
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size / len(docs)))
	i := 0
	for b.Loop() {
		if _, err := event.Decode(docs[i], lim); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(docs) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
