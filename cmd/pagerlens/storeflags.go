package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/store"
)

// dbFlag defines --db, the store file, for the commands that take no
// --config (serve and ingest have it as an override row).
func dbFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, dbOverride.flag, store.DefaultFile, dbOverride.usage)
}

// memoryLimitFlag defines --memory-limit as serve's and ingest's.
func memoryLimitFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, memoryLimitOverride.flag, store.DefaultMemoryLimit, memoryLimitOverride.usage)
}

// openReadOnly opens an existing store read-only with analytics attached.
func openReadOnly(cmd *cobra.Command, db string) (*store.Store, error) {
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no store at %s: ingest events first (pagerlens ingest --db %s FILE) or point --db at one", db, db)
	}
	st, err := app.OpenStore(cmd.Context(), db, store.Options{ReadOnly: true})
	return st, servedHint(db, err)
}
