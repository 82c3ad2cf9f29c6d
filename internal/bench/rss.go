package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// rssSample is a child's resident set size at a time since its start.
type rssSample struct {
	at  time.Duration
	rss int64
}

// childSampled runs the pagerlens binary like childEnv and samples its RSS
// (/proc/PID/status VmRSS) every interval, so that a run shows whether
// memory levels off or keeps growing, not only its peak.
func (r *runner) childSampled(env []string, interval time.Duration, args ...string) ([]byte, []rssSample, time.Duration, error) {
	cmd := exec.CommandContext(r.ctx, r.cfg.Exe, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", r.cfg.Exe, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var samples []rssSample
	tick := time.NewTicker(interval)
	defer tick.Stop()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	for {
		select {
		case err := <-done:
			took := time.Since(start)
			if err != nil {
				return nil, samples, took, fmt.Errorf("%s %s: %w: %s", r.cfg.Exe, strings.Join(args, " "), err, lastLines(stderr.String(), 5))
			}
			return []byte(stdout.String()), samples, took, nil
		case <-tick.C:
			if v := procStatus(status, "VmRSS:"); v > 0 {
				samples = append(samples, rssSample{at: time.Since(start), rss: v})
			}
		}
	}
}

// procStatus reads one "Key: N kB" line of a /proc status file, in bytes.
func procStatus(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// halves returns the peak RSS of the first and the second half of a run.
func halves(s []rssSample, took time.Duration) (first, second int64) {
	for _, x := range s {
		if x.at < took/2 {
			first = max(first, x.rss)
		} else {
			second = max(second, x.rss)
		}
	}
	return first, second
}
