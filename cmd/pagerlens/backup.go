package main

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/store"
)

func newBackupCmd() *cobra.Command {
	var db, out, restore string
	cmd := &cobra.Command{
		Use:   "backup --db FILE --dir DIR | backup --restore DIR --db NEWFILE",
		Short: "Export the store to a directory (DuckDB EXPORT DATABASE), or restore one",
		Long: `backup writes a consistent copy of the store to --dir with DuckDB's
EXPORT DATABASE: the schema and every table as Parquet, read in one
transaction. It opens the file read-only, so it needs the file not held by
a running serve or ingest (DuckDB allows one process per file): back up a
stopped instance or an HA replica; see docs/operations.md.

--restore DIR rebuilds a new store file at --db from such a directory
(IMPORT DATABASE). The file must not exist yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if (out == "") == (restore == "") {
				return usageErrorf("backup: give exactly one of --dir DIR (back up) or --restore DIR (restore)")
			}
			if restore != "" {
				return restoreStore(cmd, restore, db)
			}
			return backupStore(cmd, db, out)
		},
	}
	f := cmd.Flags()
	dbFlag(f, &db)
	dirFlag(f, &out, "", "directory to export into (must not exist, or be empty)")
	f.StringVar(&restore, "restore", "", "directory written by backup, to restore into a new --db file")
	return cmd
}

func backupStore(cmd *cobra.Command, db, out string) error {
	ctx := cmd.Context()
	if err := emptyOrMissing(out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	st, err := store.Open(ctx, db, store.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer st.Close()
	c, err := st.Count(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// EXPORT DATABASE reads every table in one transaction: the copy is
	// consistent even if the file had uncheckpointed WAL.
	if _, err := st.DB().ExecContext(ctx, fmt.Sprintf(`EXPORT DATABASE %s (FORMAT parquet)`, sqlString(out))); err != nil {
		return fmt.Errorf("backup %s to %s: %w", db, out, err)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s: %d events, %d dead letters\n", db, out, c.Events, c.DeadLetters)
	return err
}

func restoreStore(cmd *cobra.Command, dir, db string) error {
	ctx := cmd.Context()
	if _, err := os.Stat(filepath.Join(dir, "schema.sql")); err != nil {
		return fmt.Errorf("restore: %s is not a backup directory (no schema.sql): %w", dir, err)
	}
	// Never import over a live or existing store: the schema would clash
	// and a half-imported file could be mistaken for a good one.
	if _, err := os.Stat(db); err == nil {
		return fmt.Errorf("restore: %s exists; restore into a new file and swap it in while pagerlens is stopped", db)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	raw, err := sql.Open("duckdb", db)
	if err != nil {
		return fmt.Errorf("restore into %s: %w", db, err)
	}
	if _, err := raw.ExecContext(ctx, fmt.Sprintf(`IMPORT DATABASE %s`, sqlString(dir))); err != nil {
		raw.Close()
		_ = os.Remove(db)
		_ = os.Remove(db + ".wal")
		return fmt.Errorf("restore %s into %s: %w", dir, db, err)
	}
	if err := raw.Close(); err != nil {
		return fmt.Errorf("restore into %s: %w", db, err)
	}
	// Reopen as pagerlens does: checks the schema version the backup holds
	// and migrates it if it came from an older pagerlens.
	st, err := store.Open(ctx, db, store.DefaultOptions())
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer st.Close()
	c, err := st.Count(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "restored %s from %s: %d events, %d dead letters\n", db, dir, c.Events, c.DeadLetters)
	return err
}

// emptyOrMissing refuses to export over an earlier backup.
func emptyOrMissing(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: give a new directory for each backup", dir)
	}
	return nil
}

// sqlString quotes s as a SQL string literal (EXPORT and IMPORT DATABASE
// take no bind parameters).
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
