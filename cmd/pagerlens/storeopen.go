package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/store"
)

// openStore opens the store at db with analytics attached: every command
// that writes events or reads the figures needs the derived tables
// registered, and closing the store on a failed attach keeps the file from
// staying locked.
func openStore(ctx context.Context, db string, opts store.Options) (*store.Store, error) {
	st, err := store.Open(ctx, db, opts)
	if err != nil {
		return nil, err
	}
	if err := analytics.Attach(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// openReadOnly opens an existing store read-only with analytics attached.
func openReadOnly(cmd *cobra.Command, db string) (*store.Store, error) {
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no store at %s: ingest events first (pagerlens ingest --db %s FILE) or point --db at one", db, db)
	}
	return openStore(cmd.Context(), db, store.Options{ReadOnly: true})
}
