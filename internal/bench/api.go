package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pagerlens/pagerlens/internal/embedkafka"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// APIClients is how many clients ask for reports at once in the api stage
// (issue 22: 50 concurrent report requests while ingesting).
const APIClients = 50

// apiPhase is what one phase of the api stage measured.
type apiPhase struct {
	name           string
	took           time.Duration
	ingested       int64           // events stored or found duplicate
	scrapes        []time.Duration // /metrics latencies
	reports        []time.Duration // 200 answers' latencies
	busy, failed   int64           // 503 answers; other failures
	scrapeFailures int
	// refreshAge is how long before the phase's end the last analytics
	// refresh succeeded (pagerlens_analytics_last_refresh_timestamp_seconds).
	refreshAge time.Duration
	total      float64 // ingested since serve started, at the phase's end
	lag        int64   // produced − ingested at the phase's end
}

// api runs serve on a copy of the analytics stage's smaller store while it
// consumes Kafka, a stream of cfg.APIRate events a second (or, with 0, a
// backlog of cfg.Events to consume as fast as it can), and measures
// /metrics latency (scraped every 100 ms, gzip, as Prometheus asks) and
// the ingestion rate three times: idle, with APIClients clients asking GET
// /report/fatigue in a loop (a 503 is retried after 100 ms), and idle
// again. Serve's API runs at its default bounds (api.max_concurrent 4).
func (r *runner) api() error {
	ctx := r.ctx
	n := slices.Min(r.cfg.SnapshotEvents)
	src, _, err := r.snapshotStore(n)
	if err != nil {
		return err
	}
	db := r.path("api.duckdb")
	if err := copyFile(src, db); err != nil {
		return err
	}
	defer os.Remove(db)
	var last time.Time
	if err := func() error {
		s, err := store.Open(ctx, db, store.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer s.Close()
		return s.DB().QueryRowContext(ctx, `SELECT max(time) FROM events`).Scan(&last)
	}(); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	phase := max(10*time.Second, r.cfg.SoakDuration/6)
	// Seed 2 a year later, as the consume stage produces: a backlog, or
	// enough for the three phases at APIRate.
	backlog := r.cfg.Events
	if r.cfg.APIRate > 0 {
		backlog = r.cfg.APIRate * int(4*phase/time.Second)
	}
	evs, err := firstEvents(synthConfig(2), backlog)
	if err != nil {
		return err
	}
	for i := range evs {
		evs[i].Time = evs[i].Time.AddDate(1, 0, 0)
		if sa := evs[i].Data.StartedAt; sa != nil {
			t := sa.AddDate(1, 0, 0)
			evs[i].Data.StartedAt = &t
		}
	}
	msgs, err := messages(evs)
	if err != nil {
		return err
	}
	evs = nil
	br, err := embedkafka.Start(embedkafka.Options{Topics: []string{"events"}, Partitions: 4})
	if err != nil {
		return err
	}
	defer br.Close()
	kms := make([]embedkafka.Message, len(msgs))
	for i, v := range msgs {
		kms[i] = embedkafka.Message{Value: v}
	}
	msgs = nil
	var produced atomic.Int64
	if r.cfg.APIRate == 0 {
		r.logf("api: producing a backlog of %d events", len(kms))
		for i := 0; i < len(kms); i += 20000 {
			if err := br.Produce(ctx, "events", kms[i:min(i+20000, len(kms))]...); err != nil {
				return fmt.Errorf("api: produce: %w", err)
			}
		}
		produced.Store(int64(len(kms)))
		kms = nil
	} else {
		// Ten sends a second, APIRate/10 events each, until the end.
		pctx, stopProducing := context.WithCancel(ctx)
		defer stopProducing()
		go func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			per := max(1, r.cfg.APIRate/10)
			for i := 0; i+per <= len(kms); i += per {
				select {
				case <-pctx.Done():
					return
				case <-tick.C:
				}
				if err := br.Produce(pctx, "events", kms[i:i+per]...); err == nil {
					produced.Add(int64(per))
				}
			}
		}()
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	base := "http://" + addr
	cmd := exec.CommandContext(ctx, r.cfg.Exe, "serve", "--db", db, "--brokers", br.Addr(), "--topics", "events",
		"--listen", addr, "--batch-size", "5000")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("api: serve: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	if err := waitHealthy(ctx, base+"/healthz", 30*time.Second); err != nil {
		return fmt.Errorf("api: serve: %w: %s", err, lastLines(logs.String(), 5))
	}
	// Consuming has begun once the first batch is counted.
	for deadline := time.Now().Add(90 * time.Second); ; {
		if v, _, _ := ingestedTotal(base); v > 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("api: serve stored nothing in 90 s: %s", lastLines(logs.String(), 5))
		}
		time.Sleep(200 * time.Millisecond)
	}
	reportURL := base + "/report/fatigue?window=30d&now=" + last.UTC().Format(time.RFC3339)
	var phases []apiPhase
	for _, p := range []struct {
		name    string
		clients int
	}{{"idle", 0}, {fmt.Sprintf("%d clients asking for reports", APIClients), APIClients}, {"idle again", 0}} {
		r.logf("api: %s for %s", p.name, phase)
		ph, err := apiRun(ctx, base, reportURL, p.clients, phase)
		if err != nil {
			return fmt.Errorf("api: %s: %w: %s", p.name, err, lastLines(logs.String(), 5))
		}
		ph.name = p.name
		ph.lag = produced.Load() - int64(ph.total)
		phases = append(phases, ph)
		select {
		case err := <-done:
			return fmt.Errorf("api: serve exited: %v: %s", err, lastLines(logs.String(), 5))
		default:
		}
	}
	if last := phases[len(phases)-1]; r.cfg.APIRate == 0 && last.total >= float64(backlog) {
		r.note("api: the %d-event backlog ran out during the phases: the later phases' ingestion rates are bounded by it; give a larger --events", backlog)
	}
	stream := fmt.Sprintf("a stream of %d events/s", r.cfg.APIRate)
	if r.cfg.APIRate == 0 {
		stream = fmt.Sprintf("a backlog of %d events", backlog)
	}
	for _, ph := range phases {
		what := fmt.Sprintf("serve consuming %s from Kafka into a %d-event store, %s (%s)", stream, n, ph.name, fmtDur(ph.took))
		extra := ""
		if len(ph.reports) > 0 || ph.busy > 0 {
			extra = fmt.Sprintf("; reports: %d answered, p50 %s, p99 %s; %d answered 503 (api.max_concurrent 4), %d failed",
				len(ph.reports), fmtDur(pct(ph.reports, 50)), fmtDur(pct(ph.reports, 99)), ph.busy, ph.failed)
		}
		r.add(Row{Stage: "api", What: what,
			Figure: fmt.Sprintf("/metrics p50 %s, p99 %s (%d scrapes, %d failed); ingestion %s, %d behind at the end", fmtDur(pct(ph.scrapes, 50)), fmtDur(pct(ph.scrapes, 99)), len(ph.scrapes), ph.scrapeFailures, fmtRate(rate(int(ph.ingested), ph.took)), max(ph.lag, 0)),
			Note:   fmt.Sprintf("last analytics refresh %s before the phase ended%s", fmtDur(ph.refreshAge.Round(time.Millisecond)), extra)})
	}
	return nil
}

