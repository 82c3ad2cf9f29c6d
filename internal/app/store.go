package app

import (
	"context"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/store"
)

// OpenStore opens the store at db with analytics attached: every command
// that writes events or reads the figures needs the derived tables
// registered, and closing the store on a failed attach keeps the file from
// staying locked.
func OpenStore(ctx context.Context, db string, opts store.Options) (*store.Store, error) {
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
