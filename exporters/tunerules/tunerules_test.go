package tunerules

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

func secs(v float64) *float64 { return &v }

// tuning is a hand-made analytics.Tuning (window 30d, cap 5m) with:
//   - DiskFull (core/db): recommended for 2m: suppressed 2 of 6, 2
//     actionable alerts still fire, delayed 2m each; nothing to merge;
//   - Flapper (core/web): recommended for 5m (suppressed 5 of 5, none
//     actionable) and keep_firing_for 15m (merged 3);
//   - Flapper (other/web): another team's rows of the same alert name,
//     left out by the rule's static team: core label;
//   - CPUHigh (core/api): nothing recommended: its rule stays as it is.
func tuning() *analytics.Tuning {
	fr := func(sm ...[2]int64) []analytics.ForOutcome {
		var out []analytics.ForOutcome
		for i, s := range []float64{60, 120, 300, 600, 900} {
			out = append(out, analytics.ForOutcome{Seconds: s, Suppressed: sm[i][0], ActionableMissed: sm[i][1]})
		}
		return out
	}
	kr := func(m ...int64) []analytics.KeepFiringOutcome {
		var out []analytics.KeepFiringOutcome
		for i, s := range []float64{60, 120, 300, 600, 900} {
			out = append(out, analytics.KeepFiringOutcome{Seconds: s, Merged: m[i]})
		}
		return out
	}
	z := [2]int64{}
	return &analytics.Tuning{Window: "30d", MaxAddedDelaySeconds: 300, Rules: []analytics.TuneRule{
		{Team: "core", Service: "db", AlertName: "DiskFull", Alerts: 6, Actionable: 2,
			For: fr([2]int64{1, 0}, [2]int64{2, 0}, [2]int64{5, 1}, [2]int64{5, 1}, [2]int64{5, 1}), RecommendedForSeconds: secs(120),
			KeepFiringFor: kr(0, 0, 0, 0, 0)},
		{Team: "core", Service: "web", AlertName: "Flapper", Alerts: 5,
			For: fr([2]int64{1, 0}, [2]int64{5, 0}, [2]int64{5, 0}, [2]int64{5, 0}, [2]int64{5, 0}), RecommendedForSeconds: secs(300),
			KeepFiringFor: kr(1, 1, 2, 2, 3), RecommendedKeepFiringForSeconds: secs(900)},
		{Team: "other", Service: "web", AlertName: "Flapper", Alerts: 9, Actionable: 9,
			For:           fr([2]int64{9, 9}, [2]int64{9, 9}, [2]int64{9, 9}, [2]int64{9, 9}, [2]int64{9, 9}),
			KeepFiringFor: kr(0, 0, 0, 0, 0)},
		{Team: "core", Service: "api", AlertName: "CPUHigh", Alerts: 2,
			For: fr(z, z, z, z, z), KeepFiringFor: kr(0, 0, 0, 0, 0)},
	}}
}

func TestRewrite(t *testing.T) {
	src, err := os.ReadFile("testdata/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	out, changes, err := Rewrite("testdata/rules.yml", src, tuning())
	if err != nil {
		t.Fatal(err)
	}
	// DiskFull had no for: → 0 + 2m = 2m. Flapper had for: 1m and
	// keep_firing_for: "30s": the alerts pagerlens saw had already waited
	// those out, so the candidates come on top: 1m + 5m = 6m, 30s + 15m =
	// 15m30s.
	wantChanges := []Change{
		{Group: "storage", Alert: "DiskFull", Key: "for", To: "2m",
			Saved: "for: 2m would have suppressed 2 of 6, delaying 2 actionable alerts by 2m each"},
		{Group: "storage", Alert: "Flapper", Key: "for", From: "1m", To: "6m",
			Saved: "for: 5m would have suppressed 5 of 5, none of them actionable"},
		{Group: "storage", Alert: "Flapper", Key: "keep_firing_for", From: "30s", To: "15m30s",
			Saved: "keep_firing_for: 15m would have merged 3 re-triggers into the one before (3 of 5 notifications saved)"},
	}
	if !reflect.DeepEqual(changes, wantChanges) {
		t.Errorf("changes\n got %+v\nwant %+v", changes, wantChanges)
	}
	// The output is the input with exactly these lines added or replaced.
	want := strings.NewReplacer(
		"      - alert: DiskFull   # the noisy one\n",
		"      - alert: DiskFull   # the noisy one\n"+
			"        # pagerlens tune: for: 2m would have suppressed 2 of 6, delaying 2 actionable alerts by 2m each\n"+
			"        for: 2m\n",
		"        for: 1m\n        keep_firing_for: \"30s\"\n",
		"        # pagerlens tune: for: 5m would have suppressed 5 of 5, none of them actionable (1m before)\n"+
			"        for: 6m\n"+
			"        # pagerlens tune: keep_firing_for: 15m would have merged 3 re-triggers into the one before (3 of 5 notifications saved) (30s before)\n"+
			"        keep_firing_for: 15m30s\n",
	).Replace(string(src))
	if string(out) != want {
		t.Errorf("rewritten file:\n%s\nwant:\n%s", out, want)
	}
	// The untouched group is byte-identical.
	i := strings.Index(string(src), "  - name: untouched")
	if i < 0 || !strings.HasSuffix(string(out), string(src[i:])) {
		t.Error("the untouched group changed")
	}

	promtool := testkit.Tool(t, "promtool")
	dir := t.TempDir()
	for name, b := range map[string][]byte{"in.yml": src, "out.yml": out} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if o, err := exec.Command(promtool, "check", "rules", p).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", name, err, o)
		}
	}
}

