package app

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/tunerules"
)

// TuneFormats are pagerlens tune's output formats.
var TuneFormats = []string{"table", "json", "md"}

// WriteTuning renders t: json is the machine format (docs/metrics.md,
// "Alert tuning"); table and md show per alert what would fix it.
func WriteTuning(w io.Writer, t *analytics.Tuning, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	case "md":
		fmt.Fprintf(w, "# Alert tuning, window %s to %s\n\n", t.Window, t.AsOf.Format("2006-01-02 15:04 MST"))
		fmt.Fprintf(w, "Each change replayed over the alerts of the window; `for:` is capped at %s of added delay.\n\n",
			analytics.PromDuration(secs(t.MaxAddedDelaySeconds)))
		fmt.Fprintln(w, "| team | service | alert | alerts | actionable | what would fix it |")
		fmt.Fprintln(w, "| --- | --- | --- | --: | --: | --- |")
		for _, r := range t.Rules {
			fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %s |\n", mdCell(r.Team), mdCell(r.Service), mdCell(r.AlertName),
				r.Alerts, r.Actionable, mdCell(orNothing(r.Fix())))
		}
		return nil
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "window %s ending %s, max added delay %s\n\n", t.Window, t.AsOf.Format("2006-01-02T15:04:05Z07:00"),
			analytics.PromDuration(secs(t.MaxAddedDelaySeconds)))
		fmt.Fprintln(tw, "team\tservice\talert\talerts\tactionable\tfor\tkeep_firing_for\tinhibited by\tdeferral spares (sleep/off)\twhat would fix it")
		for _, r := range t.Rules {
			inh := "-"
			if len(r.InhibitedBy) > 0 {
				inh = r.InhibitedBy[0].AlertName
			}
			def := "-"
			if d := r.DeferToBusinessHours; d != nil {
				def = fmt.Sprintf("%d/%d", d.SleepInterruptionsSpared, d.OffHoursInterruptionsSpared)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", dash(r.Team), dash(r.Service), dash(r.AlertName),
				r.Alerts, r.Actionable, promDur(r.RecommendedForSeconds), promDur(r.RecommendedKeepFiringForSeconds), inh, def, orNothing(r.Fix()))
		}
		return tw.Flush()
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(TuneFormats, ", "))
}

// WriteTunedRules reads the Prometheus rule files and writes each, under
// the same base name, to dir with t's recommendations set
// (exporters/tunerules). Every file is read and checked before any is
// written, so a bad file leaves dir as it was. It reports each change to
// log and returns the files written.
func WriteTunedRules(t *analytics.Tuning, files []string, dir string, log io.Writer) ([]string, error) {
	type out struct {
		path    string
		body    []byte
		changes []tunerules.Change
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("--write-rules %s: %w", dir, err)
	}
	var outs []out
	seen := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		if prev, ok := seen[base]; ok {
			return nil, fmt.Errorf("--rules %s and %s have the same name; both would be written to %s", prev, f, filepath.Join(dir, base))
		}
		seen[base] = f
		if abs, err := filepath.Abs(f); err == nil && filepath.Dir(abs) == absDir {
			return nil, fmt.Errorf("--write-rules %s holds %s: write the copies to another directory so that the original stays", dir, f)
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
		body, changes, err := tunerules.Rewrite(f, src, t)
		if err != nil {
			return nil, err
		}
		outs = append(outs, out{filepath.Join(dir, base), body, changes})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--write-rules: %w", err)
	}
	var written []string
	for _, o := range outs {
		if err := os.WriteFile(o.path, o.body, 0o644); err != nil {
			return written, fmt.Errorf("--write-rules: %w", err)
		}
		written = append(written, o.path)
		if len(o.changes) == 0 {
			fmt.Fprintf(log, "%s: no change (no recommendation for its alerts)\n", o.path)
		}
		for _, c := range o.changes {
			from := c.From
			if from == "" {
				from = "unset"
			}
			fmt.Fprintf(log, "%s: %s/%s: %s: %s → %s (%s)\n", o.path, c.Group, c.Alert, c.Key, from, c.To, c.Saved)
		}
	}
	return written, nil
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func promDur(s *float64) string {
	if s == nil {
		return "-"
	}
	return analytics.PromDuration(secs(*s))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNothing(s string) string {
	if s == "" {
		return "no simulated change would have helped"
	}
	return s
}

// mdCell escapes a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(dash(s))
}
