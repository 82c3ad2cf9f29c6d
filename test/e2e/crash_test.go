package e2e

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

// TestCrashRecovery stops pagerlens serve mid-stream once gracefully and
// three times with kill -9, restarting it each time, and checks that every
// produced event ends up stored exactly once.
func TestCrashRecovery(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	const (
		topic = "events"
		parts = 6
		group = "pagerlens"
		kills = 3
	)
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{topic}, Partitions: parts})
	msgs, ids := synthEvents(t, n)
	t0 := time.Now()
	produce(t, b, topic, parts, msgs)
	msgs = nil
	t.Logf("produced %d events in %s", n, time.Since(t0).Round(time.Millisecond))
	admin, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	progress := func() int64 { return e2eutil.CommittedTotal(t, admin, group, topic, parts) }

	db := filepath.Join(t.TempDir(), "p.duckdb")
	// Small batches make many commit points, so a random kill lands between
	// a DuckDB commit and its offset commit often enough to matter.
	base := []string{"serve", "--brokers", b.Addr(), "--topics", topic, "--group", group, "--db", db,
		"--listen", "127.0.0.1:0", "--batch-wait", "100ms"}
	args := append(slices.Clone(base), "--batch-size", "1000")
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	// Each stop lands within the first part of the stream that one run
	// would consume, scaled with n, so that every stop hits mid-stream:
	// at ~60-100k events/s, four runs of at most 600 ms leave part of 200k
	// events for the final run.
	window := time.Duration(float64(600*time.Millisecond) * float64(n) / 200_000)
	pause := func() time.Duration { return window/4 + time.Duration(rng.Int64N(int64(window*3/4))) }

	// 1. SIGTERM mid-stream on a fresh store: exit 0 within 10 s, and the
	// batch in hand both stored and committed, so the committed offsets
	// match the store exactly.
	p := e2eutil.Start(t, "pagerlens", nil, args...)
	e2eutil.WaitFor(t, "a first committed batch", 60*time.Second, func() bool { return progress() > 0 })
	time.Sleep(pause())
	code, took := p.Signal(syscall.SIGTERM, 10*time.Second)
	if code != 0 {
		t.Fatalf("SIGTERM: exit code %d, want 0", code)
	}
	if !strings.Contains(p.Output(), "stopped cleanly") {
		t.Error("SIGTERM: no 'stopped cleanly' in the log")
	}
	done := progress()
	t.Logf("SIGTERM after %d of %d events committed; exited 0 in %s", done, n, took.Round(time.Millisecond))
	if done >= int64(n) {
		t.Logf("the whole stream was consumed before SIGTERM; the batch-in-hand check below is weaker")
	}
	adm := admin
	e2eutil.QueryStore(t, db, func(s *store.Store) {
		offs, err := e2eutil.Committed(t.Context(), adm, group, topic, parts)
		if err != nil {
			t.Fatal(err)
		}
		for part, off := range offs {
			got := scalar[int64](t, s, `SELECT count(*) FROM events WHERE kafka_partition = ?`, part)
			if want := max(off, 0); got != want {
				t.Errorf("after SIGTERM, partition %d: %d events stored, committed offset %d: the batch in hand was not both stored and committed", part, got, off)
			}
		}
	})

	// 2. kill -9 at random points while it consumes, restarting each time.
	for i := range kills {
		before := progress()
		if before >= int64(n) {
			// Nothing left to consume: a further run could never commit a
			// batch, and a kill would land on an idle process.
			t.Logf("the stream was consumed after %d kill(s); skipping the rest", i)
			break
		}
		p := e2eutil.Start(t, "pagerlens", nil, args...)
		// A killed member stays in the group until its session times out
		// (10 s), so the restarted one may wait that long before it consumes.
		e2eutil.WaitFor(t, fmt.Sprintf("run %d to commit a batch", i+2), 90*time.Second, func() bool { return progress() > before })
		time.Sleep(pause())
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		at := progress()
		t.Logf("kill -9 #%d after %d of %d events committed", i+1, at, n)
		if at >= int64(n) {
			t.Logf("kill -9 #%d landed after the stream was consumed", i+1)
		}
	}

	// 3. Restart and let it finish: the group's lag reaches 0 (committed ==
	// produced, and offsets are committed only after the DuckDB commit).
	var storedBefore int64
	e2eutil.QueryStore(t, db, func(s *store.Store) { storedBefore = scalar[int64](t, s, `SELECT count(*) FROM events`) })
	// The last run uses serve's default batch size: it has no kill to
	// survive, only the rest of the stream to get through quickly.
	p = e2eutil.Start(t, "pagerlens", nil, base...)
	addr := p.HTTPAddr()
	e2eutil.WaitFor(t, "consumer-group lag 0", 3*time.Minute, func() bool { return progress() == int64(n) })
	checkExportedCounters(t, addr, topic, int64(n)-storedBefore)
	if code, took := p.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("final SIGTERM: exit code %d after %s", code, took)
	}

	e2eutil.QueryStore(t, db, func(s *store.Store) {
		total := scalar[int64](t, s, `SELECT count(*) FROM events`)
		distinct := scalar[int64](t, s, `SELECT count(DISTINCT id) FROM events`)
		dead := scalar[int64](t, s, `SELECT count(*) FROM dead_letters`)
		if total != int64(n) || distinct != int64(n) || dead != 0 {
			t.Fatalf("store: %d rows, %d distinct ids, %d dead letters; want %d, %d, 0", total, distinct, n, n, dead)
		}
		rows, err := s.DB().Query(`SELECT id FROM events`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if !ids[id] {
				t.Fatalf("stored id %q was never produced", id)
			}
			seen++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if seen != n {
			t.Fatalf("read %d ids, want %d", seen, n)
		}
	})
}

var metricLine = regexp.MustCompile(`^pagerlens_ingest_messages_total\{([^}]*)\} (\S+)$`)

// checkExportedCounters compares the ingest counters of the last run with
// what the store gained during it. The counters start at zero with each
// process, so the stored counter must equal the events the last run added.
// It is skipped while serve does not export /metrics yet.
func checkExportedCounters(t *testing.T, addr, topic string, wantStored int64) {
	t.Helper()
	body, status := getBody("http://" + addr + "/metrics")
	if status != 200 || !strings.Contains(body, "pagerlens_ingest_messages_total") {
		t.Logf("serve does not export pagerlens_ingest_messages_total yet (GET /metrics: %d): counter check skipped", status)
		return
	}
	var stored, dead float64
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		if m == nil || !strings.Contains(m[1], `topic="`+topic+`"`) {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		switch {
		case strings.Contains(m[1], `outcome="stored"`):
			stored += v
		case strings.Contains(m[1], `outcome="dead_lettered"`):
			dead += v
		}
	}
	if int64(stored) != wantStored || dead != 0 {
		t.Errorf("exported counters: stored %v, dead_lettered %v; the store gained %d events in this run and has no dead letters", stored, dead, wantStored)
	}
}
