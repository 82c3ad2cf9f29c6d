package export_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/export"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

var fixedNow = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

// expected computes the table a job should export, straight from analytics.
func expected(t *testing.T, st *store.Store, what export.What) export.Table {
	t.Helper()
	ctx := context.Background()
	w, _ := analytics.ParseWindow("30d")
	if what == export.Incidents {
		tb, err := export.IncidentsTable(ctx, st.DB(), fixedNow, w.Duration)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	cfg := analytics.DefaultConfig(fixedNow)
	cfg.Windows = []analytics.Window{w}
	snap, err := analytics.Compute(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	switch what {
	case export.MTTx:
		tb := export.MTTxTable(snap, "30d")
		if len(tb.Rows) != len(snap.Incidents) {
			t.Fatalf("mttx: %d rows, snapshot %d", len(tb.Rows), len(snap.Incidents))
		}
		return tb
	case export.AlertQuality:
		return export.AlertQualityTable(snap, "30d")
	case export.OnCallLoad:
		return export.OnCallLoadTable(snap, "30d")
	}
	t.Fatalf("no table for %s", what)
	return export.Table{}
}

// same compares a value read back from a file with the table's.
func same(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w)))
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w)
	}
	return got == want
}

// fromCSV types a CSV field by its column.
func fromCSV(t *testing.T, typ, s string) any {
	t.Helper()
	if s == "" && typ != "VARCHAR" {
		return nil
	}
	var v any
	var err error
	switch typ {
	case "VARCHAR":
		v = s
	case "BIGINT":
		v, err = strconv.ParseInt(s, 10, 64)
	case "DOUBLE":
		v, err = strconv.ParseFloat(s, 64)
	case "BOOLEAN":
		v, err = strconv.ParseBool(s)
	case "TIMESTAMP":
		v, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		t.Fatalf("%s %q: %v", typ, s, err)
	}
	return v
}

func readCSV(t *testing.T, path string, tb export.Table) [][]any {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range tb.Columns {
		if recs[0][i] != c.Name {
			t.Fatalf("header %d: %q, want %q", i, recs[0][i], c.Name)
		}
	}
	var out [][]any
	for _, r := range recs[1:] {
		row := make([]any, len(r))
		for i, s := range r {
			row[i] = fromCSV(t, tb.Columns[i].Type, s)
		}
		// The store writes empty strings as NULL; CSV cannot tell them apart.
		for i, c := range tb.Columns {
			if c.Type == "VARCHAR" && row[i] == "" {
				row[i] = nil
			}
		}
		out = append(out, row)
	}
	return out
}

func readParquet(t *testing.T, path string, tb export.Table) [][]any {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT * FROM read_parquet(` + "'" + strings.ReplaceAll(path, "'", "''") + "'" + `)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for i, c := range tb.Columns {
		if cols[i] != c.Name {
			t.Fatalf("parquet column %d: %q, want %q", i, cols[i], c.Name)
		}
	}
	var out [][]any
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range row {
			switch v := v.(type) {
			case int32:
				row[i] = int64(v)
			case time.Time:
				row[i] = v.UTC()
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readJSONL(t *testing.T, path string, tb export.Table) [][]any {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(line))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		row := make([]any, len(tb.Columns))
		for i, c := range tb.Columns {
			v, ok := m[c.Name]
			if !ok {
				t.Fatalf("jsonl: no key %s", c.Name)
			}
			switch v := v.(type) {
			case json.Number:
				row[i] = fromCSV(t, c.Type, v.String())
			case string:
				row[i] = fromCSV(t, c.Type, v)
			default:
				row[i] = v
			}
		}
		out = append(out, row)
	}
	return out
}

func nilEmpty(tb export.Table) [][]any {
	out := make([][]any, len(tb.Rows))
	for i, r := range tb.Rows {
		out[i] = append([]any(nil), r...)
		for j, c := range tb.Columns {
			if c.Type == "VARCHAR" && out[i][j] == "" {
				out[i][j] = nil
			}
		}
	}
	return out
}

// Every tabular export, read back, equals the analytics rows.
func TestExportsReadBack(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	ctx := context.Background()
	for _, what := range []export.What{export.MTTx, export.AlertQuality, export.OnCallLoad, export.Incidents} {
		want := expected(t, st, what)
		if len(want.Rows) == 0 {
			t.Fatalf("%s: no rows to compare", what)
		}
		for _, format := range []string{export.CSV, export.Parquet, export.JSONL} {
			t.Run(string(what)+"/"+format, func(t *testing.T) {
				dir := t.TempDir()
				res, err := export.Run(ctx, st, export.Job{What: what, Format: format, Dir: dir}, fixedNow, analytics.DefaultConfig(fixedNow))
				if err != nil {
					t.Fatal(err)
				}
				if base := filepath.Base(res.Path); base != string(what)+"-30d-2026-03-09."+format {
					t.Errorf("file name %s", base)
				}
				var got [][]any
				wantRows := want.Rows
				switch format {
				case export.CSV:
					got, wantRows = readCSV(t, res.Path, want), nilEmpty(want)
				case export.Parquet:
					got = readParquet(t, res.Path, want)
				case export.JSONL:
					got = readJSONL(t, res.Path, want)
				}
				if len(got) != len(wantRows) {
					t.Fatalf("%d rows, want %d", len(got), len(wantRows))
				}
				for i := range got {
					for j := range got[i] {
						if !same(got[i][j], wantRows[i][j]) {
							t.Fatalf("row %d column %s: %#v, want %#v", i, want.Columns[j].Name, got[i][j], wantRows[i][j])
						}
					}
				}
				// Nothing but the export is left in the directory.
				ents, _ := os.ReadDir(dir)
				if len(ents) != 1 {
					t.Errorf("dir holds %d entries", len(ents))
				}
			})
		}
	}
}

func TestFatigueReportExport(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	dir := t.TempDir()
	for _, f := range []string{"html", "md", "json"} {
		res, err := export.Run(context.Background(), st, export.Job{What: export.FatigueReport, Format: f, Dir: dir}, fixedNow, analytics.DefaultConfig(fixedNow))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(res.Path) != "fatigue_report-30d-2026-03-09."+f {
			t.Errorf("name %s", res.Path)
		}
		if fi, err := os.Stat(res.Path); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", res.Path, err)
		}
	}
}

