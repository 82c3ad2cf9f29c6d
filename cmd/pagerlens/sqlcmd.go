package main

import (
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/internal/apiclient"
	"github.com/pagerlens/pagerlens/internal/server/api"
	"github.com/pagerlens/pagerlens/internal/sqlrows"
	"github.com/pagerlens/pagerlens/store"
)

func newSQLCmd() *cobra.Command {
	var db, format string
	var uf urlFlags
	cmd := &cobra.Command{
		Use:   "sql --db FILE 'SELECT …'",
		Short: "Run a read-only SQL query against the store",
		Long: `sql opens the DuckDB file read-only and prints the query's result. Writes are
refused by DuckDB. The tables are documented in docs/schema.md.

--url asks a running serve instead (it holds the file), if its config turns
the SQL API on (api: {sql: true}; docs/operations.md): one SELECT, read-only,
at most api.max_rows rows and api.timeout long.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if format != "table" && format != "csv" && format != "json" {
				return usageErrorf("--format %q: want table, csv or json", format)
			}
			ctx := cmd.Context()
			if format == "json" {
				format = sqlrows.JSONL
			}
			client, err := uf.client(cmd)
			if err != nil {
				return err
			}
			if client != nil {
				return remoteSQL(cmd, client, args[0], format)
			}
			st, err := store.Open(ctx, db, store.Options{ReadOnly: true})
			if err != nil {
				return servedHint(db, err)
			}
			defer st.Close()
			rows, err := st.DB().QueryContext(ctx, args[0])
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			defer rows.Close()
			_, err = sqlrows.Write(cmd.OutOrStdout(), rows, format, 0)
			return err
		},
	}
	dbFlag(cmd.Flags(), &db)
	cmd.Flags().StringVar(&format, "format", "table", "output: table, csv or json")
	uf.register(cmd.Flags())
	return cmd
}

// remoteSQL asks serve's POST /api/v1/sql, which prints as this command
// does (internal/sqlrows); a result cut at serve's api.max_rows says so on
// stderr.
func remoteSQL(cmd *cobra.Command, c *apiclient.Client, query, format string) error {
	resp, err := c.Post(cmd.Context(), "/api/v1/sql", url.Values{"format": {format}}, query)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(cmd.OutOrStdout(), resp.Body); err != nil {
		return err
	}
	if resp.Header.Get(api.TruncatedHeader) == "true" {
		fmt.Fprintln(cmd.ErrOrStderr(), "pagerlens: the result was cut at serve's row limit (api.max_rows)")
	}
	return nil
}
