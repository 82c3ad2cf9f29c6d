package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/store"
)

func newRebuildCmd() *cobra.Command {
	var db, memoryLimit string
	// The help is generic on purpose: the derived tables are whatever
	// analytics.Attach registers, a set that grows with the analytics, and
	// a list here went stale once already.
	cmd := &cobra.Command{
		Use:   "rebuild --db FILE",
		Short: "Re-derive every derived analytics table from the stored events",
		Long: `rebuild re-derives, from the events table and in one transaction, every
derived table that pagerlens keeps up to date per batch (the incident
timeline, alert lives and the narrower per-section tables the analytics
read). The result equals what incremental ingest maintains; run it after
upgrading pagerlens when the release notes say so, or to check a store. It
needs the file to itself: stop pagerlens serve first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no store at %s: nothing to rebuild", db)
			}
			ctx := cmd.Context()
			st, err := app.OpenStore(ctx, db, store.Options{MemoryLimit: memoryLimit})
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			if err := st.Rebuild(ctx); err != nil {
				return err
			}
			c, err := st.Count(ctx)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "rebuilt the analytics tables of %s from %d events in %s\n",
				db, c.Events, time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	f := cmd.Flags()
	dbFlag(f, &db)
	memoryLimitFlag(f, &memoryLimit)
	return cmd
}
