package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// storeState is what a refused statement must leave as it was.
func storeState(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var parts []string
	for _, q := range []string{
		`SELECT string_agg(table_name || ':' || estimated_size, ',' ORDER BY table_name) FROM duckdb_tables()`,
		`SELECT string_agg(database_name, ',' ORDER BY database_name) FROM duckdb_databases()`,
		`SELECT count(*)::VARCHAR FROM events`,
		`SELECT current_setting('threads')::VARCHAR || ' ' || current_setting('memory_limit') || ' ' || current_setting('enable_external_access')::VARCHAR`,
		`SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM duckdb_settings()`,
	} {
		var s *string
		if err := st.DB().QueryRowContext(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if s != nil {
			parts = append(parts, *s)
		}
	}
	return strings.Join(parts, "\n")
}

// Every statement that is not a single read is refused with a reason, and
// leaves the store, its settings and the file system as they were.
func TestSQLRefused(t *testing.T) {
	dir := t.TempDir()
	s := serve(t, Options{SQL: true, MaxRows: 1000, Timeout: 10 * time.Second}, "")
	before := storeState(t, s.st)
	out := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name, query string
		want        string // in the answer
		file        string // must not exist after
	}{
		{"delete", `DELETE FROM events`, "only a single SELECT", ""},
		{"update", `UPDATE events SET team = 'x'`, "only a single SELECT", ""},
		{"insert", `INSERT INTO events SELECT * FROM events`, "only a single SELECT", ""},
		{"create", `CREATE TABLE owned AS SELECT 1`, "only a single SELECT", ""},
		{"create view", `CREATE VIEW owned AS SELECT 1`, "only a single SELECT", ""},
		{"drop", `DROP TABLE events`, "only a single SELECT", ""},
		{"attach", `ATTACH '` + out("a.duckdb") + `' AS a`, "only a single SELECT", out("a.duckdb")},
		{"detach", `DETACH DATABASE IF EXISTS a`, "only a single SELECT", ""},
		{"copy to", `COPY events TO '` + out("e.csv") + `'`, "only a single SELECT", out("e.csv")},
		{"copy query to", `COPY (SELECT * FROM events) TO '` + out("q.parquet") + `' (FORMAT parquet)`, "only a single SELECT", out("q.parquet")},
		{"export database", `EXPORT DATABASE '` + out("db") + `'`, "only a single SELECT", out("db")},
		{"read_csv", `SELECT * FROM read_csv('/etc/passwd')`, "file system operations are disabled", ""},
		{"read_text", `SELECT * FROM read_text('/etc/passwd')`, "file system operations are disabled", ""},
		{"read_blob", `SELECT * FROM read_blob('/etc/hostname')`, "file system operations are disabled", ""},
		{"glob", `SELECT * FROM glob('/etc/*')`, "file system operations are disabled", ""},
		{"replacement scan", `SELECT * FROM '/etc/passwd'`, "", ""},
		{"install", `INSTALL httpfs`, "only a single SELECT", ""},
		{"load", `LOAD httpfs`, "only a single SELECT", ""},
		{"set", `SET threads = 1`, "only a single SELECT", ""},
		{"set global", `SET GLOBAL enable_external_access = true`, "only a single SELECT", ""},
		{"reset", `RESET memory_limit`, "only a single SELECT", ""},
		{"pragma", `PRAGMA memory_limit = '10MB'`, "only a single SELECT", ""},
		{"pragma checkpoint", `PRAGMA force_checkpoint`, "only a single SELECT", ""},
		{"checkpoint", `CHECKPOINT`, "only a single SELECT", ""},
		{"checkpoint function", `SELECT * FROM checkpoint()`, "function checkpoint", ""},
		{"call", `CALL force_checkpoint()`, "only a single SELECT", ""},
		{"cte hiding a delete", `WITH gone AS (DELETE FROM events RETURNING *) SELECT count(*) FROM gone`, "only a single SELECT", ""},
		{"cte before an insert", `WITH x AS (SELECT * FROM events) INSERT INTO events SELECT * FROM x`, "only a single SELECT", ""},
		{"two selects", `SELECT 1; SELECT 2`, "2 statements", ""},
		{"select then delete", `SELECT 1; DELETE FROM events`, "only a single SELECT", ""},
		{"query() around a delete", `SELECT * FROM query('DELETE FROM events')`, "SELECT", ""},
		{"transaction", `BEGIN TRANSACTION`, "only a single SELECT", ""},
		{"empty", `  `, "empty query", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := do(t, "POST", s.url+"/api/v1/sql", tt.query)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", code, body)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("answer %q does not say %q", body, tt.want)
			}
			if tt.file != "" {
				if _, err := os.Stat(tt.file); err == nil {
					t.Errorf("%s was written", tt.file)
				}
			}
		})
	}
	if after := storeState(t, s.st); after != before {
		t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left in %s: %v", dir, ents)
	}
	// Refused and failed statements are counted by code.
	if got := counter(t, s, EndpointSQL, "400"); got != float64(len(tests)) {
		t.Errorf("sql 400s counted %v, want %d", got, len(tests))
	}
}

