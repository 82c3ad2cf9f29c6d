package webhook_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/webhook"
	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

type kafkaEnv struct {
	srv *httptest.Server
	h   *webhook.Handler
	cfg webhook.Config
}

func newKafka(t *testing.T, brokers string, mutate func(*webhook.Config)) *kafkaEnv {
	t.Helper()
	cfg := allSources(t, t.TempDir())
	cfg.Mode = webhook.ModeKafka
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := webhook.New(webhook.Options{Config: cfg, Brokers: []string{brokers},
		Now: func() time.Time { return testNow }, Timeout: 5 * time.Second, RetryAfter: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &kafkaEnv{srv: srv, h: h, cfg: cfg}
}

func topicsOf(cfg webhook.Config) []string {
	var ts []string
	for _, s := range webhook.Sources() {
		ts = append(ts, cfg.Topic(s))
	}
	return ts
}

// records reads every record of topics from the start until n have come.
func records(t *testing.T, b *kafkatest.Broker, n int, topics ...string) []*kgo.Record {
	t.Helper()
	cl, err := b.Client(kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d records on %v after 20 s, want %d", len(out), topics, n)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

func TestKafkaModeProducesRecords(t *testing.T) {
	topics := func(c *webhook.Config) { c.Topics = map[string]string{webhook.PagerDuty: "pd-webhooks"} }
	var probe webhook.Config
	topics(&probe)
	b := kafkatest.New(t, kafkatest.Options{Topics: topicsOf(probe), Partitions: 3})
	e := newKafka(t, b.Addr(), topics)

	wantKey := map[string]string{
		webhook.PagerDuty:    "Q2WXYZ",
		webhook.IncidentIO:   "01KB0R8X",
		webhook.Grafana:      `{}:{alertname="DiskFull"}`,
		webhook.Alertmanager: `{}/{team="payments"}:{alertname="HighErrorRate"}`,
		webhook.Opsgenie:     "5b1d0f3e-82bb-4d2f-9c1f-3e6a9b7d2c88",
		webhook.OnCall:       "IXQ4M2",
		webhook.Canonical:    "checkout-5xx",
	}
	for _, s := range samples(t) {
		t.Run(s.source, func(t *testing.T) {
			h := http.Header{}
			s.sign(h, s.body)
			a := post(t, e.srv.URL+"/webhooks/"+s.source, s.body, h)
			if a.code != http.StatusAccepted {
				t.Fatalf("answer %d %v, want 202", a.code, a.body)
			}
			topic := e.cfg.Topic(s.source)
			if s.source == webhook.PagerDuty && topic != "pd-webhooks" {
				t.Fatalf("pagerduty topic %s, want the configured pd-webhooks", topic)
			}
			rs := records(t, b, 1, topic)
			r := rs[0]
			if string(r.Value) != string(s.body) {
				t.Errorf("record value is not the raw body")
			}
			if string(r.Key) != wantKey[s.source] {
				t.Errorf("record key %q, want %q", r.Key, wantKey[s.source])
			}
			got := map[string]string{}
			for _, rh := range r.Headers {
				got[rh.Key] = string(rh.Value)
			}
			if got["content-type"] != "application/json" {
				t.Errorf("headers %v lack content-type", got)
			}
			if _, ok := got["authorization"]; ok {
				t.Errorf("the Authorization header (a credential) went to Kafka")
			}
			for k := range h {
				lk := http.CanonicalHeaderKey(k)
				if lk == "Authorization" {
					continue
				}
				if _, ok := got[lowerASCII(k)]; !ok {
					t.Errorf("header %s missing from the record (has %v)", k, got)
				}
			}
		})
	}
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// The broker goes away: the sender is told to retry (503 + Retry-After),
// and its retry lands once the broker is back. End to end, the consumer
// stores the webhook's event once although it was produced twice.
func TestKafkaUnavailableThenBack(t *testing.T) {
	dataDir := t.TempDir()
	topic := "pagerlens-pagerduty"
	b1, err := kafkatest.Start(kafkatest.Options{Topics: []string{topic}, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	_, portStr, _ := net.SplitHostPort(b1.Addr())
	port, _ := strconv.Atoi(portStr)
	e := newKafka(t, b1.Addr(), nil)

	pd := samples(t)[0]
	h := http.Header{}
	pd.sign(h, pd.body)
	url := e.srv.URL + "/webhooks/pagerduty"
	if a := post(t, url, pd.body, h); a.code != http.StatusAccepted {
		t.Fatalf("broker up: %d %v", a.code, a.body)
	}

	b1.Close()
	a := post(t, url, pd.body, h)
	if a.code != http.StatusServiceUnavailable {
		t.Fatalf("broker down: %d %v, want 503", a.code, a.body)
	}
	if got := a.header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After %q, want 7", got)
	}

	b2 := kafkatest.New(t, kafkatest.Options{Port: port, Topics: []string{topic}, DataDir: dataDir})
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := post(t, url, pd.body, h)
		if a.code == http.StatusAccepted {
			break
		}
		if a.code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after the broker is back: %d %v", a.code, a.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	recs := records(t, b2, 2, topic)
	if len(recs) < 2 {
		t.Fatalf("%d records, want the first delivery and the retry", len(recs))
	}

	st := testkit.OpenStore(t)
	stop := testkit.RunConsumer(t, consumerConfig(b2.Addr(), ingest.Topic{Name: topic, Format: "pagerduty"}), st)
	defer stop()
	waitStore(t, st, 1, 0)
}

// A body the decoder rejects is answered 400 in Kafka mode too, and still
// produced: the consumer dead-letters it with its raw bytes.
func TestKafkaRejectedBodyDeadLettered(t *testing.T) {
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{"pagerlens-canonical"}})
	e := newKafka(t, b.Addr(), nil)
	body := fixtures.Read(t, "bad/truncated.json")
	a := post(t, e.srv.URL+"/webhooks/canonical", body, http.Header{"Authorization": {"Bearer " + canonToken}})
	if a.code != http.StatusBadRequest || a.body["reason"] != "invalid_json" {
		t.Fatalf("answer %d %v, want 400 invalid_json", a.code, a.body)
	}
	st := testkit.OpenStore(t)
	stop := testkit.RunConsumer(t, consumerConfig(b.Addr(), ingest.Topic{Name: "pagerlens-canonical", Format: "canonical"}), st)
	defer stop()
	waitStore(t, st, 0, 1)
}

// consumerConfig reads the webhook topics back into a store: one group for
// the test, a short batch wait so that the test does not sit waiting.
func consumerConfig(broker string, topics ...ingest.Topic) ingest.Config {
	return ingest.Config{Brokers: []string{broker}, Topics: topics, Group: "webhook-test", BatchWait: 50 * time.Millisecond}
}

// waitStore is testkit.WaitCounts, then a moment's stay: a duplicate
// delivery would show up in it.
func waitStore(t *testing.T, st *store.Store, events, dead int64) {
	t.Helper()
	testkit.WaitCounts(t, st, events, dead)
	time.Sleep(300 * time.Millisecond)
	if c := counts(t, st); c.Events != events || c.DeadLetters != dead {
		t.Fatalf("store went on to %d events and %d dead letters, want %d and %d", c.Events, c.DeadLetters, events, dead)
	}
}
