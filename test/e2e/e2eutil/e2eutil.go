// Package e2eutil runs pagerlens as a real process for the end-to-end test
// packages (test/e2e and those below it): it builds the binary once per
// test binary, starts and stops processes with their output in a log file,
// polls conditions, and reads what a consumer group committed and what a
// store file holds.
package e2eutil

import (
	"context"
	"errors"
	"fmt"
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

	"github.com/pagerlens/pagerlens/store"
)

// Bin is the pagerlens binary built by Main.
var Bin string

// Main is the body of an e2e package's TestMain: it builds cmd/pagerlens
// into a temporary directory named after tmpPrefix, sets Bin, runs the
// tests and returns their exit code.
func Main(m *testing.M, tmpPrefix string) int {
	dir, err := os.MkdirTemp("", tmpPrefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if Bin, err = Build(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, "build pagerlens:", err)
		return 1
	}
	return m.Run()
}

// Build builds cmd/pagerlens into dir and returns the binary's path. Main
// uses it; a package that overlaps the build with other set-up (and gives
// it its own deadline) calls it directly.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pagerlens")
	// A real binary, not the test binary re-executed: kill -9 and SIGTERM
	// must hit the process exactly as they would in production.
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/pagerlens")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/pagerlens: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot walks up from this file to the directory holding go.mod.
func ModuleRoot() (string, error) {
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

// Proc is one running pagerlens process with its combined output in a file.
type Proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set when done is closed
}

// Start runs Bin with args and env added to this process's environment;
// its stdout and stderr go to a log file that the test can poll. name
// stands for the process in failures and its log file. The process is
// killed when the test ends, and its log's tail is shown if the test
// failed.
func Start(t *testing.T, name string, env []string, args ...string) *Proc {
	t.Helper()
	return StartBinary(t, name, Bin, env, args...)
}

// StartBinary is Start for another binary than pagerlens (a Prometheus, or
// a pagerlens built by Build).
func StartBinary(t *testing.T, name, bin string, env []string, args ...string) *Proc {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{t: t, name: name, cmd: cmd, log: f.Name(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.Kill()
		}
		if t.Failed() {
			t.Logf("log of %s %s:\n%s", name, strings.Join(args, " "), tail(p.Output(), 6000))
		}
	})
	return p
}

// Name is the name the process was started with.
func (p *Proc) Name() string { return p.name }

// Output is the process's combined output so far.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// Done is closed when the process has exited; Err is then its exit error.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is what waiting for the process returned; valid once Done is closed.
func (p *Proc) Err() error { return p.err }

// Kill sends SIGKILL (kill -9) and waits for the exit. Its error is the
// signal's: a process that had already exited cannot be killed.
func (p *Proc) Kill() error {
	err := p.cmd.Process.Kill()
	<-p.done
	return err
}

// WaitLog polls the log until re matches and returns the submatches.
func (p *Proc) WaitLog(re string, timeout time.Duration) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		if m := rx.FindStringSubmatch(p.Output()); m != nil {
			return m
		}
		select {
		case <-p.done:
			if m := rx.FindStringSubmatch(p.Output()); m != nil {
				return m
			}
			p.t.Fatalf("%s exited (%v) before logging %q", p.name, p.err, re)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not log %q within %s", p.name, re, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// HTTPAddr waits for the HTTP server and returns its host:port.
func (p *Proc) HTTPAddr() string {
	p.t.Helper()
	return p.WaitLog(`http server listening.*addr=(127\.0\.0\.1:\d+)`, 60*time.Second)[1]
}

// Signal sends sig and waits for the exit; it returns the exit code and how
// long the process took to exit.
func (p *Proc) Signal(sig syscall.Signal, timeout time.Duration) (int, time.Duration) {
	p.t.Helper()
	t0 := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %s of %v", p.name, timeout, sig)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(t0)
}

// Stop sends SIGTERM and waits for a clean exit: status 0, or death by the
// signal itself; any other status is a shutdown bug, returned as an error.
// After grace it kills the process and says that it did not stop by
// itself. A process that had already exited is not an error here: an early
// exit is reported where it matters (Poll).
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	select {
	case <-p.done:
		if p.err != nil && !signaledBy(p.err, syscall.SIGTERM) {
			return fmt.Errorf("after SIGTERM: %w", p.err)
		}
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within %s of SIGTERM; killed", grace)
	}
}

func signaledBy(err error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// Wait waits for the process to exit on its own and returns its exit code.
func (p *Proc) Wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %s", p.name, timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// WaitFor polls cond until it holds or timeout passes.
func WaitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Poll calls cond every interval until it reports done, ctx ends or one of
// the watched processes exits (then there is no point in waiting). Unlike
// WaitFor it returns an error rather than failing the test, and the last
// reason cond gave for not being done is in it, so a timeout says what was
// still missing.
func Poll(ctx context.Context, what string, interval time.Duration, watch []*Proc, cond func(context.Context) (done bool, reason string, err error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	last := "not checked yet"
	for {
		for _, p := range watch {
			select {
			case <-p.done:
				return fmt.Errorf("%s: %s exited early (%v)", what, p.name, p.err)
			default:
			}
		}
		done, reason, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if done {
			return nil
		}
		last = reason
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w; last: %s", what, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// Committed returns the group's committed offset per partition of topic
// (-1: none) by asking the broker, as an operator's lag check would.
func Committed(ctx context.Context, cl *kgo.Client, group, topic string, partitions int32) ([]int64, error) {
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

// CommittedTotal is the number of messages the group has committed on
// topic; -1 when the broker could not tell (logged; poll again).
func CommittedTotal(t *testing.T, cl *kgo.Client, group, topic string, partitions int32) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := Committed(ctx, cl, group, topic, partitions)
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

// QueryStore opens the DuckDB file read-only in this process (pagerlens must
// not be running: DuckDB allows one process) and runs fn.
func QueryStore(t *testing.T, path string, fn func(s *store.Store)) {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}
