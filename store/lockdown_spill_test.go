package store

import (
	"context"
	"path/filepath"
	"testing"
)

// A query larger than memory_limit still spills to the temp directory
// after Lockdown: that is the database's own, not external, access. The
// control, the same query with spilling turned off, runs out of memory:
// the query does need to spill.
func TestLockdownSpills(t *testing.T) {
	ctx := context.Background()
	// ~10M rows × 2 BIGINT sorted: about 160 MB, over the 64 MB limit.
	const q = `SELECT count(*) FROM (SELECT range AS a, hash(range) AS b FROM range(10000000) ORDER BY b, a OFFSET 1)`
	for _, spill := range []bool{true, false} {
		st, err := Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), Options{MemoryLimit: "64MB", Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !spill {
			if _, err := st.DB().ExecContext(ctx, `SET temp_directory = ''`); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Lockdown(ctx); err != nil {
			t.Fatal(err)
		}
		var n int64
		err = st.DB().QueryRowContext(ctx, q).Scan(&n)
		switch {
		case spill && (err != nil || n != 9999999):
			t.Errorf("a query that spills, after Lockdown: %d, %v", n, err)
		case !spill && err == nil:
			t.Errorf("without a temp directory the query ran in 64 MB: the test proves nothing")
		}
		st.Close()
	}
}
