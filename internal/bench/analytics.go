package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

// sizedConfig returns a synthetic configuration at the scale (100
// teams, 1,000 responders, 365 days) whose stream holds about n events, by
// fitting the incident rate (and, for small n, the noise rules) on 30-day
// probes: count ≈ a + b·rules + c·rate.
func sizedConfig(n int) (synth.Config, error) {
	count := func(rules int, rate float64) (float64, error) {
		c := synthConfig(1)
		c.Days, c.RulesPerService, c.IncidentsPerServiceDay = 30, rules, rate
		k := 0
		err := synth.Generate(c, func(event.Event) error { k++; return nil })
		return float64(k) * 365 / 30, err
	}
	lo, err := count(5, 0.05)
	if err != nil {
		return synth.Config{}, err
	}
	hi, err := count(5, 1.05)
	if err != nil {
		return synth.Config{}, err
	}
	rules := 5
	perRate := hi - lo
	base := lo - 0.05*perRate
	if float64(n) < lo {
		rules = 1
		if base, err = count(1, 0.05); err != nil {
			return synth.Config{}, err
		}
		base -= 0.05 * perRate
	}
	c := synthConfig(1)
	c.RulesPerService = rules
	c.IncidentsPerServiceDay = max(0.02, (float64(n)-base)/perRate)
	return c, nil
}

