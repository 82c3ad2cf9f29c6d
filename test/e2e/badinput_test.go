package e2e

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

// canonical builds a canonical event document. id and time are pasted in
// as they are, unescaped, so that a test can put raw bytes (invalid UTF-8,
// NUL) into the JSON; data "" means a minimal valid data object.
func canonical(id, time, data string) string {
	if data == "" {
		data = `{"incident_id":"INC-1"}`
	}
	return `{"specversion":"1.0","id":"` + id + `","source":"e2e","type":"incident.triggered","time":"` + time + `","data":` + data + `}`
}

func labelsJSON(n int) string {
	var b strings.Builder
	b.WriteString(`{"incident_id":"INC-1","labels":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":"v"`, i)
	}
	b.WriteString(`}}`)
	return b.String()
}

// TestBadInput produces every kind of bad message to one partition, each
// followed by the next, and a good event last: each bad one is
// dead-lettered with its precise reason (or accepted when within the
// documented limits), and the partition keeps flowing.
func TestBadInput(t *testing.T) {
	const (
		topic = "bad"
		group = "pagerlens"
		ok    = "" // want: stored
	)
	type input struct {
		name   string
		value  []byte
		reason string // dead-letter reason, or ok
		detail string // a substring of the stored error naming the field and limit
	}
	var inputs []input
	// Every bad fixture.
	fixtureDir := filepath.Join(mustRoot(t), "testdata", "fixtures", "bad")
	fixtureReasons := map[string][2]string{
		"array.json":        {"not_an_object", "a JSON array"},
		"bad-time.json":     {"bad_time", `time: "yesterday at noon" is not an RFC 3339 time`},
		"empty.json":        {"empty", "empty message"},
		"missing-id.json":   {"missing_field", "id: required"},
		"not-utf8.json":     {"invalid_utf8", "not valid UTF-8"},
		"truncated.json":    {"invalid_json", "unexpected end of JSON input"},
		"unknown-type.json": {"unknown_type", `"incident.exploded" is not a canonical event type`},
		"wrong-type.json":   {"wrong_type", "data.incident_id: got a JSON number"},
	}
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		want, known := fixtureReasons[e.Name()]
		if !known {
			t.Errorf("bad fixture %s has no expected reason in this test: add it", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixtureDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{"fixture " + e.Name(), b, want[0], want[1]})
	}
	const goodTime = "2026-03-02T00:00:00Z"
	deep := `{"specversion":"1.0","id":"deep","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	huge := make([]byte, 10<<20) // 10 MiB: over the 1 MiB default limit, under the raised broker limit
	copy(huge, canonical("huge", goodTime, `{"incident_id":"INC-1","title":"`))
	for i := len(canonical("huge", goodTime, `{"incident_id":"INC-1","title":"`)); i < len(huge)-3; i++ {
		huge[i] = 'x'
	}
	copy(huge[len(huge)-3:], `"}}`)
	inputs = append(inputs, []input{
		{"10 MiB message", huge, "too_large", "10485760 bytes, limit 1048576"},
		{"JSON nested 20,000 deep", []byte(deep), "invalid_json", "exceeded max depth"},
		{"invalid UTF-8 inside a string", []byte(canonical("utf8-\xff\xfe", goodTime, "")), "invalid_utf8", "not valid UTF-8"},
		{"raw NUL byte in a string", []byte(canonical("nul-raw\x00", goodTime, "")), "invalid_json", `invalid character '\x00' in string literal`},
		{"escaped NUL in the id", []byte(strings.Replace(canonical("nul-esc", goodTime, ""), "nul-esc", `nul\u0000esc`, 1)), "bad_value", "id: contains a NUL byte"},
		{"escaped NUL in a label", []byte(canonical("nul-label", goodTime, `{"incident_id":"INC-1","labels":{"k":"a\u0000b"}}`)), "bad_value", "data.labels.k: contains a NUL byte"},
		{"time in 1970", []byte(canonical("epoch", "1970-01-01T00:00:00Z", "")), "bad_time", "time: 1970-01-01T00:00:00Z is outside the accepted range [2000-01-01, 2100-01-01)"},
		{"time in 2100", []byte(canonical("y2100", "2100-01-01T00:00:00Z", "")), "bad_time", "time: 2100-01-01T00:00:00Z is outside the accepted range"},
		{"last second of 2099 (in range)", []byte(canonical("y2099", "2099-12-31T23:59:59Z", "")), ok, ""},
		{"id of 100 KiB", []byte(canonical(strings.Repeat("i", 100<<10), goodTime, "")), "limit_exceeded", "id: 102400 bytes, limit 512"},
		{"id of 512 bytes (at the limit)", []byte(canonical(strings.Repeat("j", 512), goodTime, "")), ok, ""},
		{"10,000 labels", []byte(canonical("labels-10000", goodTime, labelsJSON(10000))), "limit_exceeded", "data.labels: 10000 labels, limit 128"},
		{"128 labels (at the limit)", []byte(canonical("labels-128", goodTime, labelsJSON(128))), ok, ""},
		{"string of 4097 bytes", []byte(canonical("long-title", goodTime, `{"incident_id":"INC-1","title":"`+strings.Repeat("t", 4097)+`"}`)), "limit_exceeded", "data.title: 4097 bytes, limit 4096"},
		{"good event after all of them", []byte(canonical("good-last", goodTime, "")), ok, ""},
	}...)

	b := kafkatest.New(t, kafkatest.Options{Topics: []string{topic}, Partitions: 1,
		Extra: []kfake.Opt{kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(16 << 20)})}})
	msgs := make([]kafkatest.Message, len(inputs))
	for i, in := range inputs {
		msgs[i] = kafkatest.Message{Value: in.value, Partitioned: true, Partition: 0}
	}
	// One record per request keeps the 10 MiB record in a batch of its own.
	produce(t, b, topic, 1, msgs, kgo.ProducerBatchMaxBytes(16<<20), kgo.MaxBufferedRecords(1))

	db := filepath.Join(t.TempDir(), "p.duckdb")
	p := e2eutil.Start(t, "pagerlens", nil, "serve", "--brokers", b.Addr(), "--topics", topic, "--group", group, "--db", db,
		"--listen", "127.0.0.1:0", "--batch-size", "4", "--batch-wait", "100ms")
	admin, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	e2eutil.WaitFor(t, "every message consumed", 90*time.Second, func() bool {
		return e2eutil.CommittedTotal(t, admin, group, topic, 1) == int64(len(inputs))
	})
	if code, _ := p.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit code %d", code)
	}
	e2eutil.QueryStore(t, db, func(s *store.Store) {
		for off, in := range inputs {
			t.Run(in.name, func(t *testing.T) {
				var reason, msg string
				var rawLen int
				err := s.DB().QueryRow(`SELECT reason, error, octet_length(raw) FROM dead_letters WHERE partition = 0 AND "offset" = ?`, off).Scan(&reason, &msg, &rawLen)
				stored := scalar[int64](t, s, `SELECT count(*) FROM events WHERE kafka_partition = 0 AND kafka_offset = ?`, off)
				if in.reason == ok {
					if !errors.Is(err, sql.ErrNoRows) || stored != 1 {
						t.Errorf("want stored; dead letter %q (%s), events at offset %d: %d", reason, msg, off, stored)
					}
					return
				}
				if err != nil {
					t.Fatalf("no dead letter at offset %d (events there: %d): %v", off, stored, err)
				}
				if reason != in.reason || !strings.Contains(msg, in.detail) {
					t.Errorf("dead letter %q: %q; want %q containing %q", reason, msg, in.reason, in.detail)
				}
				if rawLen != len(in.value) {
					t.Errorf("dead letter keeps %d raw bytes, the message had %d", rawLen, len(in.value))
				}
				t.Logf("%s: %s", reason, msg)
			})
		}
	})
}

func mustRoot(t *testing.T) string {
	t.Helper()
	root, err := e2eutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
