package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/internal/fixtures"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

// brokerDownFor is how long the broker stays stopped: 30 s, longer than the
// consumer group's 10 s session timeout, so the member's session expires
// during the outage and it must rejoin the group when the broker returns.
const brokerDownFor = 30 * time.Second

// TestBrokerRestart stops the broker mid-stream and brings it back on the
// same port with the same data directory: pagerlens reports not ready,
// retries, and resumes with nothing lost.
func TestBrokerRestart(t *testing.T) {
	const (
		topic = "events"
		parts = 3
		group = "pagerlens"
	)
	n1, n2 := 20_000, 2_000
	port := testkit.FreePort(t)
	data := t.TempDir()
	opts := kafkatest.Options{Port: port, Topics: []string{topic}, Partitions: parts, DataDir: data}
	b, err := kafkatest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := synthEvents(t, n1+n2)
	produce(t, b, topic, parts, msgs[:n1])

	db := filepath.Join(t.TempDir(), "p.duckdb")
	p := e2eutil.Start(t, "pagerlens", nil, "serve", "--brokers", b.Addr(), "--topics", topic, "--group", group, "--db", db,
		"--listen", "127.0.0.1:0", "--batch-size", "500", "--batch-wait", "100ms")
	addr := p.HTTPAddr()
	admin, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	e2eutil.WaitFor(t, "a first committed batch", 60*time.Second, func() bool { return e2eutil.CommittedTotal(t, admin, group, topic, parts) > 0 })
	// Ready once the brokers answer and the first analytics snapshot is
	// done, which may be just after the first commit.
	e2eutil.WaitFor(t, "/readyz 200 while consuming", 30*time.Second, func() bool {
		return getStatus("http://"+addr+"/readyz") == 200
	})
	at := e2eutil.CommittedTotal(t, admin, group, topic, parts)
	admin.Close()

	b.Close()
	down := time.Now()
	t.Logf("broker stopped for %s after %d of %d events committed", brokerDownFor, at, n1)
	// Readiness is probed every 5 s: it must turn 503 within the outage.
	e2eutil.WaitFor(t, "/readyz 503 while the broker is down", brokerDownFor, func() bool {
		return getStatus("http://"+addr+"/readyz") == 503
	})
	notReadyAfter := time.Since(down)
	time.Sleep(time.Until(down.Add(brokerDownFor)))
	if s := getStatus("http://" + addr + "/healthz"); s != 200 {
		t.Errorf("/healthz while the broker is down: %d, want 200 (alive, only not ready)", s)
	}

	b, err = kafkatest.Start(opts)
	if err != nil {
		t.Fatalf("restart the broker on port %d: %v", port, err)
	}
	defer b.Close()
	// New messages after the restart: pagerlens must pick them up too.
	produce(t, b, topic, parts, msgs[n1:])
	admin, err = b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	e2eutil.WaitFor(t, "consumer-group lag 0 after the restart", 2*time.Minute, func() bool {
		return e2eutil.CommittedTotal(t, admin, group, topic, parts) == int64(n1+n2)
	})
	e2eutil.WaitFor(t, "/readyz 200 after the restart", 30*time.Second, func() bool {
		return getStatus("http://"+addr+"/readyz") == 200
	})
	resumed := time.Since(down)
	if code, _ := p.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit code %d", code)
	}
	log := p.Output()
	for _, want := range []string{"kafka brokers unreachable; not ready", "kafka brokers reachable again; ready"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if !strings.Contains(log, "retry_in=") && !strings.Contains(log, "kafka: ") {
		t.Error("log shows no retries while the broker was down")
	}
	t.Logf("not ready %s after the stop; caught up %s after the stop", notReadyAfter.Round(time.Millisecond), resumed.Round(time.Millisecond))
	e2eutil.QueryStore(t, db, func(s *store.Store) {
		total := scalar[int64](t, s, `SELECT count(*) FROM events`)
		distinct := scalar[int64](t, s, `SELECT count(DISTINCT id) FROM events`)
		if total != int64(n1+n2) || distinct != total {
			t.Errorf("store: %d rows, %d ids; want %d", total, distinct, n1+n2)
		}
	})
}

