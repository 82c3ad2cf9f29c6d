package importers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pagerlens/pagerlens/store"
)

// Batch is what one read made (one window, or the items a last run left
// open): written in one store transaction together with the import state,
// so that a run killed at any point stores every event once.
type Batch struct {
	Rows        []store.Row
	DeadLetters []store.DeadLetter
	// Open are the items not finished when read (incidents not resolved,
	// alerts not closed): the next run reads them again.
	Open []string
	// Bad is set when a page had the wrong shape: the read is not complete,
	// so the cursor may not move over it.
	Bad bool
}

// Plan is what a run reads, worked out from the stored import state: the
// part before the stored range ([since, origin)) if the stored range does
// not reach back to since, then [max(since, cursor), until), each split
// into windows, after the items left open by the last run.
type Plan struct {
	Since          time.Time
	Origin, Cursor time.Time
	Back, Fwd      []Window
	Pending        []string
}

// NewPlan is the plan of a run over [since, until) in windows of at most
// window, given the stored state (have is false before the first run).
func NewPlan(state store.ImportState, have bool, since, until time.Time, window time.Duration) Plan {
	p := Plan{Since: since, Origin: since, Cursor: since}
	if !have {
		p.Fwd = Split(since, until, window)
		return p
	}
	p.Origin, p.Cursor, p.Pending = state.Origin, state.Cursor, state.Pending
	if since.Before(p.Origin) {
		p.Back = Split(since, earliest(p.Origin, until), window)
	}
	from := latest(since, p.Cursor)
	if since.After(p.Cursor) {
		// A gap after the stored range: the complete range starts anew.
		p.Origin, p.Cursor = since, since
	}
	p.Fwd = Split(from, until, window)
	return p
}

// Windows is how many windows the plan reads.
func (p Plan) Windows() int { return len(p.Back) + len(p.Fwd) }

// Walk carries a Plan out for one vendor: the vendor's importer reads, Walk
// decides what is read in which order, writes each read with the state that
// holds after it, and keeps the summary and the progress.
type Walk struct {
	Source   string
	Store    *store.Store
	Summary  *Summary
	Progress *Progress
	Observer Observer
	// ReadPending reads one item left open by the last run into b.
	ReadPending func(ctx context.Context, id string, b *Batch) error
	// ReadWindow reads one window.
	ReadWindow func(ctx context.Context, w Window) (Batch, error)
}

// Run reads the items left open first (kept while still open; all kept
// when a read was incomplete), then the older windows (the origin moves back
// once they are all complete), then the newer ones (the cursor moves over
// each window as long as every window before it was complete). An error
// from a read or a write ends the run; windows whose answers had the wrong
// shape end it with an error after the rest is read, the cursor before the
// first of them.
func (wk Walk) Run(ctx context.Context, p Plan) error {
	origin, cursor, pending := p.Origin, p.Cursor, p.Pending
	state := func() store.ImportState {
		return store.ImportState{Source: wk.Source, Origin: origin, Cursor: cursor, Pending: pending}
	}
	if len(pending) > 0 {
		var b Batch
		for _, id := range p.Pending {
			if err := wk.ReadPending(ctx, id, &b); err != nil {
				return err
			}
		}
		pending = mergePending(nil, b.Open)
		if b.Bad { // keep them all, to read again
			pending = mergePending(p.Pending, b.Open)
		}
		if err := wk.write(ctx, &b, state()); err != nil {
			return err
		}
	}
	complete := true // every window so far was complete: the bound may move
	for i, w := range p.Back {
		b, err := wk.ReadWindow(ctx, w)
		if err != nil {
			return err
		}
		complete = complete && !b.Bad
		pending = mergePending(pending, b.Open)
		if i == len(p.Back)-1 && complete {
			origin = p.Since // the older part is complete as a whole
		}
		if err := wk.write(ctx, &b, state()); err != nil {
			return err
		}
		wk.windowDone(w, !b.Bad)
	}
	complete = true
	for _, w := range p.Fwd {
		b, err := wk.ReadWindow(ctx, w)
		if err != nil {
			return err
		}
		complete = complete && !b.Bad
		pending = mergePending(pending, b.Open)
		if complete && w.End.After(cursor) {
			cursor = w.End
		}
		if err := wk.write(ctx, &b, state()); err != nil {
			return err
		}
		wk.windowDone(w, !b.Bad)
	}
	wk.Summary.Cursor, wk.Summary.Pending = cursor, len(pending)
	if wk.Summary.WindowsDone < wk.Summary.Windows {
		return fmt.Errorf("%s: %d of %d windows had answers of the wrong shape (dead-lettered, see the problems); the cursor stays before the first, so the next run reads them again",
			wk.Source, wk.Summary.Windows-wk.Summary.WindowsDone, wk.Summary.Windows)
	}
	return nil
}

func (wk Walk) windowDone(w Window, complete bool) {
	if complete {
		wk.Summary.WindowsDone++
	}
	wk.Progress.WindowsDone++
	wk.Progress.Window = w
	if wk.Observer != nil {
		wk.Observer.Progress(*wk.Progress)
	}
}

// write stores one read with the state.
func (wk Walk) write(ctx context.Context, b *Batch, st store.ImportState) error {
	res, err := wk.Store.WriteBatch(ctx, store.Batch{Rows: b.Rows, DeadLetters: b.DeadLetters, State: &st})
	if err != nil {
		return fmt.Errorf("%s: %w", wk.Source, err)
	}
	wk.Summary.Stored += res.Stored
	wk.Summary.Duplicates += res.Duplicates
	wk.Summary.DeadLettered += res.DeadLettered
	return nil
}

func mergePending(a, b []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a), b...))))
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