// loadSynthetic writes about n events of the scale into a new store
// at path through WriteBatch (250k-event batches, analytics attached) and
// returns how many were written.
func (r *runner) loadSynthetic(path string, n int) (int, error) {
	ctx := r.ctx
	cfg, err := sizedConfig(n)
	if err != nil {
		return 0, err
	}
	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := analytics.Attach(ctx, s); err != nil {
		return 0, err
	}
	const batch = 250_000
	buf := make([]store.Row, 0, batch)
	total := 0
	flush := func() error {
		if _, err := s.WriteBatch(ctx, store.Batch{Rows: buf}); err != nil {
			return err
		}
		total += len(buf)
		buf = buf[:0]
		return nil
	}
	err = synth.Generate(cfg, func(e event.Event) error {
		buf = append(buf, store.Row{Event: e, Topic: "synth", Offset: int64(total + len(buf))})
		if len(buf) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
		if total+len(buf) >= n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return total, err
	}
	if len(buf) > 0 {
		if err := flush(); err != nil {
			return total, err
		}
	}
	return total, nil
}

// snapshotStore returns the path of a store with about n synthetic events,
// building it once per run.
func (r *runner) snapshotStore(n int) (string, int, error) {
	if r.stores == nil {
		r.stores = map[int]storeInfo{}
	}
	if si, ok := r.stores[n]; ok {
		return si.path, si.events, nil
	}
	path := r.path(fmt.Sprintf("snapshot-%d.duckdb", n))
	r.logf("analytics: loading %d synthetic events", n)
	start := time.Now()
	got, err := r.loadSynthetic(path, n)
	if err != nil {
		return "", 0, err
	}
	r.logf("analytics: loaded %d events in %s (%s)", got, time.Since(start).Round(time.Second), fmtRate(rate(got, time.Since(start))))
	r.stores[n] = storeInfo{path, got}
	return path, got, nil
}

type storeInfo struct {
	path   string
	events int
}

// SnapshotChildResult is what a snapshot child process prints.
type SnapshotChildResult struct {
	Runs     []time.Duration          `json:"runs"`
	Sections map[string]time.Duration `json:"sections"` // of the fastest run
	VmHWM    int64                    `json:"vm_hwm_bytes"`
}

// SnapshotChild opens db read-write (as serve does), computes the Snapshot
// runs times at the synthetic stream's end, and writes the timings and its
// own peak RSS (VmHWM) as JSON to stdout. pagerlens bench runs it as a
// child process so that the RSS is Snapshot's alone.
func SnapshotChild(ctx context.Context, db string, runs int) error {
	s, err := store.Open(ctx, db, store.DefaultOptions())
	if err != nil {
		return err
	}
	defer s.Close()
	if err := analytics.Attach(ctx, s); err != nil {
		return err
	}
	cfg := analytics.DefaultConfig(synth.DefaultEnd)
	var res SnapshotChildResult
	var best time.Duration
	for range runs {
		secs := map[string]time.Duration{}
		start := time.Now()
		if _, err := analytics.ComputeTraced(ctx, s, cfg, func(name string, d time.Duration) { secs[name] += d }); err != nil {
			return err
		}
		d := time.Since(start)
		res.Runs = append(res.Runs, d)
		if best == 0 || d < best {
			best, res.Sections = d, secs
		}
	}
	res.VmHWM = vmHWM()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// vmHWM is this process's peak resident set size, from /proc/self/status.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// child runs the pagerlens binary with args and returns its stdout and the
// kernel's ru_maxrss of the child. Beware: that includes this process's own
// peak (Go execs with CLONE_VM, and exec records the shared image's peak),
// so stages that report a child's memory sample it (childSampled) or have
// the child report its VmHWM.
func (r *runner) child(args ...string) ([]byte, int64, time.Duration, error) {
	return r.childEnv(nil, args...)
}

// childEnv is child with env added to the environment.
func (r *runner) childEnv(env []string, args ...string) ([]byte, int64, time.Duration, error) {
	if r.cfg.Exe == "" {
		return nil, 0, 0, errors.New("no pagerlens binary to run (Config.Exe)")
	}
	cmd := exec.CommandContext(r.ctx, r.cfg.Exe, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	if err != nil {
		return nil, 0, took, fmt.Errorf("%s %s: %w: %s", r.cfg.Exe, strings.Join(args, " "), err, lastLines(stderr.String(), 5))
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10
	}
	return out, rss, took, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// analytics: Snapshot over each size, in a child process (3 runs, the
// fastest counts; its peak RSS).
func (r *runner) analytics() error {
	for _, n := range r.cfg.SnapshotEvents {
		path, got, err := r.snapshotStore(n)
		if err != nil {
			return err
		}
		out, _, _, err := r.child("bench", "--snapshot-child", path)
		if err != nil {
			return err
		}
		var res SnapshotChildResult
		if err := json.Unmarshal(out, &res); err != nil {
			return fmt.Errorf("snapshot child output %q: %w", out, err)
		}
		best := res.Runs[0]
		for _, d := range res.Runs {
			best = min(best, d)
		}
		target, ok := "", (*bool)(nil)
		if n >= 10_000_000 {
			target, ok = "≤ 1 s and ≤ 1 GiB", met(best <= time.Second && res.VmHWM <= 1<<30)
		} else {
			target, ok = "≤ 1 s and ≤ 1 GiB (set for 10M)", met(best <= time.Second && res.VmHWM <= 1<<30)
		}
		r.add(Row{Stage: "analytics", What: fmt.Sprintf("Snapshot, %d events, 100 teams, 1,000 responders, 365 days", got),
			Figure: fmtDur(best) + ", peak RSS " + fmtBytes(res.VmHWM), Target: target, Met: ok})
		// pagerlens tune's simulations are the snapshot's "tune" section
		// (the same query over the 30d window): its time in the fastest run.
		if d, ok := res.Sections["tune"]; ok {
			r.add(Row{Stage: "analytics", What: fmt.Sprintf("tune: the four alert-tuning simulations over 30d (the Snapshot's tune section), %d events", got),
				Figure: fmtDur(d)})
		}
		type sec struct {
			name string
			d    time.Duration
		}
		var secs []sec
		for k, v := range res.Sections {
			secs = append(secs, sec{k, v})
		}
		sort.Slice(secs, func(i, j int) bool { return secs[i].d > secs[j].d })
		var parts []string
		for _, s := range secs {
			parts = append(parts, fmt.Sprintf("%s %s", s.name, fmtDur(s.d)))
		}
		runs := make([]string, len(res.Runs))
		for i, d := range res.Runs {
			runs[i] = fmtDur(d)
		}
		r.note("analytics: Snapshot over %d events: runs %s; sections of the fastest: %s", got, strings.Join(runs, ", "), strings.Join(parts, "; "))
	}
	return nil
}
