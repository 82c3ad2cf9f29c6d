package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// After Lockdown, new connections still open (their SETs would be
// refused), run in UTC, and the store still writes; file access and SET are
// refused.
func TestLockdown(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Lockdown(ctx); err != nil {
		t.Fatal(err)
	}
	// More connections than the pool keeps idle: some are new.
	conns := 0
	for i := 0; i < 8; i++ {
		c, err := st.DB().Conn(ctx)
		if err != nil {
			t.Fatalf("connection %d after lockdown: %v", i, err)
		}
		defer c.Close()
		var tz string
		if err := c.QueryRowContext(ctx, `SELECT current_setting('TimeZone')`).Scan(&tz); err != nil {
			t.Fatal(err)
		}
		if tz != "UTC" {
			t.Errorf("connection %d: TimeZone %q, want UTC", i, tz)
		}
		conns++
	}
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE lockdown_probe AS SELECT 1 AS x`); err != nil {
		t.Fatalf("the store no longer writes: %v", err)
	}
	if _, err := st.DB().ExecContext(ctx, `CHECKPOINT`); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	for q, want := range map[string]string{
		`SELECT * FROM read_csv('/etc/passwd')`:              "file system operations are disabled",
		`COPY lockdown_probe TO '` + t.TempDir() + `/x.csv'`: "file system operations are disabled",
		`SET threads=1`:                   "configuration has been locked",
		`SET enable_external_access=true`: "configuration has been locked",
		`ATTACH '` + filepath.Join(t.TempDir(), "o.duckdb") + `'`: "",
	} {
		_, err := st.DB().ExecContext(ctx, q)
		if err == nil || (want != "" && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want one containing %q", q, err, want)
		}
	}
	if err := st.Lockdown(ctx); err != nil {
		t.Errorf("second Lockdown: %v", err)
	}
}
