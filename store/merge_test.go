package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// shardFile writes a store file holding batches and closes it, as a stopped
// shard leaves it.
func shardFile(t *testing.T, name string, batches ...store.Batch) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	s, err := store.Open(context.Background(), path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, b := range batches {
		if _, err := s.WriteBatch(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestMerge(t *testing.T) {
	ctx := context.Background()
	i1a := ev("i1a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1", Team: "payments"})
	i1b := ev("i1b", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})
	i2a := ev("i2a", event.IncidentTriggered, "2026-03-02T04:00:00Z", event.Data{IncidentID: "I2", Team: "search"})
	i2b := ev("i2b", event.IncidentResolved, "2026-03-02T05:00:00Z", event.Data{IncidentID: "I2"})
	dead := store.DeadLetter{Raw: []byte("{"), Topic: "t", Partition: 3, Offset: 7, Reason: "invalid_json", Error: "truncated"}
	// Shard A holds I1; shard B holds I2 and, as after a crash between its
	// store commit and its offset commit, a redelivered copy of i1b.
	a := shardFile(t, "a.duckdb", store.Batch{Rows: rows(i1a, i1b), DeadLetters: []store.DeadLetter{dead}})
	b := shardFile(t, "b.duckdb", store.Batch{Rows: rows(i2a, i2b)}, store.Batch{Rows: rows(i1b), DeadLetters: []store.DeadLetter{dead}})

	dst, dstPath := openTemp(t)
	err := dst.RegisterDerived(ctx, store.DerivedTable{
		Name:    "per_incident",
		Create:  []string{`CREATE TABLE IF NOT EXISTS per_incident (incident_id VARCHAR PRIMARY KEY, n BIGINT)`},
		Rebuild: []string{`DELETE FROM per_incident`, `INSERT INTO per_incident SELECT incident_id, count(*) FROM events GROUP BY ALL`},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		srcs       []string
		want       store.MergeResult
		wantEvents int64
		wantErr    string
	}{
		{name: "two shards with a redelivered event", srcs: []string{a, b},
			want: store.MergeResult{Sources: 2, Events: 4, Duplicates: 1, DeadLetters: 1}, wantEvents: 4},
		{name: "again: nothing new", srcs: []string{b, a},
			want: store.MergeResult{Sources: 2, Events: 0, Duplicates: 5, DeadLetters: 0}, wantEvents: 4},
		{name: "no sources", wantErr: "no source stores"},
		{name: "missing source", srcs: []string{filepath.Join(t.TempDir(), "nope.duckdb")}, wantErr: "no such file"},
		{name: "the destination as a source", srcs: []string{a, dstPath}, wantErr: "destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := store.Merge(ctx, dst, tt.srcs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Merge: err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res != tt.want {
				t.Errorf("Merge = %+v, want %+v", res, tt.want)
			}
			c, err := dst.Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.Events != tt.wantEvents || c.DeadLetters != 1 {
				t.Errorf("merged store: %d events, %d dead letters; want %d, 1", c.Events, c.DeadLetters, tt.wantEvents)
			}
			// The derived table was rebuilt from the merged events.
			var i1, i2 int
			if err := dst.DB().QueryRowContext(ctx, `SELECT
					(SELECT n FROM per_incident WHERE incident_id = 'I1'),
					(SELECT n FROM per_incident WHERE incident_id = 'I2')`).Scan(&i1, &i2); err != nil {
				t.Fatal(err)
			}
			if i1 != 2 || i2 != 2 {
				t.Errorf("per_incident I1=%d I2=%d, want 2 and 2", i1, i2)
			}
		})
	}
	// The sources are only read: they can still be opened read-write.
	for _, src := range []string{a, b} {
		s, err := store.Open(ctx, src, store.DefaultOptions())
		if err != nil {
			t.Fatalf("source %s after the merge: %v", src, err)
		}
		s.Close()
	}
}
