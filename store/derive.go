package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// The derived tables can be brought up to date in two ways:
//
//   - synchronously (the default): inside each batch's transaction, so that
//     a committed batch is in them at once;
//   - asynchronously (SetAsyncDerived, what serve and ingest use): the
//     batch's transaction only appends the events (and dead letters) and
//     commits, so the consumer can commit its offsets; a deriver goroutine
//     then updates the derived tables from every event stored since its
//     watermark, in a transaction of its own on another connection, while
//     the next batch is appended.
//
// Why: on a 2-core machine a batch's write kept about one core busy (DuckDB
// runs the small per-batch statements single-threaded), and the append +
// commit and the derived-table updates each took roughly half of it. Run
// side by side they overlap; a deriver that falls behind catches up with
// all the pending batches in one set of statements, which also amortises
// their per-statement costs.
//
// Either way derived_state.through says which events are in the derived
// tables (every event with ingested_at <= through; each batch has its own
// ingested_at, later than all stored before it). A crash between a batch's
// commit and its derivation loses nothing: CatchUpDerived, at the next
// open, derives what is past the watermark. Readers in this process call
// SyncDerived first (analytics.Compute does) and see every committed batch.

// SetAsyncDerived switches the derived-table updates off the write path (see
// above). Turning it off waits for the deriver to catch up.
func (s *Store) SetAsyncDerived(ctx context.Context, on bool) error {
	if on == s.asyncDerived.Load() {
		return nil
	}
	if !on {
		s.asyncDerived.Store(false)
		return s.SyncDerived(ctx)
	}
	if s.opts.ReadOnly {
		return errors.New("async derived tables: store is open read-only")
	}
	s.asyncDerived.Store(true)
	return nil
}

// deriver is the asynchronous updater of the derived tables.
type deriver struct {
	s       *Store
	wake    chan struct{} // a batch was queued
	stopc   chan struct{} // closed by stop
	stopped chan struct{}
	// lastCheckpoint is when the deriver last checkpointed (or started);
	// only its own goroutine uses it.
	lastCheckpoint time.Time

	mu      sync.Mutex // guards what follows
	queued  time.Time  // the newest ingested_at committed by WriteBatch
	rows    int        // events stored after through, up to queued
	through time.Time  // the newest ingested_at in the derived tables
	err     error      // the last derivation's error; nil after a success
	// changed is closed and replaced whenever through or err change, to
	// wake SyncDerived's waiters.
	changed chan struct{}
}

// startDeriver starts s's deriver at the store's watermark. Called with
// writeMu held, on the first asynchronous batch.
func (s *Store) startDeriver(ctx context.Context) (*deriver, error) {
	through, err := s.derivedThrough(ctx)
	if err != nil {
		return nil, err
	}
	d := &deriver{s: s, wake: make(chan struct{}, 1), stopc: make(chan struct{}), stopped: make(chan struct{}),
		through: through, queued: through, changed: make(chan struct{}), lastCheckpoint: time.Now()}
	s.derMu.Lock()
	s.der = d
	s.derMu.Unlock()
	go d.run()
	return d, nil
}

