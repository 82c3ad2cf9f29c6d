package bench

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/config"
	"github.com/pagerlens/pagerlens/internal/embedkafka"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
	"github.com/pagerlens/pagerlens/store"
)

// soak runs pagerlens serve (a child process, the default limits) under a
// steady stream for cfg.SoakDuration each way: Alertmanager webhooks in
// direct mode (two alerts a request, firing then resolved, as
// shared/tools/webhook-soak.py sends), then canonical events from the
// embedded broker. RSS is sampled every second: a figure that only shows a
// peak cannot tell a leak from a warm-up (issue 23: a burst of 20 s never
// showed serve's 2.7 MiB/s growth under a steady stream).
func (r *runner) soak() error {
	duck := store.DefaultOptions().MemoryLimit
	bound, err := limitsSum(duck, config.DefaultGoMemoryLimit)
	if err != nil {
		return err
	}
	if err := r.soakWebhooks(duck, bound); err != nil {
		return err
	}
	return r.soakKafka(duck, bound)
}

// soakRun is what one steady stream did to serve.
type soakRun struct {
	samples []rssSample
	duck    []rssSample // pagerlens_store_memory_bytes from /metrics
	took    time.Duration
	stored  int64 // events in the store after serve stopped
}

// levels summarises a run's RSS: the peak, the growth over the second half
// (the mean of its last tenth minus the mean of the tenth around its start,
// so that one sample's noise does not decide), and the least-squares slope
// over the second half.
func (s soakRun) levels() (peak, growth int64, slopeMiBPerMin float64) {
	var second []rssSample
	for _, x := range s.samples {
		peak = max(peak, x.rss)
		if x.at >= s.took/2 {
			second = append(second, x)
		}
	}
	if len(second) < 4 {
		return peak, 0, 0
	}
	k := max(1, len(second)/10)
	mean := func(xs []rssSample) float64 {
		var t float64
		for _, x := range xs {
			t += float64(x.rss)
		}
		return t / float64(len(xs))
	}
	growth = int64(mean(second[len(second)-k:]) - mean(second[:k]))
	var sx, sy, sxx, sxy float64
	for _, x := range second {
		t, y := x.at.Minutes(), float64(x.rss)/(1<<20)
		sx, sy, sxx, sxy = sx+t, sy+y, sxx+t*t, sxy+t*y
	}
	n := float64(len(second))
	if d := n*sxx - sx*sx; d != 0 {
		slopeMiBPerMin = (n*sxy - sx*sy) / d
	}
	return peak, growth, slopeMiBPerMin
}

func (r *runner) soakRow(what string, run soakRun, bound int64, extra string) {
	peak, growth, slope := run.levels()
	share := float64(growth) / float64(max(peak, 1))
	ok := peak <= bound && share < 0.05
	r.add(Row{Stage: "soak", What: what,
		Figure: fmt.Sprintf("peak %s; 2nd-half growth %s (%.1f%% of peak), slope %.2f MiB/min", fmtBytes(peak), fmtBytes(growth), 100*share, slope),
		Limit:  "memory_limit + Go limit " + fmtBytes(bound), Ratio: fmt.Sprintf("%.2f× (peak)", float64(peak)/float64(bound)),
		Target: "levels off (2nd-half growth < 5% of peak), peak ≤ the limits", Met: met(ok)})
	r.note("soak %s: RSS every 30 s: %s%s", strings.SplitN(what, ",", 2)[0], rssTimeline(run.samples, 30*time.Second), extra)
	if len(run.duck) > 0 {
		r.note("soak %s: DuckDB's own accounting (pagerlens_store_memory_bytes) every 30 s: %s", strings.SplitN(what, ",", 2)[0], rssTimeline(run.duck, 30*time.Second))
	}
}