// apiRun is one phase: scrapes every 100 ms, clients report loops.
func apiRun(ctx context.Context, base, reportURL string, clients int, d time.Duration) (apiPhase, error) {
	var ph apiPhase
	start0, _, err := ingestedTotal(base)
	if err != nil {
		return ph, err
	}
	pctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: clients + 2}}
	var mu sync.Mutex
	var busy, failed atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil {
				req, _ := http.NewRequestWithContext(pctx, http.MethodGet, reportURL, nil)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					if pctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					mu.Lock()
					ph.reports = append(ph.reports, time.Since(t0))
					mu.Unlock()
				case http.StatusServiceUnavailable:
					busy.Add(1)
					select {
					case <-pctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				default:
					failed.Add(1)
				}
			}
		}()
	}
	t0 := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
scrape:
	for {
		select {
		case <-pctx.Done():
			break scrape
		case <-tick.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		s0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			ph.scrapeFailures++
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			ph.scrapeFailures++
			continue
		}
		ph.scrapes = append(ph.scrapes, time.Since(s0))
	}
	ph.took = time.Since(t0)
	wg.Wait()
	end, refreshed, err := ingestedTotal(base)
	if err != nil {
		return ph, err
	}
	ph.ingested = int64(end - start0)
	ph.total = end
	ph.busy, ph.failed = busy.Load(), failed.Load()
	ph.refreshAge = time.Since(time.Unix(0, int64(refreshed*1e9)))
	return ph, nil
}

// ingestedTotal sums pagerlens_ingest_messages_total over its topics and
// outcomes (stored, duplicate, dead-lettered): what the consumer got
// through; refreshed is the last analytics refresh's Unix time.
func ingestedTotal(base string) (sum, refreshed float64, err error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, mn.AnalyticsLastRefreshTimestampSeconds+" "); ok {
			refreshed, _ = strconv.ParseFloat(v, 64)
			continue
		}
		if !strings.HasPrefix(line, mn.IngestMessagesTotal+"{") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				sum += v
			}
		}
	}
	return sum, refreshed, sc.Err()
}

// pct is the p-th percentile of ds (0 when empty).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}
