package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/store"
)

func newSQLCmd() *cobra.Command {
	var db, format string
	cmd := &cobra.Command{
		Use:   "sql --db FILE 'SELECT …'",
		Short: "Run a read-only SQL query against the store",
		Long: `sql opens the DuckDB file read-only and prints the query's result. Writes are
refused by DuckDB. The tables are documented in docs/schema.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if format != "table" && format != "csv" && format != "json" {
				return usageErrorf("--format %q: want table, csv or json", format)
			}
			ctx := cmd.Context()
			st, err := store.Open(ctx, db, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.DB().QueryContext(ctx, args[0])
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			defer rows.Close()
			return printRows(cmd.OutOrStdout(), rows, format)
		},
	}
	dbFlag(cmd.Flags(), &db)
	cmd.Flags().StringVar(&format, "format", "table", "output: table, csv or json")
	return cmd
}

func printRows(w io.Writer, rows *sql.Rows, format string) error {
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("query: %w", err)
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
	case "table":
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	case "csv":
		cw = csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return err
		}
	case "json":
		enc = json.NewEncoder(w)
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		switch format {
		case "table", "csv":
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = cell(v)
			}
			if tw != nil {
				fmt.Fprintln(tw, strings.Join(rec, "\t"))
			} else if err := cw.Write(rec); err != nil {
				return err
			}
		case "json":
			obj := make(map[string]any, len(cols))
			for i, c := range cols {
				obj[c] = jsonValue(vals[i])
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	if tw != nil {
		return tw.Flush()
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	return nil
}

func cell(v any) string {
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

func jsonValue(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
