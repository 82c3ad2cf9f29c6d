package app

import (
	"context"

	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/ingest/importers/pagerduty"
	"github.com/pagerlens/pagerlens/store"
)

// ImportPagerDuty runs one PagerDuty REST import (docs/import.md) into the
// store at db with analytics attached, so that the imported events get
// their derived rows as live ones do. The importers of other vendors go
// beside it, one function each.
func ImportPagerDuty(ctx context.Context, db string, opts store.Options, o pagerduty.Options) (importers.Summary, error) {
	st, err := OpenStore(ctx, db, opts)
	if err != nil {
		return importers.Summary{}, err
	}
	defer st.Close()
	return pagerduty.Import(ctx, st, o)
}
