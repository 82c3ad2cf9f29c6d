package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The native memory keeper (issue 23).
//
// DuckDB 1.5 leaks, under a steady stream of small queries, the entries of
// its buffer pool's eviction queues. Every buffer a query allocates through
// the buffer manager (a hash aggregate's or hash join's partitions, a temp
// table's rows) gets a queue entry when it is unpinned; the entry holds a
// weak_ptr, which keeps the buffer's control block (a few hundred bytes)
// allocated after the buffer itself is gone. The queue is meant to purge
// such dead entries every 4,096 insertions, but in 1.5 the purge undercounts
// them and mostly dequeues its own re-enqueued live entries (moodycamel
// keeps one sub-queue per producer thread), so dead entries pile up:
// measured ~2 KiB of C heap for each derivation of a two-alert batch
// (alert_lives' refold: a GROUP BY and a hash join), ~3 KiB for each run of
// that query alone with no write at all, none with no derived tables. At
// 200 webhook requests/s that was serve's remaining ~10 MiB/min RSS growth.
// heaptrack attributed it to EvictionQueue::AddToEvictionQueue; DuckDB fixed
// the purge on its main branch in May 2026 ("Fix eviction queue purge:
// dead-node accounting and moodycamel sub-queue churn"), after the 1.5 line
// this build uses.
//
// The one way to empty those queues from SQL is an eviction that cannot
// reach its target: SET memory_limit below what DuckDB holds pinned walks
// every queue to its end, dropping each dead entry (and unloading every
// buffer it can: table blocks are read back from the file on their next
// use, temporary ones go to the temp directory), then fails with an
// out-of-memory error and keeps the old limit. The keeper does that, and
// sets the configured limit again (the failed SET leaves the setting's
// displayed value at 0), whenever the C heap that DuckDB does not account
// for has grown by releaseGrowth since the last release, then trims glibc's
// heap so the RSS falls too. Checked every releaseCheckEvery: at 200
// requests/s that is a release every minute or so; a store that only serves
// reads or sits idle seldom or never needs one.
var (
	releaseCheckEvery        = 15 * time.Second
	releaseGrowth     uint64 = 8 << 20
)

// NativeMemory is what the keeper last saw and did.
type NativeMemory struct {
	// HeapInUse is the C heap in use (glibc's malloc). Measured, DuckDB's
	// buffer pool is not all of it, nor all in it: compare it with
	// MemoryUsage, not add them.
	HeapInUse uint64
	// Releases counts the eviction-queue releases since the store opened.
	Releases int64
}

// keeper runs the release check until stop.
type keeper struct {
	s       *Store
	stopc   chan struct{}
	stopped chan struct{}
	once    sync.Once // Close may run more than once

	mu sync.Mutex // guards what follows
	// baseline is the unaccounted C heap after the last release (or the
	// first check).
	baseline uint64
	haveBase bool
	last     NativeMemory
}

func (s *Store) startKeeper() {
	k := &keeper{s: s, stopc: make(chan struct{}), stopped: make(chan struct{})}
	s.keeper = k
	go k.run()
}

func (k *keeper) run() {
	defer close(k.stopped)
	t := time.NewTicker(releaseCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-k.stopc:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := k.check(ctx); err != nil {
			k.s.traceStep("native memory: "+err.Error(), 0)
		}
		cancel()
	}
}

func (k *keeper) stop() {
	k.once.Do(func() { close(k.stopc) })
	<-k.stopped
}

// check releases the dead eviction-queue entries if the unaccounted C heap
// grew by releaseGrowth since the last release; it reports whether it did.
func (k *keeper) check(ctx context.Context) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	unaccounted, heap, err := k.s.unaccountedHeap(ctx)
	if err != nil {
		return false, err
	}
	k.last.HeapInUse = heap
	if !k.haveBase || unaccounted < k.baseline {
		k.baseline, k.haveBase = unaccounted, true
		return false, nil
	}
	if unaccounted-k.baseline < releaseGrowth {
		return false, nil
	}
	if err := k.s.releaseEvictionQueues(ctx); err != nil {
		return false, err
	}
	k.last.Releases++
	if unaccounted, heap, err = k.s.unaccountedHeap(ctx); err != nil {
		return true, err
	}
	k.baseline, k.last.HeapInUse = unaccounted, heap
	return true, nil
}

// NativeMemory reports the C heap and the keeper's releases (as of its
// last check, every 15 s).
func (s *Store) NativeMemory() NativeMemory {
	if s.keeper == nil {
		return NativeMemory{HeapInUse: cHeapInUse()}
	}
	s.keeper.mu.Lock()
	defer s.keeper.mu.Unlock()
	nm := s.keeper.last
	if nm.HeapInUse == 0 { // before the first check
		nm.HeapInUse = cHeapInUse()
	}
	return nm
}

// unaccountedHeap is the C heap in use less what DuckDB accounts for
// (duckdb_memory()): its buffer pool grows and shrinks within memory_limit
// by design and must not look like a leak.
func (s *Store) unaccountedHeap(ctx context.Context) (unaccounted, heap uint64, err error) {
	mem, _, err := s.MemoryUsage(ctx)
	if err != nil {
		return 0, 0, err
	}
	heap = cHeapInUse()
	if uint64(mem) < heap {
		unaccounted = heap - uint64(mem)
	}
	return unaccounted, heap, nil
}

// releaseEvictionQueues empties DuckDB's eviction queues of dead entries
// (see above) and trims the C heap.
func (s *Store) releaseEvictionQueues(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("release eviction queues: %w", err)
	}
	defer conn.Close()
	limit := strings.TrimSpace(s.opts.MemoryLimit)
	if limit == "" {
		if err := conn.QueryRowContext(ctx, `SELECT current_setting('memory_limit')`).Scan(&limit); err != nil {
			return fmt.Errorf("release eviction queues: read memory_limit: %w", err)
		}
	}
	// Expected to fail: DuckDB always holds some memory pinned (measured
	// 0.3 MiB on a fresh store), so 0 bytes cannot be reached. Should it
	// ever succeed, the limit is 0 until the next statement: an allocation
	// in between fails, and the writers retry.
	_, drainErr := conn.ExecContext(ctx, `SET memory_limit='0B'`)
	if _, err := conn.ExecContext(ctx, `SET memory_limit='`+strings.ReplaceAll(limit, "'", "")+`'`); err != nil {
		return fmt.Errorf("release eviction queues: restore memory_limit %s: %w", limit, err)
	}
	if drainErr != nil && !strings.Contains(drainErr.Error(), "could not free up enough memory") {
		return fmt.Errorf("release eviction queues: %w", drainErr)
	}
	mallocTrim()
	return nil
}
