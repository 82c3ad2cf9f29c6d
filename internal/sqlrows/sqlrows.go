// Package sqlrows prints a SQL result the way `pagerlens sql` does: as an
// aligned table, CSV or JSON lines. The command (--db) and serve's SQL API
// share it, so `pagerlens sql --url` prints what `--db` prints.
package sqlrows

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats.
const (
	Table = "table"
	CSV   = "csv"
	JSONL = "jsonl" // one object per row: `pagerlens sql --format json`
)

// ValidFormat reports whether f is one of the formats.
func ValidFormat(f string) bool { return f == Table || f == CSV || f == JSONL }

// Write prints rows to w in format, at most max rows (0: all). truncated
// reports that rows had more.
func Write(w io.Writer, rows *sql.Rows, format string, max int) (truncated bool, err error) {
	cols, err := rows.Columns()
	if err != nil {
		return false, fmt.Errorf("query: %w", err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var (
		tw  *tabwriter.Writer
		cw  *csv.Writer
		enc *json.Encoder
	)
	switch format {
	case Table:
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	case CSV:
		cw = csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return false, err
		}
	case JSONL:
		enc = json.NewEncoder(w)
	default:
		return false, fmt.Errorf("format %q: want table, csv or jsonl", format)
	}
	n := 0
	for rows.Next() {
		if max > 0 && n == max {
			truncated = true
			break
		}
		n++
		if err := rows.Scan(ptrs...); err != nil {
			return false, fmt.Errorf("query: %w", err)
		}
		switch format {
		case Table, CSV:
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = Cell(v)
			}
			if tw != nil {
				fmt.Fprintln(tw, strings.Join(rec, "\t"))
			} else if err := cw.Write(rec); err != nil {
				return false, err
			}
		case JSONL:
			obj := make(map[string]any, len(cols))
			for i, c := range cols {
				obj[c] = JSONValue(vals[i])
			}
			if err := enc.Encode(obj); err != nil {
				return false, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("query: %w", err)
	}
	if tw != nil {
		return truncated, tw.Flush()
	}
	if cw != nil {
		cw.Flush()
		return truncated, cw.Error()
	}
	return truncated, nil
}

// Cell is a value as the table and CSV formats print it.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}

// JSONValue is a value as the JSON formats encode it.
func JSONValue(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