// soakWebhooks: cfg.SoakRate Alertmanager requests a second.
func (r *runner) soakWebhooks(duck string, bound int64) error {
	dir := r.path("soak-webhooks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	token := "soak-token"
	if err := os.WriteFile(dir+"/am.token", []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	cfgFile := dir + "/serve.yml"
	if err := os.WriteFile(cfgFile, []byte("webhooks:\n  mode: direct\n  alertmanager: {bearer_token_file: "+dir+"/am.token}\n"), 0o600); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	db := dir + "/soak.duckdb"
	var sent atomic.Int64
	var lat []time.Duration
	var latMu sync.Mutex
	var failed atomic.Int64
	rate := r.cfg.SoakRate
	r.logf("soak: serve with webhooks at %d requests/s for %s", rate, r.cfg.SoakDuration)
	run, err := r.serveUnder(db, []string{"--config", cfgFile, "--listen", addr, "--memory-limit", duck}, "http://"+addr,
		func(ctx context.Context) {
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			paced(ctx, rate, 16, func(i int) {
				status := "firing"
				if i%2 == 1 {
					status = "resolved"
				}
				body := alertmanagerBody(i/2, status)
				// Not ctx: a request in flight when the soak ends is answered
				// (and stored), so it must be counted.
				req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, "http://"+addr+"/webhooks/alertmanager", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := client.Do(req)
				d := time.Since(start)
				if err != nil {
					failed.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					failed.Add(1)
					return
				}
				sent.Add(2)
				latMu.Lock()
				lat = append(lat, d)
				latMu.Unlock()
			})
		})
	if err != nil {
		return err
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	r.soakRow(fmt.Sprintf("serve, Alertmanager webhooks in direct mode, %d requests/s (2 alerts each) for %s, memory_limit %s + Go limit %s; %d events acknowledged by a 2xx, %d stored; latency p50 %s, p99 %s",
		rate, r.cfg.SoakDuration, duck, config.DefaultGoMemoryLimit, sent.Load(), run.stored, fmtDur(q(0.5)), fmtDur(q(0.99))), run, bound, "")
	if run.stored != sent.Load() || failed.Load() > 0 {
		return fmt.Errorf("soak webhooks: %d events acknowledged by a 2xx, %d stored, %d requests failed", sent.Load(), run.stored, failed.Load())
	}
	return nil
}

// soakKafka: cfg.SoakKafkaRate canonical events a second from the embedded
// broker.
func (r *runner) soakKafka(duck string, bound int64) error {
	dir := r.path("soak-kafka")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	br, err := embedkafka.Start(embedkafka.Options{Topics: []string{"events"}, Partitions: 4})
	if err != nil {
		return err
	}
	defer br.Close()
	// A live stream: synthetic events with their times moved to now, ids
	// the store has not seen.
	evs, err := firstEvents(synthConfig(3), max(1000, r.cfg.SoakKafkaRate*int(r.cfg.SoakDuration.Seconds())+r.cfg.SoakKafkaRate))
	if err != nil {
		return err
	}
	shift := time.Since(evs[0].Time)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	rate := r.cfg.SoakKafkaRate
	var produced atomic.Int64
	r.logf("soak: serve consuming %d events/s for %s", rate, r.cfg.SoakDuration)
	run, err := r.serveUnder(dir+"/soak.duckdb", []string{"--brokers", br.Addr(), "--topics", "events", "--listen", addr, "--memory-limit", duck}, "http://"+addr,
		func(ctx context.Context) {
			// Ten sends a second, rate/10 events each.
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			per := max(1, rate/10)
			for i := 0; i+per <= len(evs); i += per {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				msgs := make([]embedkafka.Message, 0, per)
				for _, e := range evs[i : i+per] {
					e.Time = e.Time.Add(shift)
					if e.Data.StartedAt != nil {
						t := e.Data.StartedAt.Add(shift)
						e.Data.StartedAt = &t
					}
					b, err := event.Marshal(e)
					if err != nil {
						continue
					}
					msgs = append(msgs, embedkafka.Message{Value: b})
				}
				if err := br.Produce(ctx, "events", msgs...); err == nil {
					produced.Add(int64(len(msgs)))
				}
			}
		})
	if err != nil {
		return err
	}
	// Events of one id may repeat in the synthetic stream's history (none
	// do in its first hours); dead letters would show as a shortfall.
	r.soakRow(fmt.Sprintf("serve, Kafka consumer, %d canonical events/s for %s, memory_limit %s + Go limit %s; %d events produced, %d stored",
		rate, r.cfg.SoakDuration, duck, config.DefaultGoMemoryLimit, produced.Load(), run.stored), run, bound, "")
	if run.stored != produced.Load() {
		return fmt.Errorf("soak kafka: %d events produced, %d stored", produced.Load(), run.stored)
	}
	return nil
}

// serveUnder starts pagerlens serve on db with args, waits for /healthz,
// runs load for cfg.SoakDuration while sampling serve's RSS every second,
// lets serve drain for a few seconds, stops it with SIGTERM and counts the
// events it stored.
func (r *runner) serveUnder(db string, args []string, base string, load func(ctx context.Context)) (soakRun, error) {
	var run soakRun
	cmd := exec.CommandContext(r.ctx, r.cfg.Exe, append([]string{"serve", "--db", db}, args...)...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("serve: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("serve did not stop within 60 s of SIGTERM")
		}
	}
	if err := waitHealthy(r.ctx, base+"/healthz", 30*time.Second); err != nil {
		stop()
		return run, fmt.Errorf("serve: %w: %s", err, lastLines(logs.String(), 5))
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.SoakDuration)
	defer cancel()
	loadDone := make(chan struct{})
	go func() { load(ctx); close(loadDone) }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
sample:
	for {
		select {
		case <-ctx.Done():
			break sample
		case err := <-done:
			return run, fmt.Errorf("serve exited during the soak: %v: %s", err, lastLines(logs.String(), 5))
		case <-tick.C:
			at := time.Since(start)
			if v := procStatus(status, "VmRSS:"); v > 0 {
				run.samples = append(run.samples, rssSample{at: at, rss: v})
			}
			if int(at.Seconds())%15 == 0 {
				if v, ok := scrapeGauge(base+"/metrics", mn.StoreMemoryBytes); ok {
					run.duck = append(run.duck, rssSample{at: at, rss: int64(v)})
				}
			}
		}
	}
	run.took = time.Since(start)
	<-loadDone
	time.Sleep(3 * time.Second) // the last micro-batches and Kafka fetches
	if err := stop(); err != nil {
		return run, fmt.Errorf("serve: %w: %s", err, lastLines(logs.String(), 5))
	}
	s, err := store.Open(r.ctx, db, store.Options{ReadOnly: true})
	if err != nil {
		return run, err
	}
	defer s.Close()
	if err := s.DB().QueryRowContext(r.ctx, `SELECT count(*) FROM events`).Scan(&run.stored); err != nil {
		return run, fmt.Errorf("count stored events: %w", err)
	}
	return run, nil
}

// paced calls f(0), f(1), … at rate calls a second from workers goroutines
// until ctx ends.
func paced(ctx context.Context, rate, workers int, f func(i int)) {
	jobs := make(chan int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f(i)
			}
		}()
	}
	interval := time.Second / time.Duration(max(1, rate))
	next := time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		next = next.Add(interval)
	}
	close(jobs)
	wg.Wait()
}

