package dashboards

// Small process helpers of this package: build the binary, pick ports, run a
// child process with its output in a file, stop it, poll a condition. They
// are written here rather than shared with test/e2e while that package's
// helpers are being refactored; they are meant to be merged later.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tool returns the path of an external binary. Without it the test is
// skipped on a workstation but fails in CI, which installs it: a dashboard
// check that silently never runs is worse than none.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not on PATH in CI: %v", name, err)
		}
		t.Skipf("%s not on PATH: %v", name, err)
	}
	return p
}

// moduleRoot is the directory holding go.mod, found upwards from this file so
// that the test works from any working directory.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("module root: cannot locate source file")
	}
	for dir := filepath.Dir(file); ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("module root: no go.mod above %s", file)
		}
		dir = parent
	}
}

// buildPagerlens builds cmd/pagerlens into dir. A real binary rather than the
// test binary re-executed: serve must run exactly as it does in production.
func buildPagerlens(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pagerlens")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/pagerlens")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/pagerlens: %w\n%s", err, out)
	}
	return bin, nil
}

// freePort returns a port that was free a moment ago on 127.0.0.1. The child
// binds it shortly after; a clash shows as a start failure with the log.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a child process whose output goes to a file, dumped when the test
// fails so that a failure shows why the process misbehaved.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, valid after done
}

// startProc starts bin with args and stops it (SIGTERM, then SIGKILL) when
// the test ends.
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.stop(15 * time.Second); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("--- %s log (last 8 KiB) ---\n%s", name, p.tail(8<<10))
		}
	})
	return p
}

// exited reports whether the process has ended, with its error.
func (p *proc) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop sends SIGTERM and waits for a clean exit; after grace it kills the
// process and reports that it did not stop by itself.
func (p *proc) stop(grace time.Duration) error {
	if done, _ := p.exited(); done {
		return nil // already gone; an early exit is reported where it matters
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	select {
	case <-p.done:
		// A clean shutdown exits 0 (or dies of the signal itself); any
		// other status is a shutdown bug worth failing on.
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

// tail returns the last n bytes of the process's output.
func (p *proc) tail(n int64) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			return err.Error()
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// poll calls cond every interval until it reports done, ctx ends or one of
// the watched processes exits (then there is no point in waiting). The last
// reason cond gave for not being done is in the error, so a timeout says
// what was still missing.
func poll(ctx context.Context, what string, interval time.Duration, watch []*proc, cond func(context.Context) (done bool, reason string, err error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	last := "not checked yet"
	for {
		for _, p := range watch {
			if done, err := p.exited(); done {
				return fmt.Errorf("%s: %s exited early (%v)", what, p.name, err)
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

// httpOK reports whether GET url answers 200; a refused connection is not
// an error, just not ready yet.
func httpOK(ctx context.Context, url string) (bool, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, "", fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err.Error(), nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%s: %s %s", url, resp.Status, strings.TrimSpace(string(body))), nil
	}
	return true, "", nil
}