// Layers 2 and 3 hold without layer 1: a write that got past the parser
// check is refused by the READ ONLY transaction, a file read by the
// locked-down instance.
func TestSQLLayersBehindTheCheck(t *testing.T) {
	s := serve(t, Options{SQL: true}, "")
	before := storeState(t, s.st)
	ctx := context.Background()
	for q, want := range map[string]string{
		`DELETE FROM events`:                         "read-only",
		`CREATE TABLE owned AS SELECT 1`:             "read-only",
		`SELECT * FROM read_csv('/etc/passwd')`:      "file system operations are disabled",
		`SET enable_external_access = true`:          "configuration has been locked",
		`ATTACH '` + t.TempDir() + `/x.duckdb' AS x`: "",
	} {
		conn, err := s.st.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, err = s.api.sql.exec(ctx, conn, q, "json", &b)
		conn.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", q, err, want)
		}
	}
	if after := storeState(t, s.st); after != before {
		t.Errorf("the store changed:\nbefore %s\nafter  %s", before, after)
	}
	// The connections went back to the pool without a transaction: the
	// store still writes.
	if _, err := s.st.DB().ExecContext(ctx, `CREATE TABLE after_probe AS SELECT 1 AS x`); err != nil {
		t.Errorf("the store no longer writes: %v", err)
	}
}

func TestSQLAnswers(t *testing.T) {
	s := serve(t, Options{SQL: true, MaxRows: 5, Timeout: 300 * time.Millisecond}, "")
	t.Run("json", func(t *testing.T) {
		code, body, h := do(t, "POST", s.url+"/api/v1/sql", `SELECT range AS n, 'x' || range AS s FROM range(3)`)
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		want := `{"columns":["n","s"],"rows":[[0,"x0"],[1,"x1"],[2,"x2"]],"row_count":3,"truncated":false}` + "\n"
		if body != want || h.Get(TruncatedHeader) != "false" {
			t.Errorf("got %s (%s), want %s", body, h.Get(TruncatedHeader), want)
		}
	})
	t.Run("over the row cap", func(t *testing.T) {
		code, body, h := do(t, "POST", s.url+"/api/v1/sql", `SELECT range AS n FROM range(10)`)
		var res result
		if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil {
			t.Fatalf("status %d, %v: %s", code, err, body)
		}
		if res.RowCount != 5 || len(res.Rows) != 5 || !res.Truncated || h.Get(TruncatedHeader) != "true" {
			t.Errorf("got %d rows, truncated %v (header %q); want 5, true", res.RowCount, res.Truncated, h.Get(TruncatedHeader))
		}
		code, body, h = do(t, "POST", s.url+"/api/v1/sql?format=csv", `SELECT range AS n FROM range(10)`)
		if code != 200 || body != "n\n0\n1\n2\n3\n4\n" || h.Get(TruncatedHeader) != "true" {
			t.Errorf("csv: %d %q %q", code, body, h.Get(TruncatedHeader))
		}
	})
	t.Run("over the timeout", func(t *testing.T) {
		start := time.Now()
		code, body, _ := do(t, "POST", s.url+"/api/v1/sql", `SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) % 7 = 3`)
		if code != http.StatusBadRequest || !strings.Contains(body, "query cancelled: it ran past 300ms") {
			t.Errorf("status %d %q, want 400 and the cancellation", code, body)
		}
		// Interrupted, not run to its end (hours).
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("the query ran %s after its 300ms timeout", d)
		}
		// The connection is fine for the next one.
		if code, body, _ := do(t, "POST", s.url+"/api/v1/sql", `SELECT 1 AS one`); code != 200 {
			t.Errorf("after a cancelled query: %d %s", code, body)
		}
	})
	t.Run("duckdb's error", func(t *testing.T) {
		code, body, _ := do(t, "POST", s.url+"/api/v1/sql", `SELECT no_such_column FROM events`)
		if code != http.StatusBadRequest || !strings.Contains(body, "Binder Error") {
			t.Errorf("status %d %q, want 400 with DuckDB's message", code, body)
		}
	})
	t.Run("bad format", func(t *testing.T) {
		code, body, _ := do(t, "POST", s.url+"/api/v1/sql?format=xml", `SELECT 1`)
		if code != http.StatusBadRequest || !strings.Contains(body, `format="xml"`) {
			t.Errorf("status %d %q", code, body)
		}
	})
}