// A file no rule of which pagerlens has alerts for comes out byte-identical.
func TestRewriteUntouched(t *testing.T) {
	src := []byte("groups:\r\n- name: g\r\n  rules:\r\n  - alert: Other\r\n    expr: vector(1)\r\n    for: 1m") // CRLF, no final newline
	out, changes, err := Rewrite("x.yml", src, tuning())
	if err != nil || len(changes) != 0 || string(out) != string(src) {
		t.Errorf("got %q, %v, %v; want the input unchanged", out, changes, err)
	}
	tu := tuning()
	tu.Rules[3].AlertName = "Other"
	tu.Rules[3].RecommendedForSeconds = secs(60)
	for i := range tu.Rules[3].For {
		tu.Rules[3].For[i].Suppressed = 1 // every candidate suppresses 1: the longest within the cap, 5m, is recommended
	}
	out, _, err = Rewrite("x.yml", src, tu)
	want := "groups:\r\n- name: g\r\n  rules:\r\n  - alert: Other\r\n    expr: vector(1)\r\n" +
		"    # pagerlens tune: for: 5m would have suppressed 1 of 2, none of them actionable (1m before)\r\n    for: 6m\r\n"
	if err != nil || string(out) != want {
		t.Errorf("got %q, %v; want %q", out, err, want)
	}
}

// A group's labels: (Prometheus 2.53 and later) select the rows as a
// rule's own would; a rule's label wins over its group's.
func TestRewriteGroupLabels(t *testing.T) {
	src := "groups:\n- name: g\n  labels: {team: other}\n  rules:\n  - alert: DiskFull\n    expr: x\n  - alert: DiskFull\n    expr: y\n    labels: {team: core}\n"
	_, changes, err := Rewrite("g.yml", []byte(src), tuning())
	if err != nil {
		t.Fatal(err)
	}
	// Only the second rule is core's: DiskFull's for: 2m.
	if len(changes) != 1 || changes[0].To != "2m" {
		t.Errorf("changes %+v, want one (the team core rule's for: 2m)", changes)
	}
}

func TestRewriteErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, err string }{
		{"not YAML", "groups:\n  - name: a\n    rules: [\n", "bad.yml: line 3"},
		{"tab indentation", "groups:\n\t- name: a\n", "bad.yml: line 2"},
		{"no groups", "rules:\n  - alert: X\n", "bad.yml: line 1: no groups: key"},
		{"groups not a list", "groups: {a: 1}\n", "bad.yml: line 1: groups: want a list"},
		{"rule not a mapping", "groups:\n  - name: a\n    rules:\n      - just text\n", "bad.yml: line 4: group \"a\": a rule must be a mapping"},
		{"bad for", "groups:\n  - name: a\n    rules:\n      - alert: DiskFull\n        expr: x\n        for: soon\n", "bad.yml: line 6: rule \"DiskFull\": for: \"soon\" is not a Prometheus duration"},
		{"flow rule", "groups:\n  - name: a\n    rules:\n      - {alert: DiskFull, expr: x}\n", "bad.yml: line 4: rule \"DiskFull\" is a flow mapping"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Rewrite("bad.yml", []byte(tt.src), tuning())
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestParsePromDuration(t *testing.T) {
	for s, want := range map[string]string{"0": "0s", "5m": "5m0s", "1h30m": "1h30m0s", "90s": "1m30s", "1d": "24h0m0s", "500ms": "500ms", "1m500ms": "1m0.5s"} {
		d, err := parsePromDuration(s)
		if err != nil || d.String() != want {
			t.Errorf("%s: %v %v, want %s", s, d, err, want)
		}
	}
	for _, s := range []string{"", "5", "m", "5x", "1m1h", "-5m"} {
		if _, err := parsePromDuration(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}
