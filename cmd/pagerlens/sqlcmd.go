package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/internal/sqlrows"
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
			if format == "json" {
				format = sqlrows.JSONL
			}
			_, err = sqlrows.Write(cmd.OutOrStdout(), rows, format, 0)
			return err
		},
	}
	dbFlag(cmd.Flags(), &db)
	cmd.Flags().StringVar(&format, "format", "table", "output: table, csv or json")
	return cmd
}
