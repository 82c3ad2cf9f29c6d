package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// perIncident is a derived table counting each incident's events.
var perIncident = store.DerivedTable{
	Name:    "per_incident",
	Create:  []string{`CREATE TABLE IF NOT EXISTS per_incident (incident_id VARCHAR PRIMARY KEY, n BIGINT)`},
	Update:  []string{`INSERT INTO per_incident SELECT incident_id, count(*) FROM new_events GROUP BY ALL ON CONFLICT DO UPDATE SET n = per_incident.n + excluded.n`},
	Rebuild: []string{`DELETE FROM per_incident`, `INSERT INTO per_incident SELECT incident_id, count(*) FROM events GROUP BY ALL`},
}

func perIncidentCount(t *testing.T, s *store.Store, id string) int {
	t.Helper()
	var n int
	err := s.DB().QueryRowContext(context.Background(), `SELECT coalesce(sum(n), 0) FROM per_incident WHERE incident_id = $1`, id).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func staleFlags(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(context.Background(), `SELECT count(*) FROM store_flags`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeferDerived(t *testing.T) {
	ctx := context.Background()
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	b := ev("b", event.IncidentResolved, "2026-03-02T03:11:00Z", event.Data{IncidentID: "I1"})
	c := ev("c", event.IncidentTriggered, "2026-03-02T04:11:00Z", event.Data{IncidentID: "I2"})

	tests := []struct {
		name string
		// finish: call DeferDerived's finish; else the process "dies" (the
		// store is closed without it) and the next open repairs the table.
		finish bool
	}{
		{"finished", true},
		{"interrupted, repaired at the next open", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := openTemp(t)
			if err := s.RegisterDerived(ctx, perIncident); err != nil {
				t.Fatal(err)
			}
			finish, err := s.DeferDerived(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.DeferDerived(ctx); err == nil {
				t.Fatal("a second DeferDerived succeeded")
			}
			for _, batch := range [][]store.Row{rows(a), rows(a, b), rows(c)} {
				if _, err := s.WriteBatch(ctx, store.Batch{Rows: batch}); err != nil {
					t.Fatal(err)
				}
			}
			// Deferred: the batches did not touch the derived table.
			if n := perIncidentCount(t, s, "I1"); n != 0 {
				t.Fatalf("during the bulk load per_incident(I1) = %d, want 0 (deferred)", n)
			}
			if staleFlags(t, s) != 1 {
				t.Fatal("store not flagged stale during the bulk load")
			}
			if tt.finish {
				if err := finish(ctx); err != nil {
					t.Fatal(err)
				}
			} else {
				s.Close()
				if s, err = store.Open(ctx, path, store.DefaultOptions()); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if err := s.RegisterDerived(ctx, perIncident); err != nil {
					t.Fatal(err)
				}
				rebuilt, err := s.RebuildIfStale(ctx)
				if err != nil || !rebuilt {
					t.Fatalf("RebuildIfStale = %v, %v; want true, nil", rebuilt, err)
				}
			}
			// a, b for I1 (a's replay skipped), c for I2.
			if n1, n2 := perIncidentCount(t, s, "I1"), perIncidentCount(t, s, "I2"); n1 != 2 || n2 != 1 {
				t.Fatalf("per_incident = I1 %d, I2 %d; want 2, 1", n1, n2)
			}
			if staleFlags(t, s) != 0 {
				t.Fatal("stale flag left after the rebuild")
			}
			if rebuilt, err := s.RebuildIfStale(ctx); err != nil || rebuilt {
				t.Fatalf("second RebuildIfStale = %v, %v; want false, nil", rebuilt, err)
			}
			// Maintained per batch again.
			d := ev("d", event.IncidentAcknowledged, "2026-03-02T04:12:00Z", event.Data{IncidentID: "I2"})
			if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(d)}); err != nil {
				t.Fatal(err)
			}
			if n := perIncidentCount(t, s, "I2"); n != 2 {
				t.Fatalf("after the bulk load per_incident(I2) = %d, want 2", n)
			}
		})
	}
}

func TestStaleStoreReadOnly(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if err := s.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeferDerived(ctx); err != nil {
		t.Fatal(err)
	}
	a := ev("a", event.IncidentTriggered, "2026-03-02T02:11:00Z", event.Data{IncidentID: "I1"})
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(a)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.RegisterDerived(ctx, perIncident); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.RebuildIfStale(ctx); !errors.Is(err, store.ErrDerivedStale) {
		t.Fatalf("RebuildIfStale on a stale read-only store = %v, want ErrDerivedStale", err)
	}
}
