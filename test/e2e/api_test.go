package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

// TestAskTheRunningServe: serve consumes from the broker while report
// fatigue, metrics, sql and export ask it over --url; ingestion goes on
// (the event count grows during the requests), and each answer equals the
// same command's with --db on a copy of the store once serve stopped.
//
// The stream in hand when serve starts covers 35 days up to asOf; what
// arrives during the requests is later than asOf, of other teams: every
// command asks as of asOf (--now), so the later events change none of the
// answers, live or after.
func TestAskTheRunningServe(t *testing.T) {
	const topic, parts = "events", 3
	asOf := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	now := asOf.Format(time.RFC3339)
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{topic}, Partitions: parts})
	before := synthMsgs(t, synth.Config{Seed: 7, Teams: 3, Days: 35, End: asOf}, "")
	later := synthMsgs(t, synth.Config{Seed: 8, Teams: 2, Start: asOf.Add(time.Hour), Days: 20}, "later-")
	produce(t, b, topic, parts, before)

	dir := t.TempDir()
	db := filepath.Join(dir, "p.duckdb")
	cfgFile := filepath.Join(dir, "serve.yml")
	if err := os.WriteFile(cfgFile, []byte("api:\n  sql: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := e2eutil.Start(t, "pagerlens", nil, "serve", "--config", cfgFile, "--brokers", b.Addr(), "--topics", topic,
		"--db", db, "--listen", "127.0.0.1:0", "--batch-size", "200", "--batch-wait", "50ms")
	addr := p.HTTPAddr()
	url := "http://" + addr
	// serve leaves its URL next to the store.
	e2eutil.WaitFor(t, "the serve file", 30*time.Second, func() bool {
		b, _ := os.ReadFile(db + ".serve")
		return strings.TrimSpace(string(b)) == url
	})
	countURL := func() int64 {
		out, code := cli(t, nil, "sql", "--url", url, "--format", "csv", "SELECT count(*) AS n FROM events")
		if code != 0 {
			t.Fatalf("sql --url: exit %d: %s", code, out)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(out, "n\n")), 10, 64)
		if err != nil {
			t.Fatalf("sql --url count: %q", out)
		}
		return n
	}
	e2eutil.WaitFor(t, "the first stream stored", 120*time.Second, func() bool { return countURL() == int64(len(before)) })

	// The file is held: --db says which --url to use instead.
	out, code := cli(t, nil, "report", "fatigue", "--db", db, "--out", "-")
	if code == 0 || !strings.Contains(out, "--url "+url) {
		t.Errorf("report --db on serve's store: exit %d, %q; want an error naming --url %s", code, out, url)
	}

	// Ingestion goes on while the commands ask.
	ctx, stopProducing := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cl, err := b.Client()
		if err != nil {
			t.Error(err)
			return
		}
		defer cl.Close()
		for i := 0; i < len(later) && ctx.Err() == nil; i += 100 {
			if err := kafkatest.ProduceWith(ctx, cl, parts, topic, later[i:min(i+100, len(later))]...); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	e2eutil.WaitFor(t, "later events stored", 60*time.Second, func() bool { return countURL() > int64(len(before)) })
	startCount := countURL()

	outDir := filepath.Join(dir, "live")
	sqlQuery := `SELECT team, type, count(*) AS n, min(time) AS first, max(time) AS last FROM events WHERE time <= TIMESTAMP '2026-03-09 00:00:00' GROUP BY ALL ORDER BY ALL`
	commands := [][]string{
		{"report", "fatigue", "--window", "30d", "--now", now, "--format", "md", "--out", "-"},
		{"report", "fatigue", "--window", "7d", "--now", now, "--format", "html", "--out", "-"},
		{"report", "fatigue", "--window", "30d", "--now", now, "--format", "json", "--team", "payments", "--out", "-"},
		{"metrics", "--now", now, "--format", "json"},
		{"metrics", "--now", now, "--window", "7d", "--format", "table"},
		{"metrics", "--now", now, "--format", "prometheus"},
		{"sql", "--format", "csv", sqlQuery},
		{"sql", "--format", "json", sqlQuery},
		{"sql", "--format", "table", sqlQuery},
		{"export", "--what", "incidents", "--format", "csv", "--window", "30d", "--now", now, "--dir", outDir},
		{"export", "--what", "oncall_load", "--format", "parquet", "--window", "30d", "--now", now, "--dir", outDir},
		{"export", "--what", "fatigue_report", "--format", "md", "--window", "7d", "--now", now, "--dir", outDir},
	}
	live := make([]string, len(commands))
	for i, c := range commands {
		out, code := cli(t, nil, append(c, "--url", url)...)
		if code != 0 {
			t.Fatalf("%v --url: exit %d: %s", c, code, out)
		}
		live[i] = out
	}
	// The cached snapshot answers too (no --now).
	if out, code := cli(t, nil, "metrics", "--url", url, "--format", "json"); code != 0 || !strings.Contains(out, `"windows": [`) {
		t.Errorf("metrics --url without --now: exit %d: %.300s", code, out)
	}
	endCount := countURL()
	stopProducing()
	wg.Wait()
	if endCount <= startCount {
		t.Errorf("the event count did not grow during the requests: %d, then %d", startCount, endCount)
	}
	t.Logf("events stored: %d before the later stream, %d when the requests started, %d after them", len(before), startCount, endCount)

	code, took := p.Signal(syscall.SIGTERM, 20*time.Second)
	if code != 0 {
		t.Fatalf("serve: exit %d", code)
	}
	t.Logf("serve stopped in %s", took.Round(time.Millisecond))
	if _, err := os.Stat(db + ".serve"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the serve file is still there after serve stopped (%v)", err)
	}

	// The same commands with --db on a copy of the stopped store.
	cp := filepath.Join(t.TempDir(), "copy.duckdb")
	copyFile(t, db, cp)
	if _, err := os.Stat(db + ".wal"); err == nil {
		copyFile(t, db+".wal", cp+".wal")
	}
	offDir := filepath.Join(dir, "offline")
	for i, c := range commands {
		args := append([]string(nil), c...)
		for j := range args {
			if args[j] == outDir {
				args[j] = offDir
			}
		}
		out, code := cli(t, nil, append(args, "--db", cp)...)
		if code != 0 {
			t.Fatalf("%v --db: exit %d: %s", args, code, out)
		}
		if strings.ReplaceAll(live[i], outDir, offDir) != out {
			t.Errorf("%v: --url and --db differ:\n--url: %.600s\n--db:  %.600s", c, live[i], out)
		}
	}
	// The exports' files are byte for byte the same.
	ents, err := os.ReadDir(outDir)
	if err != nil || len(ents) != 3 {
		t.Fatalf("live exports: %v %v", ents, err)
	}
	for _, e := range ents {
		a, _ := os.ReadFile(filepath.Join(outDir, e.Name()))
		b, err := os.ReadFile(filepath.Join(offDir, e.Name()))
		if err != nil || string(a) != string(b) || len(a) == 0 {
			t.Errorf("export %s: %d bytes over --url, %d with --db (%v)", e.Name(), len(a), len(b), err)
		}
	}
	// The answers are not empty: the comparison means something.
	for i, want := range map[int]string{0: "payments", 3: `"incidents": [`, 6: "incident.triggered"} {
		if !strings.Contains(live[i], want) {
			t.Errorf("%v: answer lacks %q: %.300s", commands[i], want, live[i])
		}
	}
	if regexp.MustCompile(`later-`).MatchString(live[6]) {
		t.Error("the SQL answer holds later events: the comparison would be racy")
	}
}

// synthMsgs is the synthetic stream of cfg, marshalled; prefix, if set,
// renames its teams, responders and schedules, so that a second stream's
// people are not the first's.
func synthMsgs(t *testing.T, cfg synth.Config, prefix string) []kafkatest.Message {
	t.Helper()
	var msgs []kafkatest.Message
	err := synth.Generate(cfg, func(e event.Event) error {
		if prefix != "" {
			for _, s := range []*string{&e.Data.Team, &e.Data.Responder, &e.Data.Schedule} {
				if *s != "" {
					*s = prefix + *s
				}
			}
		}
		b, err := event.Marshal(e)
		if err != nil {
			return err
		}
		msgs = append(msgs, kafkatest.Message{Value: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatalf("synth %+v gave no events", cfg)
	}
	return msgs
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(fmt.Errorf("copy %s: %w", from, err))
	}
}
