package export

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" driver, for Parquet
)

// WriteCSV writes t with a header row. Times are RFC 3339 UTC, no value is
// an empty field, floats use the shortest exact decimal.
func WriteCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, v := range row {
			rec[i] = csvValue(v)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// WriteJSONL writes one JSON object per row, keys in column order (a map
// would sort them).
func WriteJSONL(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	keys := make([][]byte, len(t.Columns))
	for i, c := range t.Columns {
		k, _ := json.Marshal(c.Name)
		keys[i] = k
	}
	for _, row := range t.Rows {
		bw.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(keys[i])
			bw.WriteByte(':')
			if tv, ok := v.(time.Time); ok {
				v = tv.UTC().Format(time.RFC3339Nano)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("jsonl: column %s: %w", t.Columns[i].Name, err)
			}
			bw.Write(b)
		}
		bw.WriteString("}\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("jsonl: %w", err)
	}
	return nil
}

// WriteParquet writes t to path through DuckDB: the rows go into a table of
// an in-memory database with the columns' types, then COPY … (FORMAT
// parquet). The store's own connection is not used, so an export never
// holds a transaction on it.
func WriteParquet(ctx context.Context, path string, t Table) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	defer db.Close()
	// One connection: the table lives in it.
	db.SetMaxOpenConns(1)
	defs := make([]string, len(t.Columns))
	ph := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		defs[i] = quoteIdent(c.Name) + " " + c.Type
		ph[i] = fmt.Sprintf("CAST($%d AS %s)", i+1, c.Type)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE x ("+strings.Join(defs, ", ")+")"); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	if len(t.Rows) > 0 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, "INSERT INTO x VALUES ("+strings.Join(ph, ", ")+")")
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("parquet: %w", err)
		}
		for _, row := range t.Rows {
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				stmt.Close()
				tx.Rollback()
				return fmt.Errorf("parquet: insert: %w", err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
	}
	// COPY takes no parameter for its target: the path is quoted as a
	// string literal (it is our own temp file name in the job's dir).
	if _, err := db.ExecContext(ctx, "COPY x TO "+quoteString(path)+" (FORMAT parquet)"); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

func quoteIdent(s string) string  { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// writeAtomic creates name in dir by writing a temp file next to it and
// renaming it into place, so a reader never sees a partial export and a
// failed run leaves the previous files as they were. All file operations go
// through an os.Root on dir: a symlink inside dir cannot redirect a write or
// a removal outside it. fill writes the content, either to the open file
// or, for writers that need a path (DuckDB's COPY), to tmpPath.
func writeAtomic(dir, name string, fill func(f *os.File, tmpPath string) error) (string, error) {
	if err := plainName(name); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("export dir: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("export dir: %w", err)
	}
	defer root.Close()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := "." + name + ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return "", fmt.Errorf("export: create temp file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if err := fill(f, filepath.Join(dir, tmp)); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("export: close: %w", err)
	}
	done = true
	// The temp file must still be a regular file (DuckDB writes it by
	// path), and it is synced through a fresh descriptor: a writer that
	// replaced the file left the first descriptor on the old inode.
	if fi, err := root.Lstat(tmp); err != nil || !fi.Mode().IsRegular() {
		root.Remove(tmp)
		return "", fmt.Errorf("export: temp file %s is gone or not a regular file", tmp)
	}
	g, err := root.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		root.Remove(tmp)
		return "", fmt.Errorf("export: %w", err)
	}
	// Readable like any report a person shares; the directory (0750 when
	// pagerlens creates it) decides who can reach it. DuckDB's COPY
	// recreates the file with its own mode, so it is set here for all.
	serr := g.Chmod(0o644)
	if serr == nil {
		serr = g.Sync()
	}
	g.Close()
	if serr != nil {
		root.Remove(tmp)
		return "", fmt.Errorf("export: sync: %w", serr)
	}
	if err := root.Rename(tmp, name); err != nil {
		root.Remove(tmp)
		return "", fmt.Errorf("export: %w", err)
	}
	// The rename is durable only once the directory is synced.
	if d, err := root.Open("."); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return filepath.Join(dir, name), nil
}

// prune removes the job's oldest files beyond keep. A job's names differ
// only in their fixed-width {date}/{time} fields, so name order is time
// order. Only regular files and symlinks matching the job's pattern are
// touched; a symlink is removed itself, never what it points to.
func prune(dir string, j Job, keep int) ([]string, error) {
	if keep < 0 {
		return nil, nil
	}
	re, err := j.namePattern()
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	defer root.Close()
	d, err := root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() || !re.MatchString(e.Name()) {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var removed []string
	var errs []error
	for len(names) > keep {
		if err := root.Remove(names[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		} else {
			removed = append(removed, names[0])
		}
		names = names[1:]
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("retention: %w", errors.Join(errs...))
	}
	return removed, nil
}