// fakeClock advances instantly to whatever the scheduler waits for.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// The real loop, on a fake clock, fires a daily job twice and keeps the
// newest two files of that job only.
func TestSchedulerRunsAndPrunes(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	dir := t.TempDir()
	for _, n := range []string{"mttx-30d-2026-03-01.csv", "mttx-30d-2026-03-02.csv", "notes.txt", "other-30d-2026-01-01.csv"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ats []time.Time
	clock := &fakeClock{now: time.Date(2026, 3, 7, 23, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	s, err := export.New(export.Options{
		Registerer: reg,
		Jobs:       []export.Job{{Name: "weekly-mttx", Schedule: "CRON_TZ=UTC 0 6 * * *", What: export.MTTx, Format: "csv", Dir: dir, Retention: 2}},
		Store:      st,
		Analytics:  analytics.DefaultConfig(fixedNow),
		Clock:      clock,
		RunFunc: func(ctx context.Context, st *store.Store, j export.Job, at time.Time, base analytics.Config) (export.Result, error) {
			ats = append(ats, at)
			res, err := export.Run(ctx, st, j, at, base)
			if len(ats) == 2 {
				cancel()
			}
			return res, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("scheduler did not stop")
	}
	want := []time.Time{time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC)}
	if len(ats) != 2 || !ats[0].Equal(want[0]) || !ats[1].Equal(want[1]) {
		t.Fatalf("runs at %v, want %v", ats, want)
	}
	got := strings.Join(names(t, dir), " ")
	if got != "mttx-30d-2026-03-08.csv mttx-30d-2026-03-09.csv notes.txt other-30d-2026-01-01.csv" {
		t.Errorf("dir after two runs and retention 2: %s", got)
	}
	m := gather(t, reg)
	if n := m[`pagerlens_export_runs_total{export="weekly-mttx",outcome="success"}`]; n != 2 {
		t.Errorf("success runs %v, want 2 (%v)", n, m)
	}
	if ts := m[`pagerlens_export_last_success_timestamp_seconds{export="weekly-mttx"}`]; ts < float64(want[1].Unix()) {
		t.Errorf("last success %v, want ≥ %d", ts, want[1].Unix())
	}
}

// gather returns every sample of the scheduler's registry as
// name{labels} → value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	return testkit.Series(t, reg)
}

// A job whose directory cannot be written fails, is counted, and neither
// stops the other job nor the next tick.
func TestSchedulerFailedJobGoesOn(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	tmp := t.TempDir()
	// Root ignores permissions: a regular file where the directory should
	// be makes it unwritable for anyone.
	blocked := filepath.Join(tmp, "blocked")
	if err := os.WriteFile(blocked, []byte("not a dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(tmp, "good")
	reg := prometheus.NewRegistry()
	s, err := export.New(export.Options{
		Registerer: reg,
		Jobs: []export.Job{
			{Name: "bad", Schedule: "0 6 * * *", What: export.OnCallLoad, Format: "csv", Dir: blocked},
			{Name: "good", Schedule: "0 6 * * *", What: export.OnCallLoad, Format: "jsonl", Dir: good},
		},
		Store: st, Analytics: analytics.DefaultConfig(fixedNow), Clock: &fakeClock{now: fixedNow},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, at := range []time.Time{fixedNow.Add(6 * time.Hour), fixedNow.Add(30 * time.Hour)} {
		s.Tick(ctx, at)
	}
	m := gather(t, reg)
	for k, want := range map[string]float64{
		`pagerlens_export_runs_total{export="bad",outcome="failure"}`:  2,
		`pagerlens_export_runs_total{export="bad",outcome="success"}`:  0,
		`pagerlens_export_runs_total{export="good",outcome="success"}`: 2,
		`pagerlens_export_runs_total{export="good",outcome="failure"}`: 0,
	} {
		if got, ok := m[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := m[`pagerlens_export_last_success_timestamp_seconds{export="bad"}`]; ok {
		t.Error("bad job has a last success")
	}
	if got := strings.Join(names(t, good), " "); got != "oncall_load-30d-2026-03-09.jsonl oncall_load-30d-2026-03-10.jsonl" {
		t.Errorf("good dir: %s", got)
	}
}

// A panicking run is a failure, not a crash.
func TestSchedulerRecoversPanic(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := export.New(export.Options{
		Registerer: reg,
		Jobs:       []export.Job{{Name: "p", Schedule: "@daily", What: export.MTTx, Format: "csv", Dir: t.TempDir()}},
		RunFunc: func(context.Context, *store.Store, export.Job, time.Time, analytics.Config) (export.Result, error) {
			panic("boom")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunJob(context.Background(), s.Jobs()[0], fixedNow); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err %v", err)
	}
	if got := gather(t, reg)[`pagerlens_export_runs_total{export="p",outcome="failure"}`]; got != 1 {
		t.Errorf("failures %v", got)
	}
}

func TestJobValidate(t *testing.T) {
	ok := export.Job{Name: "x", Schedule: "0 6 * * 1", What: export.MTTx, Format: "csv", Dir: "/tmp/x"}
	for _, tc := range []struct {
		name string
		edit func(*export.Job)
		err  string // "" = valid
	}{
		{"ok", func(*export.Job) {}, ""},
		{"dotdot pattern", func(j *export.Job) { j.Filename = "../{what}-{date}.{ext}" }, "directory part"},
		{"dotdot in name", func(j *export.Job) { j.Filename = "a..{date}.csv" }, `".."`},
		{"absolute pattern", func(j *export.Job) { j.Filename = "/etc/{date}.csv" }, "directory part"},
		{"subdir", func(j *export.Job) { j.Filename = "sub/{date}.csv" }, "directory part"},
		{"backslash", func(j *export.Job) { j.Filename = `sub\{date}.csv` }, "directory part"},
		{"escape through name", func(j *export.Job) { j.Name = "../../etc"; j.Filename = "{name}-{date}.csv" }, "directory part"},
		{"hidden", func(j *export.Job) { j.Filename = ".{date}.csv" }, "dot"},
		{"unknown placeholder", func(j *export.Job) { j.Filename = "{team}.csv" }, "unknown placeholder"},
		{"bad what", func(j *export.Job) { j.What = "everything" }, "what"},
		{"bad format", func(j *export.Job) { j.Format = "xlsx" }, "format"},
		{"report format", func(j *export.Job) { j.What = export.FatigueReport; j.Format = "csv" }, "format"},
		{"report ok", func(j *export.Job) { j.What = export.FatigueReport; j.Format = "html" }, ""},
		{"bad window", func(j *export.Job) { j.Window = "forever" }, "window"},
		{"no dir", func(j *export.Job) { j.Dir = "" }, "dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ok
			tc.edit(&j)
			err := j.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

// A symlink in the export dir cannot redirect a write or a removal to a
// file outside it.
func TestSymlinkCannotEscape(t *testing.T) {
	st := testkit.SynthStore(t, fixedNow)
	dir, outside := t.TempDir(), t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Today's export name and an older one of the same job point outside.
	for _, n := range []string{"mttx-30d-2026-03-09.csv", "mttx-30d-2026-01-01.csv"} {
		if err := os.Symlink(victim, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	job := export.Job{What: export.MTTx, Format: "csv", Dir: dir, Retention: 1}
	res, err := export.Run(context.Background(), st, job, fixedNow, analytics.DefaultConfig(fixedNow))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Fatalf("file outside dir changed: %q", b)
	}
	fi, err := os.Lstat(res.Path)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("export is not a regular file: %v %v", fi, err)
	}
	if got := strings.Join(names(t, dir), " "); got != "mttx-30d-2026-03-09.csv" {
		t.Errorf("dir: %s", got)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("retention removed the link's target: %v", err)
	}
}

func TestParseSchedule(t *testing.T) {
	from := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		name, spec, tz string
		next           time.Time
		err            bool
	}{
		{"utc", "CRON_TZ=UTC 0 6 * * 1", "", time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC), false},
		{"prefix zone", "CRON_TZ=Europe/Berlin 0 6 * * 1", "", time.Date(2026, 3, 9, 5, 0, 0, 0, time.UTC), false},
		{"field zone", "0 6 * * 1", "America/New_York", time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC), false},
		{"both", "CRON_TZ=UTC 0 6 * * 1", "Europe/Berlin", time.Time{}, true},
		{"bad zone", "0 6 * * 1", "Mars/Olympus", time.Time{}, true},
		{"bad spec", "every monday", "", time.Time{}, true},
		{"empty", "", "", time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sch, err := export.Job{Name: "j", Schedule: tc.spec, Timezone: tc.tz}.ParseSchedule()
			if tc.err {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sch.Next(from); !got.Equal(tc.next) {
				t.Errorf("next %v, want %v", got.UTC(), tc.next)
			}
		})
	}
}
