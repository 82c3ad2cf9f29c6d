// Package e2e runs pagerlens as a real process against the embedded broker:
// crash recovery, broker and store faults, bad input and secured brokers.
// Each test starts its own broker and DuckDB file; the binary is built once.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/kafkatest"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

// bin is the pagerlens binary built by TestMain.
var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pagerlens-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "pagerlens")
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// A real binary, not the test binary re-executed: kill -9 must hit the
	// process exactly as it would in production.
	build := exec.Command("go", "build", "-o", bin, "./cmd/pagerlens")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build pagerlens:", err)
		return 1
	}
	return m.Run()
}

// moduleRoot walks up from this file to the directory holding go.mod.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the test source file")
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if dir == filepath.Dir(dir) {
			return "", errors.New("go.mod not found above " + file)
		}
	}
}

// proc is one running pagerlens process with its combined output in a file.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set when done is closed
}

// start runs pagerlens with args; its stdout and stderr go to a log file
// that the test can poll. The process is killed when the test ends.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "pagerlens-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, log: f.Name(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("log of pagerlens %s:\n%s", strings.Join(args, " "), tail(p.output(), 4000))
		}
	})
	return p
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// waitLog polls the log until re matches and returns the submatches.
func (p *proc) waitLog(re string, timeout time.Duration) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		if m := rx.FindStringSubmatch(p.output()); m != nil {
			return m
		}
		select {
		case <-p.done:
			if m := rx.FindStringSubmatch(p.output()); m != nil {
				return m
			}
			p.t.Fatalf("pagerlens exited (%v) before logging %q", p.err, re)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("pagerlens did not log %q within %s", re, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpAddr waits for the HTTP server and returns its host:port.
func (p *proc) httpAddr() string {
	p.t.Helper()
	return p.waitLog(`http server listening.*addr=(127\.0\.0\.1:\d+)`, 60*time.Second)[1]
}

// signal sends sig and waits for the exit; it returns the exit code and how
// long the process took to exit.
func (p *proc) signal(sig syscall.Signal, timeout time.Duration) (int, time.Duration) {
	p.t.Helper()
	t0 := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("pagerlens did not exit within %s of %v", timeout, sig)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(t0)
}

// wait waits for the process to exit on its own.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("pagerlens did not exit within %s", timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// getStatus returns the HTTP status of url (0 when unreachable).
func getStatus(url string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// getBody returns the body and HTTP status of url (0 when unreachable).
func getBody(url string) (string, int) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// synthEvents returns n distinct canonical events, marshalled, with their ids.
func synthEvents(t *testing.T, n int) (msgs []kafkatest.Message, ids map[string]bool) {
	t.Helper()
	stop := errors.New("enough")
	ids = make(map[string]bool, n)
	cfg := synth.Config{Seed: 9, Days: 3650, Teams: 8}
	err := synth.Generate(cfg, func(e event.Event) error {
		if ids[e.ID] {
			return nil // the stream has no duplicates by default; be sure
		}
		b, err := event.Marshal(e)
		if err != nil {
			return err
		}
		ids[e.ID] = true
		msgs = append(msgs, kafkatest.Message{Value: b})
		if len(msgs) == n {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("synth gave %d events, want %d (err %v)", len(msgs), n, err)
	}
	return msgs, ids
}

// produce writes msgs to topic through one client, in chunks so that the
// client's buffer bounds memory and throughput stays high.
func produce(t *testing.T, b *kafkatest.Broker, topic string, partitions int32, msgs []kafkatest.Message, opts ...kgo.Opt) {
	t.Helper()
	cl, err := b.Client(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const chunk = 20000
	for i := 0; i < len(msgs); i += chunk {
		if err := kafkatest.ProduceWith(ctx, cl, partitions, topic, msgs[i:min(i+chunk, len(msgs))]...); err != nil {
			t.Fatal(err)
		}
	}
}

// committed returns the group's committed offset per partition of topic (-1:
// none) by asking the broker, as an operator's lag check would.
func committed(ctx context.Context, cl *kgo.Client, group, topic string, partitions int32) ([]int64, error) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	for p := range partitions {
		rt.Partitions = append(rt.Partitions, p)
	}
	req.Topics = []kmsg.OffsetFetchRequestTopic{rt}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("offset fetch: %w", err)
	}
	out := make([]int64, partitions)
	for i := range out {
		out[i] = -1
	}
	const groupIDNotFound = 69 // the group has not committed anything yet
	if resp.ErrorCode == groupIDNotFound {
		return out, nil
	}
	if resp.ErrorCode != 0 {
		return nil, fmt.Errorf("offset fetch: kafka error %d", resp.ErrorCode)
	}
	for _, tp := range resp.Topics {
		for _, pp := range tp.Partitions {
			if pp.ErrorCode != 0 {
				return nil, fmt.Errorf("offset fetch %s/%d: kafka error %d", topic, pp.Partition, pp.ErrorCode)
			}
			out[pp.Partition] = pp.Offset
		}
	}
	return out, nil
}

// committedTotal is the number of messages the group has committed.
func committedTotal(t *testing.T, cl *kgo.Client, group, topic string, partitions int32) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := committed(ctx, cl, group, topic, partitions)
	if err != nil {
		t.Logf("committed offsets: %v (will retry)", err)
		return -1
	}
	var n int64
	for _, o := range offs {
		if o > 0 {
			n += o
		}
	}
	return n
}

// queryStore opens the DuckDB file read-only in this process (pagerlens must
// not be running: DuckDB allows one process) and runs fn.
func queryStore(t *testing.T, path string, fn func(s *store.Store)) {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

func scalar[T any](t *testing.T, s *store.Store, q string, args ...any) T {
	t.Helper()
	var v T
	if err := s.DB().QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// cli runs a short pagerlens command and returns its combined output and
// exit code.
func cli(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("pagerlens %v: %v", args, err)
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// freePort picks a loopback port for a broker that must come back on the
// same port after a restart.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