// alertmanagerBody is one Alertmanager webhook (version 4) of two alerts of
// group i, as webhook-soak.py sends them.
func alertmanagerBody(i int, status string) []byte {
	base := time.Date(2025, 11, 24, 0, 0, 0, 0, time.UTC)
	type alert struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     string            `json:"startsAt"`
		EndsAt       string            `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
		Fingerprint  string            `json:"fingerprint"`
	}
	var alerts []alert
	for j := 0; j < 2; j++ {
		fp := sha1.Sum([]byte(fmt.Sprintf("%d-%d", i, j)))
		a := alert{Status: status,
			Labels:      map[string]string{"alertname": fmt.Sprintf("Soak%d", i%50), "service": fmt.Sprintf("svc%d", i%20), "team": fmt.Sprintf("team%d", i%8), "severity": "warning", "instance": fmt.Sprintf("h%d-%d", i, j)},
			Annotations: map[string]string{"summary": "soak"}, StartsAt: base.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			EndsAt: "0001-01-01T00:00:00Z", GeneratorURL: "http://prometheus/graph", Fingerprint: hex.EncodeToString(fp[:8])}
		if status == "resolved" {
			a.EndsAt = base.Add(time.Duration(i)*time.Second + 2*time.Minute).Format(time.RFC3339)
		}
		alerts = append(alerts, a)
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "groupKey": fmt.Sprintf(`{}:{alertname="Soak%d"}`, i%50), "truncatedAlerts": 0,
		"status": status, "receiver": "pagerlens", "groupLabels": map[string]string{"alertname": fmt.Sprintf("Soak%d", i%50)},
		"commonLabels": map[string]string{}, "commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager", "alerts": alerts})
	return b
}

// scrapeGauge reads one unlabelled gauge from a /metrics page.
func scrapeGauge(url, name string) (float64, bool) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscanf(v, "%g", &f); err == nil {
				return f, true
			}
		}
	}
	return 0, false
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(ctx context.Context, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not healthy within %s", url, within)
}

func limitsSum(duck, goLimit string) (int64, error) {
	d, err := config.ParseBytes(duck)
	if err != nil {
		return 0, err
	}
	g, err := config.ParseBytes(goLimit)
	if err != nil {
		return 0, err
	}
	if d > math.MaxInt64-g {
		return 0, fmt.Errorf("limits %s + %s overflow", duck, goLimit)
	}
	return d + g, nil
}
