// Package shards runs pagerlens serve as real processes sharing one consumer
// group against the embedded broker (docs/scaling.md): a rebalance stores
// every event in exactly one shard, the additive families of the shards add
// up to one instance's, and the merged stores give one instance's snapshot.
//
// It has its own package (and binary build); the process, polling and
// store helpers it shares with test/e2e are in e2eutil.
package shards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/demo"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

func TestMain(m *testing.M) {
	os.Exit(e2eutil.Main(m, "pagerlens-shards-"))
}

// stop sends SIGTERM to a serve and waits for a clean exit.
func stop(t *testing.T, s *e2eutil.Proc) time.Duration {
	t.Helper()
	code, took := s.Signal(syscall.SIGTERM, 30*time.Second)
	if code != 0 {
		t.Fatalf("%s exited with %d after SIGTERM", s.Name(), code)
	}
	return took
}

// ids returns how many times each event id is in the store file.
func ids(t *testing.T, path string) (out map[string]int) {
	t.Helper()
	e2eutil.QueryStore(t, path, func(s *store.Store) { out = testkit.StoredIDs(t, s) })
	return out
}

// pagerlens runs a short command and returns its stdout.
func pagerlens(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, e2eutil.Bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pagerlens %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// The end of every window: fixed, so that the figures do not depend on when
// the test runs.
const now = "2026-03-09T00:00:00Z"

func snapshot(t *testing.T, db string) ([]byte, *analytics.Snapshot) {
	t.Helper()
	b := pagerlens(t, "metrics", "--db", db, "--now", now, "--format", "json")
	var s analytics.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("metrics json of %s: %v", db, err)
	}
	return b, &s
}

// additive flattens the additive families of a snapshot (those exported as
// counts, _sum/_count and histogram buckets) into series → value, as
// /metrics would name them.
func additive(s *analytics.Snapshot) map[string]float64 {
	out := map[string]float64{}
	for _, r := range s.Incidents {
		k := fmt.Sprintf(`{team=%q,service=%q,severity=%q,window=%q}`, r.Team, r.Service, r.Severity, r.Window)
		out["pagerlens_incidents"+k] += float64(r.Count)
		out["pagerlens_incidents_escalated"+k] += float64(r.Escalated)
		out["pagerlens_incidents_major"+k] += float64(r.Major)
		out["pagerlens_incident_ack_seconds_count"+k] += float64(r.Ack.Count)
		out["pagerlens_incident_ack_seconds_sum"+k] += r.Ack.Sum
		out["pagerlens_incident_resolve_seconds_count"+k] += float64(r.Resolve.Count)
		out["pagerlens_incident_resolve_seconds_sum"+k] += r.Resolve.Sum
	}
	for _, r := range s.IncidentTotals {
		k := fmt.Sprintf(`{team=%q,service=%q,severity=%q`, r.Team, r.Service, r.Severity)
		out["pagerlens_incidents_total"+k+"}"] += float64(r.Incidents)
		for _, b := range r.AckDuration.Buckets {
			out[fmt.Sprintf("pagerlens_incident_ack_duration_seconds_bucket%s,le=%g}", k, b.LE)] += float64(b.Count)
		}
	}
	for _, r := range s.Alerts {
		k := fmt.Sprintf(`{team=%q,service=%q,alertname=%q,window=%q}`, r.Team, r.Service, r.AlertName, r.Window)
		// Not pagerlens_alerts_actionable: an alert is actionable when an
		// incident links to it, and producers key an incident's events and
		// its alerts' events differently, so the link can cross shards
		// (per-shard in docs/scaling.md).
		out["pagerlens_alerts"+k] += float64(r.Alerts)
		out["pagerlens_alerts_acknowledged"+k] += float64(r.Acknowledged)
	}
	for _, r := range s.Responders {
		k := fmt.Sprintf(`{team=%q,responder=%q,window=%q`, r.Team, r.Responder, r.Window)
		out["pagerlens_interruptions"+k+`,period="business"}`] += float64(r.Interruptions.Business)
		out["pagerlens_interruptions"+k+`,period="off_hours"}`] += float64(r.Interruptions.OffHours)
		out["pagerlens_interruptions"+k+`,period="sleep"}`] += float64(r.Interruptions.Sleep)
	}
	return out
}

// generationLine is what serve logs when it joins a generation of its group.
var generationLine = regexp.MustCompile(`msg="kafka consumer group generation" group=\S+ generation=(\d+)`)

