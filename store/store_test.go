package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// TestMain doubles as a helper process that holds a store open, so that the
// in-use test meets a real lock held by another process.
func TestMain(m *testing.M) {
	if path := os.Getenv("PAGERLENS_TEST_HOLD_DB"); path != "" {
		s, err := store.Open(context.Background(), path, store.DefaultOptions())
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("READY")
		time.Sleep(30 * time.Second)
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func openTemp(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.duckdb")
	s, err := store.Open(context.Background(), path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func ev(id string, typ event.Type, at string, d event.Data) event.Event {
	tm, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	return event.Event{ID: id, Source: "test", Type: typ, Time: tm, Data: d}
}

func rows(evs ...event.Event) []store.Row {
	out := make([]store.Row, len(evs))
	for i, e := range evs {
		out[i] = store.Row{Event: e, Topic: "t", Partition: 0, Offset: int64(i)}
	}
	return out
}

func TestWriteBatchIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1", Team: "payments", Labels: map[string]string{"region": "eu"}})
	b := ev("b", event.PageNotified, "2026-03-02T02:12:00Z", event.Data{IncidentID: "I1", Responder: "ana", ResponderTZ: "Europe/Berlin"})
	c := ev("c", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})

	tests := []struct {
		name          string
		batch         store.Batch
		stored, dups  int
		dead          int
		wantEvents    int64
		wantDeadTotal int64
	}{
		{"first batch with an in-batch repeat", store.Batch{Rows: rows(a, b, a)}, 2, 1, 0, 2, 0},
		{"replay of the same batch", store.Batch{Rows: rows(a, b)}, 0, 2, 0, 2, 0},
		{"new event with an old one, out of order", store.Batch{Rows: rows(c, a)}, 1, 1, 0, 3, 0},
		{"dead letter", store.Batch{DeadLetters: []store.DeadLetter{{Raw: []byte("{"), Topic: "t", Partition: 0, Offset: 9, Reason: "invalid_json", Error: "truncated"}}}, 0, 0, 1, 3, 1},
		{"replayed dead letter", store.Batch{DeadLetters: []store.DeadLetter{{Raw: []byte("{"), Topic: "t", Partition: 0, Offset: 9, Reason: "invalid_json", Error: "truncated"}}}, 0, 0, 0, 3, 1},
	}
	for _, tt := range tests {
		res, err := s.WriteBatch(ctx, tt.batch)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.Stored != tt.stored || res.Duplicates != tt.dups || res.DeadLettered != tt.dead {
			t.Errorf("%s: result %+v, want stored %d dups %d dead %d", tt.name, res, tt.stored, tt.dups, tt.dead)
		}
		c, err := s.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Events != tt.wantEvents || c.DeadLetters != tt.wantDeadTotal {
			t.Errorf("%s: counts %+v, want %d events %d dead letters", tt.name, c, tt.wantEvents, tt.wantDeadTotal)
		}
	}

	// The local hour of b (02:12 UTC in March = 03:12 in Berlin, a Monday).
	var hour, dow int
	var labels string
	if err := s.DB().QueryRowContext(ctx, `SELECT local_hour, local_dow FROM events WHERE id='b'`).Scan(&hour, &dow); err != nil {
		t.Fatal(err)
	}
	if hour != 3 || dow != 1 {
		t.Errorf("local hour/dow = %d/%d, want 3/1", hour, dow)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT labels->>'region' FROM events WHERE id='a'`).Scan(&labels); err != nil {
		t.Fatal(err)
	}
	if labels != "eu" {
		t.Errorf("labels.region = %q", labels)
	}
}

func TestDerivedTableAndRebuild(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	err := s.RegisterDerived(ctx, store.DerivedTable{
		Name:    "per_incident",
		Create:  []string{`CREATE TABLE IF NOT EXISTS per_incident (incident_id VARCHAR PRIMARY KEY, n BIGINT)`},
		Update:  []string{`INSERT INTO per_incident SELECT incident_id, count(*) FROM new_events GROUP BY ALL ON CONFLICT DO UPDATE SET n = per_incident.n + excluded.n`},
		Rebuild: []string{`DELETE FROM per_incident`, `INSERT INTO per_incident SELECT incident_id, count(*) FROM events GROUP BY ALL`},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	b := ev("b", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})
	for _, batch := range [][]store.Row{rows(a), rows(a, b), rows(b)} {
		if _, err := s.WriteBatch(ctx, store.Batch{Rows: batch}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (n int) {
		if err := s.DB().QueryRowContext(ctx, `SELECT n FROM per_incident WHERE incident_id='I1'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Three batches deliver a, a, b, b; only the first of each is new.
	if n := count(); n != 2 {
		t.Fatalf("incremental count = %d, want 2", n)
	}
	if err := s.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("rebuilt count = %d, want 2", n)
	}
}

func TestFailedBatchLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	err := s.RegisterDerived(ctx, store.DerivedTable{Name: "broken", Update: []string{`SELECT * FROM no_such_table`}})
	if err != nil {
		t.Fatal(err)
	}
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(a)}); err == nil {
		t.Fatal("WriteBatch succeeded with a failing derived update")
	}
	c, err := s.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Events != 0 {
		t.Fatalf("a failed batch left %d events", c.Events)
	}
}

func TestReopenAndNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.duckdb")
	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = store.Open(ctx, path, store.DefaultOptions())
	if !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("open newer file: %v, want ErrNewerSchema", err)
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, filepath.Join(t.TempDir(), "missing.duckdb"), store.Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("read-only open of a missing file: %v", err)
	}
	s, path := openTemp(t)
	s.Close()
	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.DB().ExecContext(ctx, `DELETE FROM events`); err == nil {
		t.Fatal("a read-only store accepted a write")
	}
}

func TestInUseByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PAGERLENS_TEST_HOLD_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "READY") {
		t.Fatalf("helper process: %q", buf[:n])
	}
	start := time.Now()
	_, err = store.Open(context.Background(), path, store.DefaultOptions())
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("open a file in use: %v, want ErrInUse", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("open of a file in use took %v: it must fail, not wait", time.Since(start))
	}
	t.Log(err)
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []store.Options{{MemoryLimit: "lots"}, {Threads: -1}} {
		if _, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.duckdb"), o); err == nil {
			t.Errorf("Open accepted %+v", o)
		}
	}
}