// queue records a committed batch (its ingested_at and stored count).
func (d *deriver) queue(at time.Time, stored int) {
	d.mu.Lock()
	d.queued = at
	d.rows += stored
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// failed returns the last derivation error, if the deriver is failing.
func (d *deriver) failed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

func (d *deriver) run() {
	defer close(d.stopped)
	backoff := 200 * time.Millisecond
	for {
		d.mu.Lock()
		behind := d.queued.After(d.through)
		target, rows, from := d.queued, d.rows, d.through
		d.mu.Unlock()
		if !behind {
			select {
			case <-d.wake:
				continue
			case <-d.stopc:
				return
			}
		}
		// Not the caller's context: the batch is committed and must reach
		// the derived tables; stop (Close) waits for it.
		err := d.s.deriveRange(context.Background(), from, target, rows)
		d.mu.Lock()
		if err == nil {
			d.through, d.err = target, nil
			d.rows -= rows
		} else {
			d.err = fmt.Errorf("update derived tables: %w", err)
		}
		close(d.changed)
		d.changed = make(chan struct{})
		d.mu.Unlock()
		if err == nil {
			backoff = 200 * time.Millisecond
			d.maybeCheckpoint()
			continue
		}
		select {
		case <-time.After(backoff):
		case <-d.stopc:
			return // the next open catches up (CatchUpDerived)
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// When the deriver checkpoints the WAL into the file. checkpointWAL is the
// size past which it always does: the same as the checkpoint_threshold
// every connection sets (store.go), which amortises a checkpoint over large
// batches. Under a steady trickle of small batches (webhooks, a few events
// a commit) that threshold is far too late: rows not yet checkpointed stay
// in DuckDB's memory (measured: ~0.7 KiB an event for 2-event commits,
// 17 MiB for 24k events, back to 1 MiB after the checkpoint), so serve's
// RSS climbed by ~100 MiB over 10 minutes at 170 webhook requests/s
// (issue 23). So a WAL past checkpointSteadyWAL (DuckDB's own default
// threshold) is checkpointed too once checkpointSteadyEvery has passed since
// the last checkpoint: a bulk load still reaches 256 MB within that time and
// checkpoints as before.
var (
	checkpointWAL         int64 = 256 << 20
	checkpointSteadyWAL   int64 = 16 << 20
	checkpointSteadyEvery       = time.Minute
)

// checkpointDue says whether a WAL of walSize bytes, sinceLast after the
// last checkpoint, is to be checkpointed now.
func checkpointDue(walSize int64, sinceLast time.Duration) bool {
	return walSize >= checkpointWAL || (walSize >= checkpointSteadyWAL && sinceLast >= checkpointSteadyEvery)
}

// maybeCheckpoint checkpoints the WAL into the file when checkpointDue
// says so. DuckDB checkpoints by itself at a commit only when no other
// transaction is running, and with the appends and the derivations side by
// side there nearly always is one: measured, the WAL grew to 585 MB over
// 1.9M events without a checkpoint. So the deriver takes the write lock
// (the next append waits) and runs FORCE CHECKPOINT, which waits for
// running readers (a snapshot) and then blocks new ones until it is done.
func (d *deriver) maybeCheckpoint() {
	fi, err := os.Stat(d.s.path + ".wal")
	if err != nil || !checkpointDue(fi.Size(), time.Since(d.lastCheckpoint)) {
		return
	}
	// TryLock: Close, Rebuild and Merge hold the write lock while they
	// stop the deriver; it must not wait for them.
	for !d.s.writeMu.TryLock() {
		select {
		case <-d.stopc:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	defer d.s.writeMu.Unlock()
	start := time.Now()
	if _, err := d.s.db.ExecContext(context.Background(), `FORCE CHECKPOINT`); err != nil {
		// Not fatal: the WAL is replayed on open; DuckDB retries at a
		// later commit and so do we after the next derivation.
		d.s.traceStep("derive: checkpoint failed: "+err.Error(), time.Since(start))
		return
	}
	d.lastCheckpoint = time.Now()
	d.s.traceStep("derive: checkpoint", time.Since(start))
}

// stop lets the deriver finish what is queued (one attempt, if it is not
// failing) and ends it.
func (d *deriver) stop() {
	close(d.stopc)
	<-d.stopped
}

// SyncDerived waits until every batch committed before the call is in the
// derived tables. It returns the deriver's error if a derivation failed
// meanwhile (the deriver keeps retrying).
func (s *Store) SyncDerived(ctx context.Context) error {
	s.derMu.Lock()
	d := s.der
	s.derMu.Unlock()
	if d == nil {
		return nil
	}
	d.mu.Lock()
	target := d.queued
	for d.through.Before(target) {
		if d.err != nil {
			err := d.err
			d.mu.Unlock()
			return err
		}
		ch := d.changed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-d.stopped:
			d.mu.Lock()
			caught := !d.through.Before(target)
			d.mu.Unlock()
			if caught {
				return nil
			}
			// Stopped before this batch was derived (Close after a
			// failure): the next open catches up.
			return errors.New("update derived tables: the store was closed first")
		case <-ctx.Done():
			return ctx.Err()
		}
		d.mu.Lock()
	}
	d.mu.Unlock()
	return nil
}

// derivedThrough reads the watermark (zero for a store with no events).
func (s *Store) derivedThrough(ctx context.Context) (time.Time, error) {
	var t sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT max(through) FROM derived_state`).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read derived watermark of %s: %w", s.path, err)
	}
	return t.Time, nil
}

// deriveRange updates every derived table from the events with ingested_at
// in (from, to] (rows of them; a LIMIT that keeps DuckDB's estimate
// honest) and moves the watermark to to, in one transaction on a
// connection of its own.
func (s *Store) deriveRange(ctx context.Context, from, to time.Time, rows int) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	cond := `ingested_at <= ` + tsLiteral(to)
	if !from.IsZero() {
		cond = `ingested_at > ` + tsLiteral(from) + ` AND ` + cond
	}
	view := `CREATE OR REPLACE TEMP VIEW new_events AS SELECT * FROM events WHERE ` + cond
	if rows > 0 {
		view += ` LIMIT ` + strconv.Itoa(rows)
	}
	if _, err := tx.ExecContext(ctx, view); err != nil {
		return fmt.Errorf("new_events view: %w", err)
	}
	start := time.Now()
	for _, d := range s.derived {
		for _, q := range d.Update {
			st := time.Now()
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("update %s: %w", d.Name, err)
			}
			s.traceStep("derive: "+firstLine(q), time.Since(st))
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE derived_state SET through = $1`, to); err != nil {
		return fmt.Errorf("move derived watermark: %w", err)
	}
	st := time.Now()
	if err := tx.Commit(); err != nil {
		return err
	}
	s.traceStep("derive: COMMIT", time.Since(st))
	s.traceStep("derive: total", time.Since(start))
	return nil
}

// CatchUpDerived brings the derived tables up to the newest stored event if
// the watermark is behind it (a crash after a batch's commit and before its
// asynchronous derivation). Call it once every derived table is registered
// (analytics.Attach does). On a read-only store that is behind it returns
// ErrDerivedStale.
func (s *Store) CatchUpDerived(ctx context.Context) (bool, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if len(s.derived) == 0 || s.deferred {
		return false, nil
	}
	through, err := s.derivedThrough(ctx)
	if err != nil {
		return false, err
	}
	var latest sql.NullTime
	var behind int
	q := `SELECT max(ingested_at), count(*) FROM events`
	args := []any{}
	if !through.IsZero() {
		q += ` WHERE ingested_at > $1`
		args = append(args, through)
	}
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&latest, &behind); err != nil {
		return false, fmt.Errorf("read events past the derived watermark of %s: %w", s.path, err)
	}
	if behind == 0 {
		return false, nil
	}
	if s.opts.ReadOnly {
		return false, fmt.Errorf("store %s: %w (%d events past the watermark); open it once read-write (pagerlens serve, ingest or rebuild) to bring them up", s.path, ErrDerivedStale, behind)
	}
	if err := s.deriveRange(ctx, through, latest.Time, behind); err != nil {
		return false, fmt.Errorf("catch up derived tables of %s with %d events: %w", s.path, behind, err)
	}
	return true, nil
}

func tsLiteral(t time.Time) string {
	return `TIMESTAMP '` + t.UTC().Format("2006-01-02 15:04:05.000000") + `'`
}

// traceStep reports a step to the trace function, if any.
func (s *Store) traceStep(step string, d time.Duration) {
	s.traceMu.Lock()
	f := s.trace
	s.traceMu.Unlock()
	if f != nil {
		f(step, d)
	}
}

// stopDeriver ends the deriver, if one runs, after what is queued. Rebuild,
// Merge and DeferDerived call it (with writeMu held) before they rewrite the
// derived tables themselves; the next asynchronous batch starts a new one
// at the new watermark.
func (s *Store) stopDeriver() {
	s.derMu.Lock()
	d := s.der
	s.der = nil
	s.derMu.Unlock()
	if d != nil {
		d.stop()
	}
}

// markDerivedThrough moves the watermark to the newest stored event, in tx,
// after the derived tables were rebuilt from all of them.
func markDerivedThrough(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE derived_state SET through = (SELECT max(ingested_at) FROM events)`); err != nil {
		return fmt.Errorf("move derived watermark: %w", err)
	}
	return nil
}
