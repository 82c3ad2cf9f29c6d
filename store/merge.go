package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MergeResult counts what Merge added.
type MergeResult struct {
	Sources     int
	Events      int64 // events added to the destination
	Duplicates  int64 // source events whose id was already there or in an earlier source
	DeadLetters int64
}

// Merge adds the events and dead letters of the store files srcs to s, so
// that s holds the union of several shards' stores (docs/scaling.md). Each
// source is ATTACHed read-only; nothing is written to it. Events are
// deduplicated by id, against s and across the sources: a batch that was
// redelivered to another shard after a crash (stored, offsets not committed)
// is in two sources and counts once. Dead letters are deduplicated by their
// (topic, partition, offset). The derived tables registered on s (analytics
// Attach) are then rebuilt, in the same transaction.
//
// Merging the same sources twice adds nothing. The sources must have this
// build's schema version: open an older one read-write once to migrate it.
func Merge(ctx context.Context, s *Store, srcs []string) (MergeResult, error) {
	res := MergeResult{Sources: len(srcs)}
	if s.opts.ReadOnly {
		return res, errors.New("merge: the destination store is open read-only")
	}
	if len(srcs) == 0 {
		return res, errors.New("merge: no source stores given")
	}
	self, err := filepath.Abs(s.path)
	if err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	for _, src := range srcs {
		abs, err := filepath.Abs(src)
		if err != nil {
			return res, fmt.Errorf("merge %s: %w", src, err)
		}
		if abs == self {
			return res, fmt.Errorf("merge %s: it is the destination store", src)
		}
		if _, err := os.Stat(src); err != nil {
			return res, fmt.Errorf("merge %s: %w", src, err)
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.stopDeriver()
	// ATTACH is per connection pool, but a transaction pins one connection:
	// attach, copy and detach on it so that no other query sees the sources.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	defer conn.Close()
	aliases := make([]string, len(srcs))
	for i, src := range srcs {
		aliases[i] = fmt.Sprintf("merge_src_%d", i)
		q := fmt.Sprintf(`ATTACH '%s' AS %s (READ_ONLY)`, strings.ReplaceAll(src, "'", "''"), aliases[i])
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return res, fmt.Errorf("merge: attach %s: %w", src, classifyOpenError(src, err))
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `DETACH `+aliases[i]) //nolint:errcheck // best effort; the connection closes next
		var version int
		if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+aliases[i]+`.schema_migrations`).Scan(&version); err != nil {
			return res, fmt.Errorf("merge %s: read schema version (is this a pagerlens store?): %w", src, err)
		}
		if version != SchemaVersion() {
			return res, fmt.Errorf("merge %s: schema version %d, this build reads %d: open it once read-write with this pagerlens (or upgrade pagerlens)", src, version, SchemaVersion())
		}
	}
	var events, deads []string
	for _, a := range aliases {
		events = append(events, fmt.Sprintf(`SELECT * FROM %s.events`, a))
		deads = append(deads, fmt.Sprintf(`SELECT * FROM %s.dead_letters`, a))
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+strings.Join(events, " UNION ALL ")+`)`).Scan(&total); err != nil {
		return res, fmt.Errorf("merge: count source events: %w", err)
	}
	// One row per id: the copy ingested first, which is the one the
	// sources agree on when a redelivered batch was stored twice (the two
	// copies differ only in ingested_at).
	q := `INSERT INTO events BY NAME
		SELECT * EXCLUDE (merge_rank) FROM (
			SELECT *, row_number() OVER (PARTITION BY id ORDER BY ingested_at, kafka_topic, kafka_partition, kafka_offset) AS merge_rank
			FROM (` + strings.Join(events, " UNION ALL ") + `) AS u
			WHERE u.id NOT IN (SELECT id FROM events)
		) WHERE merge_rank = 1`
	r, err := tx.ExecContext(ctx, q)
	if err != nil {
		return res, fmt.Errorf("merge: copy events: %w", err)
	}
	if res.Events, err = r.RowsAffected(); err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	res.Duplicates = total - res.Events
	q = `INSERT INTO dead_letters BY NAME
		SELECT * EXCLUDE (merge_rank) FROM (
			SELECT *, row_number() OVER (PARTITION BY topic, partition, "offset" ORDER BY received_at) AS merge_rank
			FROM (` + strings.Join(deads, " UNION ALL ") + `) AS u
			WHERE NOT EXISTS (SELECT 1 FROM dead_letters d
				WHERE d.topic IS NOT DISTINCT FROM u.topic AND d.partition IS NOT DISTINCT FROM u.partition
				AND d."offset" IS NOT DISTINCT FROM u."offset")
		) WHERE merge_rank = 1`
	if r, err = tx.ExecContext(ctx, q); err != nil {
		return res, fmt.Errorf("merge: copy dead letters: %w", err)
	}
	if res.DeadLetters, err = r.RowsAffected(); err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	// The derived tables are re-derived from the merged events rather than
	// merged: an incident's timeline is only right when all its events
	// are there, and producers keyed by incident make that true per shard
	// but a rebuild makes it true whatever the keying.
	for _, d := range s.derived {
		for _, q := range d.Rebuild {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return res, fmt.Errorf("merge: rebuild %s: %w", d.Name, err)
			}
		}
	}
	if len(s.derived) > 0 {
		if err := markDerivedThrough(ctx, tx); err != nil {
			return res, fmt.Errorf("merge: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("merge: %w", err)
	}
	return res, nil
}
