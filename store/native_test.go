package store_test

import (
	"context"
	"testing"

	"github.com/pagerlens/pagerlens/store"
)

// TestKeeperReleasesEvictionQueues: DuckDB 1.5 keeps a dead entry in its
// buffer pool's eviction queues for each buffer a small query's hash join
// or aggregate allocated (issue 23; native.go), so a steady stream of such
// queries grows the C heap without bound: the same stream is run with and
// without the keeper's checks between its rounds. The query has the shape of
// alert_lives' refold, which serve runs for every webhook batch. Without
// the keeper the C heap must have grown (measured: ~3 KiB a query, ~9 MiB
// here; if a DuckDB upgrade stops that, this test says so and the keeper
// can go); with it, it must stay within 2 MiB of where it started. The
// keeper's store is locked down (serve with the SQL API on), which must not
// stop it, and keeps its memory_limit.
func TestKeeperReleasesEvictionQueues(t *testing.T) {
	ctx := context.Background()
	defer store.SetReleaseGrowth(1 << 20)()
	const rounds, perRound = 4, 750
	for _, tc := range []struct {
		name string
		keep bool
	}{{"without the keeper", false}, {"with the keeper", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTemp(t)
			db := s.DB()
			for _, q := range []string{
				`CREATE TABLE lives AS SELECT 'k' || i AS k, TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND AS since, NULL::TIMESTAMP AS ended FROM range(1000) t(i)`,
				`CREATE TABLE batch AS SELECT 'k' || (i * 7) AS k, TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND AS t_at FROM range(4) t(i)`,
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if tc.keep {
				if err := s.Lockdown(ctx); err != nil {
					t.Fatal(err)
				}
			}
			run := func(n int) {
				t.Helper()
				for i := 0; i < n; i++ {
					rows, err := db.QueryContext(ctx, `WITH b AS (SELECT k, min(t_at) AS t_at FROM batch GROUP BY k)
SELECT b.k, least(b.t_at, min(l.since) FILTER (WHERE l.ended IS NULL OR l.ended >= b.t_at))
FROM b LEFT JOIN lives l ON l.k = b.k GROUP BY b.k, b.t_at`)
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
					}
					if err := rows.Close(); err != nil {
						t.Fatal(err)
					}
				}
			}
			check := func() bool {
				t.Helper()
				released, err := store.CheckNativeMemory(ctx, s)
				if err != nil {
					t.Fatal(err)
				}
				return released
			}
			run(300) // warm-up: the connection, its plans, the first queue blocks
			check()  // the keeper's baseline
			before := store.CHeapInUse()
			releases := 0
			for r := 0; r < rounds; r++ {
				run(perRound)
				if tc.keep && check() {
					releases++
				}
			}
			grew := int64(store.CHeapInUse()) - int64(before)
			t.Logf("C heap %+d KiB over %d queries (%+d B a query), %d releases", grew>>10, rounds*perRound, grew/(rounds*perRound), releases)
			if !tc.keep {
				if grew < 4<<20 {
					t.Fatalf("the C heap grew by only %d KiB over %d queries: DuckDB no longer leaks eviction-queue entries, so the native memory keeper (store/native.go) may go", grew>>10, rounds*perRound)
				}
				return
			}
			if releases == 0 || grew > 2<<20 {
				t.Errorf("with the keeper the C heap grew by %d KiB over %d queries (%d releases); want under 2 MiB", grew>>10, rounds*perRound, releases)
			}
			var limit string
			if err := db.QueryRowContext(ctx, `SELECT current_setting('memory_limit')`).Scan(&limit); err != nil {
				t.Fatal(err)
			}
			if limit != "953.6 MiB" { // 1GB, as DuckDB prints it
				t.Errorf("memory_limit after the releases: %s, want 1GB (953.6 MiB)", limit)
			}
			if s.NativeMemory().Releases != int64(releases) {
				t.Errorf("NativeMemory().Releases = %d, want %d", s.NativeMemory().Releases, releases)
			}
		})
	}
}