// Off unless configured: 404 saying how to turn it on, and the store is
// not locked down.
func TestSQLOffByDefault(t *testing.T) {
	s := serve(t, Options{}, "")
	code, body, _ := do(t, "POST", s.url+"/api/v1/sql", `SELECT 1`)
	if code != http.StatusNotFound || !strings.Contains(body, "api.sql: true") {
		t.Errorf("status %d %q, want 404 naming api.sql", code, body)
	}
	var ext bool
	if err := s.st.DB().QueryRow(`SELECT current_setting('enable_external_access')`).Scan(&ext); err != nil || !ext {
		t.Errorf("external access %v (%v): locked down with the SQL API off", ext, err)
	}
}

// Behind the server's basic auth like /metrics: wrong or no credentials
// are 401 before any SQL runs.
func TestSQLBasicAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(webCfg, fmt.Appendf(nil, "basic_auth_users:\n  ops: %s\n", hash), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serve(t, Options{SQL: true}, webCfg)
	for _, tt := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"ops", "wrong", 401}, {"nobody", "s3cret", 401}, {"ops", "s3cret", 200}} {
		for _, path := range []string{"/api/v1/sql", "/api/v1/snapshot", "/report/fatigue"} {
			method, body := "GET", ""
			if path == "/api/v1/sql" {
				method, body = "POST", "SELECT count(*) FROM events"
			}
			req, _ := http.NewRequest(method, s.url+path+"?", strings.NewReader(body))
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s as %q/%q: %d, want %d", method, path, tt.user, tt.pass, resp.StatusCode, tt.want)
			}
		}
	}
}

func counter(t *testing.T, s served, endpoint, code string) float64 {
	t.Helper()
	v, _ := series(t, s, endpoint, code)
	return v
}

// series is the value of pagerlens_api_requests_total{endpoint,code} and
// whether the series exists.
func series(t *testing.T, s served, endpoint, code string) (float64, bool) {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "pagerlens_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["endpoint"] == endpoint && l["code"] == code {
				return m.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}

// A slow query holds neither the writer nor the analytics: a batch is
// stored and a snapshot computed while it runs (until its timeout).
func TestSlowQueryBlocksNothing(t *testing.T) {
	s := serve(t, Options{SQL: true, Timeout: 10 * time.Second}, "")
	ctx := context.Background()
	queryDone := make(chan string, 1)
	go func() {
		_, body, _ := do(t, "POST", s.url+"/api/v1/sql", `SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) % 7 = 3`)
		queryDone <- body
	}()
	// The query is running once DuckDB lists it... or, simply, shortly.
	time.Sleep(300 * time.Millisecond)
	e := event.Event{ID: "slow-query-probe", Source: "test", Type: "alert.triggered", Time: end.Add(-time.Hour),
		Data: event.Data{AlertKey: "k", AlertName: "Probe", Team: "probe"}}
	t0 := time.Now()
	res, err := s.st.WriteBatch(ctx, store.Batch{Rows: []store.Row{{Event: e, Topic: "t"}}})
	t.Logf("write %s", time.Since(t0))
	if err != nil || res.Stored != 1 {
		t.Fatalf("write beside the query: %+v, %v", res, err)
	}
	if _, err := analytics.Compute(ctx, s.st, analytics.DefaultConfig(end)); err != nil {
		t.Fatalf("snapshot beside the query: %v", err)
	}
	t.Logf("write+snapshot %s", time.Since(t0))
	select {
	case body := <-queryDone:
		t.Fatalf("the query ended (%q) before the write and the snapshot were done: the test proves nothing", body)
	default:
	}
	if body := <-queryDone; !strings.Contains(body, "query cancelled") {
		t.Errorf("slow query: %q, want it cancelled at its timeout", body)
	}
}
