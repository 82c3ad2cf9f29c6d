package store_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// benchRows makes n realistic events starting at id offset off, one minute apart.
func benchRows(off, n int) []store.Row {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]store.Row, n)
	for i := range out {
		k := off + i
		out[i] = store.Row{Event: event.Event{
			ID: fmt.Sprintf("bench-%09d", k), Source: "bench", Type: event.PageNotified,
			Time: base.Add(time.Duration(k) * time.Second),
			Data: event.Data{IncidentID: fmt.Sprintf("INC-%d", k/8), Service: "svc", Team: fmt.Sprintf("team-%d", k%100),
				Responder: fmt.Sprintf("r-%d", k%1000), ResponderTZ: "Europe/Berlin", Channel: "phone", Severity: "SEV2"},
		}, Topic: "events", Partition: int32(k % 12), Offset: int64(k)}
	}
	return out
}

// BenchmarkWriteBatch measures pagerlens's idempotent batch write into a
// store that already holds `stored` events, next to the bare Appender rate
// into a table of the same shape (the limit).
func BenchmarkWriteBatch(b *testing.B) {
	const batch = 50000
	for _, stored := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			ctx := context.Background()
			s, err := store.Open(ctx, filepath.Join(b.TempDir(), "b.duckdb"), store.DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for off := 0; off < stored; off += batch {
				if _, err := s.WriteBatch(ctx, store.Batch{Rows: benchRows(off, batch)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				rows := benchRows(stored+i*batch, batch)
				if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows}); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("bare-appender", func(b *testing.B) {
		ctx := context.Background()
		s, err := store.Open(ctx, filepath.Join(b.TempDir(), "b.duckdb"), store.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if _, err := s.DB().ExecContext(ctx, `CREATE TABLE bare AS SELECT * FROM events LIMIT 0`); err != nil {
			b.Fatal(err)
		}
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		b.ResetTimer()
		n := 0
		for i := 0; i < b.N; i++ {
			rows := benchRows(i*batch, batch)
			err := conn.Raw(func(dc any) error {
				app, err := duckdb.NewAppender(dc.(driver.Conn), "", "main", "bare")
				if err != nil {
					return err
				}
				vals := make([]driver.Value, 30)
				now := time.Now()
				for j := range rows {
					store.FillEventRowForBench(vals, &rows[j], now)
					if err := app.AppendRow(vals...); err != nil {
						return err
					}
				}
				return app.Close()
			})
			if err != nil {
				b.Fatal(err)
			}
			n += batch
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	})
}
