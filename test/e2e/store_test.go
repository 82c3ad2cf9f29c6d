package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/store"
	"github.com/pagerlens/pagerlens/test/e2e/e2eutil"
)

// mountTmpfs mounts a tmpfs of size (e.g. "2m") with extra options on a
// new directory, or skips the test: mounting needs root (or CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string, opts ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := strings.Join(append([]string{"size=" + size}, opts...), ",")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount -t tmpfs -o %s: %v: %s", o, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

// TestStoreStartErrors: a store that cannot be opened stops pagerlens at
// start with one clear line and a non-zero exit, before any offset moves.
func TestStoreStartErrors(t *testing.T) {
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{"events"}})
	held := filepath.Join(t.TempDir(), "held.duckdb")
	holder := e2eutil.Start(t, "pagerlens", nil, "serve", "--brokers", b.Addr(), "--topics", "events", "--db", held, "--listen", "127.0.0.1:0")
	holder.WaitLog(`msg=serving`, 60*time.Second)

	tests := []struct {
		name string
		db   func(t *testing.T) string
		cmds [][]string // each run with --db DB appended
		want string
	}{
		{
			name: "file in use by another process",
			db:   func(*testing.T) string { return held },
			cmds: [][]string{
				{"serve", "--brokers", b.Addr(), "--topics", "events", "--listen", "127.0.0.1:0"},
				{"ingest", "-q", "/dev/null"},
				{"sql", "SELECT 1"},
			},
			want: "in use by another process (PID ",
		},
		{
			name: "read-only directory",
			db:   func(t *testing.T) string { return filepath.Join(mountTmpfs(t, "1m", "ro"), "p.duckdb") },
			cmds: [][]string{
				{"serve", "--brokers", b.Addr(), "--topics", "events", "--listen", "127.0.0.1:0"},
				{"ingest", "-q", "/dev/null"},
			},
			want: "cannot write there",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.db(t)
			for _, c := range tt.cmds {
				out, code := cli(t, nil, append(c, "--db", db)...)
				if code == 0 || !strings.Contains(out, tt.want) {
					t.Errorf("pagerlens %s: exit %d, output:\n%s\nwant a failure saying %q", c[0], code, out, tt.want)
				}
				t.Logf("pagerlens %s: exit %d: %s", c[0], code, lastLine(out))
			}
		})
	}
	if code, _ := holder.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("holder: exit %d", code)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestStoreDiskFull runs serve on a 2 MiB tmpfs until DuckDB cannot write:
// it logs the error, keeps the offsets uncommitted and retries. Then space
// is freed (the tmpfs grown), either while it retries or after a stop; in
// both cases the store holds whole batches only and, in the end, every
// event exactly once.
func TestStoreDiskFull(t *testing.T) {
	tests := []struct {
		name    string
		restart bool // stop pagerlens while the disk is full, free space, start it again
	}{
		{"free space while it retries", false},
		{"stop, free space, restart", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { diskFull(t, tt.restart) })
	}
}

func diskFull(t *testing.T, restart bool) {
	const (
		topic = "events"
		parts = 2
		group = "pagerlens"
		n     = 30_000
	)
	dir := mountTmpfs(t, "2m")
	db := filepath.Join(dir, "p.duckdb")
	b := kafkatest.New(t, kafkatest.Options{Topics: []string{topic}, Partitions: parts})
	msgs, _ := synthEvents(t, n)
	produce(t, b, topic, parts, msgs)
	admin, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	args := []string{"serve", "--brokers", b.Addr(), "--topics", topic, "--group", group, "--db", db,
		"--listen", "127.0.0.1:0", "--batch-size", "1000", "--batch-wait", "100ms"}
	p := e2eutil.Start(t, "pagerlens", nil, args...)
	m := p.WaitLog(`level=ERROR msg="store write failed; offsets not committed, retrying" err=[^\n]*`, 90*time.Second)
	t.Logf("logged: %s", m[0])
	// The failing batch's offsets must not move while it is retried.
	c1 := e2eutil.CommittedTotal(t, admin, group, topic, parts)
	time.Sleep(2 * time.Second)
	if c2 := e2eutil.CommittedTotal(t, admin, group, topic, parts); c2 != c1 {
		t.Fatalf("offsets moved from %d to %d while the store could not write", c1, c2)
	}

	if restart {
		code, took := p.Signal(syscall.SIGTERM, 30*time.Second)
		t.Logf("SIGTERM while the disk is full: exit %d after %s; %s", code, took.Round(time.Millisecond), lastLine(p.Output()))
		if code == 0 {
			t.Error("exit 0 although the batch in hand could not be stored")
		}
		// Per partition, the stored events are exactly the committed
		// prefix: no partial batch.
		remount(t, dir, "size=256m")
		e2eutil.QueryStore(t, db, func(s *store.Store) {
			offs, err := e2eutil.Committed(t.Context(), admin, group, topic, parts)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for part, off := range offs {
				got := scalar[int64](t, s, `SELECT count(*) FROM events WHERE kafka_partition = ?`, part)
				span := scalar[int64](t, s, `SELECT coalesce(max(kafka_offset) + 1, 0) FROM events WHERE kafka_partition = ?`, part)
				if got != span || got != max(off, 0) {
					t.Errorf("partition %d: %d events stored over offsets [0, %d), committed %d: want a whole, committed prefix", part, got, span, off)
				}
				total += got
			}
			t.Logf("after the disk filled: %d of %d events stored, all committed", total, n)
		})
		p = e2eutil.Start(t, "pagerlens", nil, args...)
	} else {
		remount(t, dir, "size=256m")
	}
	e2eutil.WaitFor(t, "lag 0 after space was freed", 2*time.Minute, func() bool { return e2eutil.CommittedTotal(t, admin, group, topic, parts) == n })
	if code, _ := p.Signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit code %d", code)
	}
	e2eutil.QueryStore(t, db, func(s *store.Store) {
		total := scalar[int64](t, s, `SELECT count(*) FROM events`)
		distinct := scalar[int64](t, s, `SELECT count(DISTINCT id) FROM events`)
		if total != n || distinct != n {
			t.Errorf("store: %d rows, %d ids; want %d", total, distinct, n)
		}
	})
}
