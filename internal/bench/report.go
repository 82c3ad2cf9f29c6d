package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Table renders the rows as a Markdown table.
func (res *Result) Table() string {
	var b strings.Builder
	b.WriteString("| stage | what | figure | limit (same run) | ratio | target | met |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range res.Rows {
		m := ""
		if r.Met != nil {
			m = "missed"
			if *r.Met {
				m = "met"
			}
		}
		if r.Note != "" {
			m = r.Note // a row with two targets, one met
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Stage, r.What, r.Figure, r.Limit, r.Ratio, r.Target, m)
	}
	return b.String()
}

// Print writes the table and the notes.
func (res *Result) Print(w io.Writer) {
	fmt.Fprint(w, res.Table())
	fmt.Fprintln(w)
	for _, n := range res.Notes {
		fmt.Fprintln(w, "- "+n)
	}
}

// Machine describes the machine the run was on.
func Machine() string {
	var b strings.Builder
	model := "unknown"
	if c, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(c), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := "unknown"
	if m, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(m), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				mem = fmtBytes(kb << 10)
			}
		}
	}
	nproc := fmt.Sprint(runtime.NumCPU())
	if out, err := exec.Command("nproc").Output(); err == nil {
		nproc = strings.TrimSpace(string(out))
	}
	load := ""
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(l))[:3], " ")
	}
	duck, tags := "unknown", "none"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/duckdb/duckdb-go/v2" {
				duck = d.Version
			}
		}
		for _, st := range bi.Settings {
			if st.Key == "-tags" && st.Value != "" {
				tags = st.Value
			}
		}
	}
	fmt.Fprintf(&b, "- nproc: %s; CPU: %s; memory: %s; load average at the start: %s\n", nproc, model, mem, load)
	fmt.Fprintf(&b, "- %s %s/%s; github.com/duckdb/duckdb-go/v2 %s; build tags: %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, duck, tags)
	return b.String()
}

// Markdown is bench/results.md: the machine, the sizes, the table, the
// notes and how to run it.
func (res *Result) Markdown(machine, command string) []byte {
	var b bytes.Buffer
	c := res.Config
	fmt.Fprintf(&b, "# pagerlens bench results\n\n")
	fmt.Fprintf(&b, "Written by `%s` on %s (took %s).\n\n", command, res.Started.UTC().Format(time.RFC3339), res.Took.Round(time.Second))
	fmt.Fprintf(&b, "## Machine\n\n%s\n", machine)
	fmt.Fprintf(&b, "## Sizes\n\n--events %d (consume, backfill), --stored %d (store), --batch %d × %d batches, --snapshot-events %s, --mem-events %d, --decode-events %d, --soak-duration %s at --soak-rate %d webhook requests/s and --soak-kafka-rate %d events/s\n\n",
		c.Events, c.Stored, c.BatchSize, c.StoreBatches, ints(c.SnapshotEvents), c.MemEvents, c.DecodeEvents, c.SoakDuration, c.SoakRate, c.SoakKafkaRate)
	fmt.Fprintf(&b, "## Results\n\nEvery limit is measured in the same run as its figure (the machine is shared: compare ratios).\n\n")
	b.WriteString(res.Table())
	b.WriteString("\n## Where the time goes\n\n")
	for _, n := range res.Notes {
		fmt.Fprintln(&b, "- "+n)
	}
	b.WriteString("\nWhat bounds each missed target, and the decisions behind these figures: [docs/performance.md](../docs/performance.md).\n")
	return b.Bytes()
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}
