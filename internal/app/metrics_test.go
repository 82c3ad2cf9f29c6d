package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/webhook"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// TestFreshServeMetrics: a serve that has received nothing yet (a real
// broker with two empty topics, direct-mode webhooks, one export) exposes
// every pipeline family, each label value known in advance at 0: the
// pipeline dashboard shows 0 rather than "No data", and the first dead
// letter is counted by rate() from 0.
func TestFreshServeMetrics(t *testing.T) {
	broker := kafkatest.New(t, kafkatest.Options{Topics: []string{"events", "am"}, Partitions: 2})
	dir := t.TempDir()
	token := filepath.Join(dir, "am.token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "p.duckdb")
	cfg.Listen = "127.0.0.1:0"
	cfg.Kafka.Brokers = []string{broker.Addr()}
	cfg.Kafka.Topics = []ingest.Topic{{Name: "events"}, {Name: "am", Format: decode.Alertmanager}}
	cfg.Webhooks.Alertmanager = &webhook.Source{BearerTokenFile: token}
	cfg.Exports = []export.Job{{Name: "weekly", Schedule: "@weekly", What: export.MTTx, Format: "csv", Dir: filepath.Join(dir, "exports"),
		Deliver: []deliver.Target{{Webhook: &deliver.Webhook{URL: "https://hooks.example.com/reports"}}}}}

	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, cfg, &serveHooks{started: func(s served) { addr <- s.addr }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	var url string
	select {
	case a := <-addr:
		url = "http://" + a + "/metrics"
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30 s")
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	series := testkit.ParseSeries(t, string(body))
	fams := map[string]bool{}
	for s := range series {
		fams[s[:strings.Index(s, "{")]] = true
	}

	var want []string
	for _, topic := range []string{"events", "am", webhook.StoreTopic(webhook.Alertmanager)} {
		for _, o := range []string{mn.OutcomeStored, mn.OutcomeDuplicate, mn.OutcomeDeadLettered} {
			want = append(want, fmt.Sprintf("%s{outcome=%q,topic=%q}", mn.IngestMessagesTotal, o, topic))
		}
	}
	for _, r := range event.Reasons() {
		want = append(want, fmt.Sprintf("%s{reason=%q}", mn.IngestDeadLettersTotal, r))
	}
	for _, w := range decode.Warnings() {
		want = append(want, fmt.Sprintf("%s{reason=%q,source=%q}", mn.IngestDecodeWarningsTotal, w.What, w.Format))
	}
	want = append(want,
		mn.IngestBatchDurationSeconds+"{}",
		mn.WebhookRequestsTotal+`{code="200",source="alertmanager"}`,
		mn.WebhookRequestDurationSeconds+`{source="alertmanager"}`,
		mn.ExportRunsTotal+`{export="weekly",outcome="success"}`,
		mn.ExportRunsTotal+`{export="weekly",outcome="failure"}`,
		mn.ExportDeliveriesTotal+`{export="weekly",outcome="success",target="webhook"}`,
		mn.ExportDeliveriesTotal+`{export="weekly",outcome="failure",target="webhook"}`,
		mn.AnalyticsRefreshErrorsTotal+"{}",
	)
	for _, s := range want {
		v, ok := series[s]
		switch {
		case !ok:
			t.Errorf("fresh serve lacks %s", s)
		case v != 0:
			t.Errorf("%s = %v on a fresh serve, want 0", s, v)
		}
	}
	// Every pipeline family is there, but for those that cannot be 0
	// before their first event.
	noSeriesYet := map[string]string{
		mn.IngestConsumerLag:                 "per partition: known once the group has assigned them",
		mn.ExportLastSuccessTimestampSeconds: "0 would read as a success in 1970",
	}
	for _, f := range mn.All {
		pipeline := strings.HasPrefix(f.Name, "pagerlens_ingest_") || strings.HasPrefix(f.Name, "pagerlens_analytics_") ||
			strings.HasPrefix(f.Name, "pagerlens_export_") || strings.HasPrefix(f.Name, "pagerlens_webhook_")
		if !fams[f.Name] && pipeline && noSeriesYet[f.Name] == "" {
			t.Errorf("fresh serve does not expose %s", f.Name)
		}
	}
}