// lastGeneration is the last generation s logged (0: none yet).
func lastGeneration(s *e2eutil.Proc) int {
	m := generationLine.FindAllStringSubmatch(s.Output(), -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// eventFamilies are the families counted from single events (a responder
// paged): additive across shards whatever the partition assignment did. The
// others are counted per incident or per alert life and are additive when
// each incident's and alert's events are in one shard, which a partition
// moving mid-incident breaks (docs/scaling.md).
var eventFamilies = map[string]bool{"pagerlens_interruptions": true}

// TestShards: two serve processes in one group on a 12-partition topic
// consume a stream keyed by incident, and their stores are compared with
// those of one instance over the same stream (its own group).
func TestShards(t *testing.T) {
	teams, days := 8, 66 // ≈ 26,000 events
	if testing.Short() {
		teams, days = 4, 30 // ≈ 6,500
	}
	const parts = 12
	t0 := time.Now()
	msgs, err := demo.History(7, teams, days, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(msgs))
	want := map[string]bool{} // the stream repeats a few events (at-least-once producers)
	for _, m := range msgs {
		e, err := event.Decode(m.Value, event.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		want[e.ID] = true
	}
	tests := []struct {
		name string
		// halfway: the stream is produced while both consume and shard a
		// is stopped (SIGTERM) once half of it is committed; otherwise
		// both shards have joined before anything is produced and the
		// partitions never move.
		halfway bool
	}{
		{name: "stable membership", halfway: false},
		{name: "one stops halfway", halfway: true},
	}
	topics := []string{"reference"}
	for i := range tests {
		topics = append(topics, fmt.Sprintf("shards-%d", i))
	}
	b := kafkatest.New(t, kafkatest.Options{Topics: topics, Partitions: parts})
	admin, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	dir := t.TempDir()
	// Small batches: many batches in hand when a rebalance comes.
	common := func(topic string) []string {
		return []string{"--brokers", b.Addr(), "--topics", topic, "--listen", "127.0.0.1:0",
			"--batch-size", "500", "--batch-wait", "100ms", "--refresh-interval", "1h", "--memory-limit", "512MB", "--threads", "1"}
	}
	produce := func(topic string, pause time.Duration) error {
		cl, err := b.Client()
		if err != nil {
			return err
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		const chunk = 1000
		for i := 0; i < len(msgs); i += chunk {
			if err := kafkatest.ProduceWith(ctx, cl, parts, topic, msgs[i:min(i+chunk, len(msgs))]...); err != nil {
				return err
			}
			time.Sleep(pause)
		}
		return nil
	}

	// The reference: one instance alone over the whole stream.
	if err := produce("reference", 0); err != nil {
		t.Fatal(err)
	}
	dbSingle := filepath.Join(dir, "single.duckdb")
	single := e2eutil.Start(t, "single", nil, append([]string{"serve", "--group", "single", "--db", dbSingle}, common("reference")...)...)
	e2eutil.WaitFor(t, "the single instance to commit the whole stream", 60*time.Second, func() bool {
		return e2eutil.CommittedTotal(t, admin, "single", "reference", parts) == n
	})
	stop(t, single)
	singleJSON, snapSingle := snapshot(t, dbSingle)
	one := additive(snapSingle)

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, group := topics[i+1], fmt.Sprintf("shards-%d", i)
			dbA, dbB := filepath.Join(dir, group+"-a.duckdb"), filepath.Join(dir, group+"-b.duckdb")
			a := e2eutil.Start(t, group+"-a", nil, append([]string{"serve", "--group", group, "--db", dbA}, common(topic)...)...)
			sb := e2eutil.Start(t, group+"-b", nil, append([]string{"serve", "--group", group, "--db", dbB}, common(topic)...)...)
			progress := func() int64 { return e2eutil.CommittedTotal(t, admin, group, topic, parts) }
			if tt.halfway {
				produced := make(chan error, 1)
				go func() { produced <- produce(topic, 100*time.Millisecond) }()
				e2eutil.WaitFor(t, "the shards to commit half the stream", 60*time.Second, func() bool { return progress() >= n/2 })
				at := progress()
				took := stop(t, a)
				t.Logf("SIGTERM to shard a after %d of %d messages committed; it exited cleanly in %s", at, n, took.Round(time.Millisecond))
				if err := <-produced; err != nil {
					t.Fatal(err)
				}
				e2eutil.WaitFor(t, "shard b to take over and commit the whole stream", 60*time.Second, func() bool { return progress() == n })
				stop(t, sb)
			} else {
				e2eutil.WaitFor(t, "both shards in one generation", 60*time.Second, func() bool {
					ga, gb := lastGeneration(a), lastGeneration(sb)
					return ga > 0 && ga == gb
				})
				if err := produce(topic, 0); err != nil {
					t.Fatal(err)
				}
				e2eutil.WaitFor(t, "the shards to commit the whole stream", 60*time.Second, func() bool { return progress() == n })
				stop(t, a)
				stop(t, sb)
			}

			// 1. The union of the shards' stores holds each event once.
			inA, inB := ids(t, dbA), ids(t, dbB)
			t.Logf("%d messages, %d distinct events: shard a stored %d, shard b %d", n, len(want), len(inA), len(inB))
			if len(inA) == 0 || len(inB) == 0 {
				t.Errorf("a shard stored nothing (a %d, b %d): the group did not split the partitions", len(inA), len(inB))
			}
			both, missing := 0, 0
			for id := range want {
				switch {
				case inA[id] > 0 && inB[id] > 0:
					both++
				case inA[id] == 0 && inB[id] == 0:
					missing++
				}
			}
			if both != 0 || missing != 0 || len(inA)+len(inB) != len(want) {
				t.Errorf("union of the shards: %d events in both, %d in neither, %d+%d stored for %d distinct; want each once",
					both, missing, len(inA), len(inB), len(want))
			}

			// 2. The additive families of the two shards add up to the
			// single instance's: all of them with stable membership, the
			// event families after a partition moved mid-incident.
			_, snapA := snapshot(t, dbA)
			_, snapB := snapshot(t, dbB)
			sum := additive(snapA)
			for k, v := range additive(snapB) {
				sum[k] += v
			}
			checked, off := map[string]int{}, map[string]int{}
			for k := range union(one, sum) {
				family := k[:strings.IndexByte(k, '{')]
				v, got := one[k], sum[k]
				if math.Abs(got-v) <= 1e-6*math.Max(1, math.Abs(v)) {
					checked[family]++
					continue
				}
				if tt.halfway && !eventFamilies[family] {
					off[family]++
					continue
				}
				t.Errorf("%s: shard a + shard b = %v, single instance = %v", k, got, v)
			}
			t.Logf("additive series equal to the single instance's, per family: %v", checked)
			if tt.halfway {
				t.Logf("series of incident and alert-life families that differ because the rebalance split them: %v (split incidents: %d)",
					off, splitIncidents(t, dbA, dbB))
			}
			for _, f := range []string{"pagerlens_incidents", "pagerlens_incident_ack_seconds_count", "pagerlens_alerts", "pagerlens_interruptions"} {
				if checked[f] == 0 {
					t.Errorf("no %s series compared", f)
				}
			}

			// 3. The merged stores give the single instance's snapshot,
			// every figure included (quantiles, distinct nights, Gini,
			// fatigue scores).
			merged := filepath.Join(dir, group+"-merged.duckdb")
			out := pagerlens(t, "merge", "--out", merged, dbA, dbB)
			t.Logf("%s", bytes.TrimSpace(out))
			mergedJSON, _ := snapshot(t, merged)
			if !bytes.Equal(mergedJSON, singleJSON) {
				t.Errorf("the merged snapshot differs from the single instance's: %s", firstDiff(mergedJSON, singleJSON))
			}
		})
	}
	t.Logf("whole test: %s", time.Since(t0).Round(time.Millisecond))
}

func union(a, b map[string]float64) map[string]bool {
	out := make(map[string]bool, len(a))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// splitIncidents counts the incidents with events in both stores.
func splitIncidents(t *testing.T, dbA, dbB string) int {
	t.Helper()
	incidents := func(path string) map[string]bool {
		out := map[string]bool{}
		e2eutil.QueryStore(t, path, func(s *store.Store) {
			rows, err := s.DB().Query(`SELECT DISTINCT incident_id FROM events WHERE incident_id IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				out[id] = true
			}
		})
		return out
	}
	a, b := incidents(dbA), incidents(dbB)
	n := 0
	for id := range a {
		if b[id] {
			n++
		}
	}
	return n
}

// firstDiff shows the first differing line of two documents.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: %q vs %q", i+1, la[i], lb[i])
		}
	}
	return errors.New("one is a prefix of the other").Error()
}