// TestTopicCreatedLater starts serve on a topic that does not exist yet:
// it waits, and consumes once the topic is created.
func TestTopicCreatedLater(t *testing.T) {
	const (
		topic = "late-topic"
		group = "pagerlens"
		n     = 500
	)
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{"other"}, Partitions: 2})
	db := filepath.Join(t.TempDir(), "p.duckdb")
	p := e2eutil.Start(t, "pagerlens", nil, "serve", "--brokers", b.Addr(), "--topics", topic, "--group", group, "--db", db,
		"--listen", "127.0.0.1:0", "--batch-wait", "100ms")
	addr := p.HTTPAddr()
	// It must notice the missing topic, say so, and keep waiting.
	p.WaitLog(`msg="waiting for kafka topics to be created" missing=\[`+topic+`\]`, 30*time.Second)
	time.Sleep(time.Second)
	select {
	case <-p.Done():
		t.Fatalf("serve exited on a missing topic: %v", p.Err())
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	msgs, _ := synthEvents(t, n)
	produce(t, b, topic, 2, msgs)
	admin, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	t0 := time.Now()
	e2eutil.WaitFor(t, "the late topic to be consumed", 90*time.Second, func() bool {
		return e2eutil.CommittedTotal(t, admin, group, topic, 2) == n
	})
	t.Logf("consumed %s after the topic was created", time.Since(t0).Round(time.Millisecond))
	if s := getStatus("http://" + addr + "/readyz"); s != 200 {
		t.Errorf("/readyz: %d", s)
	}
	if code, _ := p.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit code %d", code)
	}
	// kafka-go alone logs a rejoin for every generation while a topic is
	// missing, thousands a second; waiting for the topic keeps the log sane.
	if lines := strings.Count(p.Output(), "\n"); lines > 200 {
		t.Errorf("%d log lines for one missing topic", lines)
	}
	e2eutil.QueryStore(t, db, func(s *store.Store) {
		if got := scalar[int64](t, s, `SELECT count(DISTINCT id) FROM events`); got != n {
			t.Errorf("stored %d events, want %d", got, n)
		}
	})
}

// TestServeWhileBrokersDown starts serve with Kafka brokers that do not
// answer and direct-mode webhooks (issue 24: the port stayed closed while
// serve waited for Kafka, so probes failed and webhooks were refused).
// HTTP must be served from the start: /healthz 200, /readyz 503 naming
// Kafka, a webhook stored meanwhile; once a broker answers, ready.
func TestServeWhileBrokersDown(t *testing.T) {
	dir := t.TempDir()
	port := testkit.FreePort(t)
	token := filepath.Join(dir, "am.token")
	if err := os.WriteFile(token, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "serve.yml")
	if err := os.WriteFile(cfg, []byte("webhooks:\n  mode: direct\n  alertmanager: {bearer_token_file: "+token+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "p.duckdb")
	broker := fmt.Sprintf("127.0.0.1:%d", port)
	p := e2eutil.Start(t, "pagerlens", nil, "serve", "--config", cfg, "--brokers", broker, "--topics", "events", "--db", db, "--listen", "127.0.0.1:0")
	addr := p.HTTPAddr()
	if s := getStatus("http://" + addr + "/healthz"); s != 200 {
		t.Fatalf("/healthz while no broker answers: %d, want 200", s)
	}
	body, code := getBody("http://" + addr + "/readyz")
	if code != 503 || !strings.Contains(body, "kafka: brokers unreachable") {
		t.Fatalf("/readyz while no broker answers: %d %q, want 503 naming kafka", code, body)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/alertmanager", bytes.NewReader(fixtures.Read(t, "alertmanager/firing.json")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t0ken")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("webhook while no broker answers: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("webhook while no broker answers: %d, want 2xx (direct mode needs no Kafka)", resp.StatusCode)
	}
	// The broker comes up: serve joins and becomes ready.
	b, err := kafkatest.Start(kafkatest.Options{Port: port, Topics: []string{"events"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e2eutil.WaitFor(t, "/readyz 200 once the broker answers", 60*time.Second, func() bool {
		return getStatus("http://"+addr+"/readyz") == 200
	})
	if code, _ := p.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit code %d", code)
	}
	e2eutil.QueryStore(t, db, func(s *store.Store) {
		if n := scalar[int64](t, s, `SELECT count(*) FROM events WHERE source = 'alertmanager'`); n == 0 {
			t.Error("the webhook accepted while Kafka was down is not in the store")
		}
	})
}
