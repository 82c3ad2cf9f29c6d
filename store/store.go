// Package store keeps pagerlens's events in a DuckDB file: the schema and its
// migrations, idempotent batch writes through the Appender, dead letters, and
// the read connection that analytics queries.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Options configure a store.
type Options struct {
	// MemoryLimit is DuckDB's memory_limit (e.g. "1GB"). DuckDB's own default
	// is 80% of RAM, wrong for a container next to other processes.
	MemoryLimit string
	// Threads is DuckDB's worker thread count; 0 means the number of CPUs.
	Threads int
	// ReadOnly opens the file read-only (pagerlens sql, reports, exports).
	ReadOnly bool
}

// Defaults of every command that opens a store.
const (
	// DefaultFile is the DuckDB file when --db / db: is not given.
	DefaultFile = "pagerlens.duckdb"
	// DefaultMemoryLimit is DuckDB's memory_limit unless configured: it
	// suits a small (2-core, few-GiB) container.
	DefaultMemoryLimit = "1GB"
)

// DefaultOptions suit a small (2-core, few-GiB) container.
func DefaultOptions() Options { return Options{MemoryLimit: DefaultMemoryLimit} }

// Store is an open DuckDB file.
type Store struct {
	path string
	db   *sql.DB
	opts Options

	// writeMu serialises batch writes: one writer, any number of readers.
	writeMu sync.Mutex
	derived []DerivedTable
	trace   func(step string, d time.Duration)
	recent  *recentIDs // guarded by writeMu
	// deferred: derived tables are not maintained per batch (DeferDerived);
	// guarded by writeMu.
	deferred bool
	// asyncDerived: derived tables are updated by der, off the write path
	// (SetAsyncDerived, derive.go).
	asyncDerived atomic.Bool
	derMu        sync.Mutex // guards der
	der          *deriver
	traceMu      sync.Mutex // guards trace for the deriver (writeMu for WriteBatch)
	// locked: Lockdown ran; new connections inherit the global settings.
	locked *atomic.Bool
	// keeper releases the native memory DuckDB 1.5 leaks (native.go).
	keeper *keeper
}

// ErrInUse is returned when another process holds the file.
var ErrInUse = errors.New("database file is in use by another process")

// ErrNewerSchema is returned when the file was written by a newer pagerlens.
var ErrNewerSchema = errors.New("database file has a newer schema than this pagerlens supports")

var memoryLimitRe = regexp.MustCompile(`^(?i)\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)$`)

// Open opens (creating if needed) the DuckDB file at path and migrates it to
// the current schema. It never waits for a lock: a file in use by another
// process is an immediate ErrInUse.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: no database path given (--db)")
	}
	if opts.MemoryLimit != "" && !memoryLimitRe.MatchString(strings.TrimSpace(opts.MemoryLimit)) {
		return nil, fmt.Errorf("open store: memory limit %q: want a size such as 512MB or 2GB", opts.MemoryLimit)
	}
	if opts.Threads < 0 {
		return nil, fmt.Errorf("open store: threads %d: want 0 (all CPUs) or more", opts.Threads)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	} else if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	}
	dsn := path
	if opts.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	threads := opts.Threads
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	locked := new(atomic.Bool)
	init := func(ex driver.ExecerContext) error {
		if locked.Load() {
			// Lockdown set these globally before locking the
			// configuration, which now refuses any SET.
			return nil
		}
		stmts := []string{
			// A TimeZone=UTC DSN option fails; set it per connection instead, so
			// that TIMESTAMP arithmetic and casts never depend on the host zone.
			`SET TimeZone='UTC'`,
			fmt.Sprintf(`SET threads=%d`, threads),
			// DuckDB checkpoints the WAL into the file once it passes 16 MB by
			// default: with 50k-event batches that is a checkpoint every other
			// commit, which dominated the write time. 256 MB amortises it; the
			// cost is a longer WAL replay after a crash.
			`SET checkpoint_threshold='256MB'`,
			`SET preserve_insertion_order=false`,
		}
		if opts.MemoryLimit != "" {
			stmts = append(stmts, fmt.Sprintf(`SET memory_limit='%s'`, strings.TrimSpace(opts.MemoryLimit)))
		}
		for _, q := range stmts {
			if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}
	conn, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, classifyOpenError(path, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxIdleConns(4)
	s := &Store{path: path, db: db, opts: opts, recent: newRecentIDs(), locked: locked}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, classifyOpenError(path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.startKeeper()
	return s, nil
}

func classifyOpenError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock"):
		pid := ""
		if m := regexp.MustCompile(`PID (\d+)`).FindStringSubmatch(msg); m != nil {
			pid = " (PID " + m[1] + ")"
		}
		return fmt.Errorf("open store %s: %w%s; stop it, or point --db at another file", path, ErrInUse, pid)
	case strings.Contains(msg, "Read-only file system") || strings.Contains(msg, "Permission denied"):
		return fmt.Errorf("open store %s: cannot write there: %w", path, err)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether s was opened read-only (Options.ReadOnly).
func (s *Store) ReadOnly() bool { return s.opts.ReadOnly }

// DB is the read connection pool. Analytics queries it; writes go through
// WriteBatch only.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the file; DuckDB checkpoints the WAL into it.
func (s *Store) Close() error {
	// The batches already committed reach the derived tables first (else the
	// next open catches up).
	s.writeMu.Lock()
	s.stopDeriver()
	s.writeMu.Unlock()
	s.keeper.stop()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

func (s *Store) migrate(ctx context.Context) error {
	if !s.opts.ReadOnly {
		if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate %s: %w", s.path, err)
		}
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate %s: read schema version (is this a pagerlens store?): %w", s.path, err)
	}
	if have > len(migrations) {
		return fmt.Errorf("open store %s: %w (file: version %d, this build: %d); upgrade pagerlens", s.path, ErrNewerSchema, have, len(migrations))
	}
	if have < len(migrations) && s.opts.ReadOnly {
		return fmt.Errorf("open store %s: schema version %d is older than %d; open it once read-write (pagerlens ingest or serve) to migrate", s.path, have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		if err := s.applyMigration(ctx, v+1, migrations[v]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, stmts []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s to version %d: %w", s.path, version, err)
	}
	defer tx.Rollback()
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", s.path, version, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version); err != nil {
		return fmt.Errorf("migrate %s to version %d: %w", s.path, version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s to version %d: %w", s.path, version, err)
	}
	return nil
}

// MemoryUsage is what DuckDB accounts for in this database's memory
// (duckdb_memory(): the buffer pool with cached and not yet checkpointed
// table data, and query state), which memory_limit bounds, and the size of
// its write-ahead log (0 when there is none).
func (s *Store) MemoryUsage(ctx context.Context) (memory, wal int64, err error) {
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()`).Scan(&memory); err != nil {
		return 0, 0, fmt.Errorf("read duckdb_memory() of %s: %w", s.path, err)
	}
	if fi, err := os.Stat(s.path + ".wal"); err == nil {
		wal = fi.Size()
	}
	return memory, wal, nil
}
