// Package tunerules writes copies of Prometheus rule files with the
// alert-tuning recommendations (analytics.Tuning) set: each alerting rule
// that pagerlens has alerts for gets the recommended for: and
// keep_firing_for:, with a comment saying what the change would have saved
// in the window.
//
// The files are edited as text, not re-encoded: the YAML is parsed (with
// yaml.v3's Node API, which keeps line and column) only to find the rules
// and the lines to change, and the changed or added lines are spliced into
// the original bytes. Everything else — the other rules, comments, quoting,
// key order, blank lines — stays byte-identical, so the copy diffs cleanly
// against the original in review. Prometheus's own rulefmt is not used: it
// would pull in the prometheus module (some twenty modules, megabytes of
// binary) to read four keys; the tests check the output with promtool.
package tunerules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/analytics"
)

// Change is one edit made to a rule.
type Change struct {
	Group string
	Alert string
	Key   string // "for" or "keep_firing_for"
	From  string // the rule's value before, "" when it had none
	To    string
	// Saved is the comment written above the key: what the change would
	// have saved in the window.
	Saved string
}

// Rewrite returns src (the rule file at path, for messages) with the
// recommendations of t applied, and the changes made. A rule whose alert
// name has no row in t, or whose rows recommend nothing, is left as it is.
// A file that does not parse, or is not a rule file, is an error naming
// path and line.
func Rewrite(path string, src []byte, t *analytics.Tuning) ([]byte, []Change, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 { // empty file: nothing to tune
		return slices.Clone(src), nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s: line %d: want a mapping with a groups: list (a Prometheus rule file)", path, root.Line)
	}
	groups := value(root, "groups")
	if groups == nil {
		return nil, nil, fmt.Errorf("%s: line %d: no groups: key (a Prometheus rule file has one)", path, root.Line)
	}
	if groups.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("%s: line %d: groups: want a list of groups", path, groups.Line)
	}
	lines := strings.SplitAfter(string(src), "\n")
	var edits []edit
	var changes []Change
	for _, g := range groups.Content {
		if g.Kind != yaml.MappingNode {
			return nil, nil, fmt.Errorf("%s: line %d: a group must be a mapping with name: and rules:", path, g.Line)
		}
		gname := scalar(value(g, "name"))
		rules := value(g, "rules")
		if rules == nil {
			continue
		}
		if rules.Kind != yaml.SequenceNode {
			return nil, nil, fmt.Errorf("%s: line %d: group %q: rules: want a list", path, rules.Line, gname)
		}
		for _, r := range rules.Content {
			if r.Kind != yaml.MappingNode {
				return nil, nil, fmt.Errorf("%s: line %d: group %q: a rule must be a mapping", path, r.Line, gname)
			}
			alertKey := key(r, "alert")
			if alertKey == nil {
				continue // a recording rule
			}
			name := scalar(value(r, "alert"))
			rec, ok := t.ForAlert(name, staticLabelMatch(g, r))
			if !ok {
				continue
			}
			es, cs, err := ruleEdits(path, lines, r, alertKey, gname, name, rec)
			if err != nil {
				return nil, nil, err
			}
			edits = append(edits, es...)
			changes = append(changes, cs...)
		}
	}
	return apply(lines, edits), changes, nil
}

// ruleEdits plans the edits of one alerting rule.
func ruleEdits(path string, lines []string, r, alertKey *yaml.Node, group, name string, rec analytics.TuneRule) ([]edit, []Change, error) {
	type want struct {
		key   string
		add   *float64
		saved string
	}
	var es []edit
	var cs []Change
	for _, w := range []want{
		{"for", rec.RecommendedForSeconds, rec.ForText()},
		{"keep_firing_for", rec.RecommendedKeepFiringForSeconds, rec.KeepFiringForText()},
	} {
		if w.add == nil {
			continue
		}
		if r.Style&yaml.FlowStyle != 0 {
			return nil, nil, fmt.Errorf("%s: line %d: rule %q is a flow mapping ({…}); write it in block style to let pagerlens set %s:", path, r.Line, name, w.key)
		}
		// The alerts pagerlens saw already waited out the rule's current
		// duration, so the simulated candidate comes on top of it.
		var cur time.Duration
		k, v := key(r, w.key), value(r, w.key)
		from := ""
		if v != nil {
			from = v.Value
			d, err := parsePromDuration(v.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: line %d: rule %q: %s: %v", path, v.Line, name, w.key, err)
			}
			cur = d
		}
		to := analytics.PromDuration(cur + time.Duration(*w.add*float64(time.Second)))
		comment := "pagerlens tune: " + w.saved
		if from != "" {
			comment += " (" + from + " before)"
		}
		if k != nil {
			if k.Line != v.Line {
				return nil, nil, fmt.Errorf("%s: line %d: rule %q: %s: its value is on another line; put it on the key's line", path, k.Line, name, w.key)
			}
			prefix := lines[k.Line-1][:k.Column-1]
			indent := strings.Repeat(" ", k.Column-1)
			es = append(es, edit{line: k.Line, replace: true,
				text: []string{indent + "# " + comment, prefix + w.key + ": " + to}})
		} else {
			indent := strings.Repeat(" ", alertKey.Column-1)
			es = append(es, edit{line: alertKey.Line, text: []string{indent + "# " + comment, indent + w.key + ": " + to}})
		}
		cs = append(cs, Change{Group: group, Alert: name, Key: w.key, From: from, To: to, Saved: w.saved})
	}
	return es, cs, nil
}

// staticLabelMatch selects the tuning rows a rule fires for by its static
// team and service labels (the rule's, else its group's labels:), when
// they are set; nil (all rows) otherwise.
func staticLabelMatch(g, r *yaml.Node) func(team, service string) bool {
	label := func(name string) *yaml.Node {
		for _, n := range []*yaml.Node{r, g} {
			if l := value(n, "labels"); l != nil && l.Kind == yaml.MappingNode {
				if v := value(l, name); v != nil {
					return v
				}
			}
		}
		return nil
	}
	team, service := label("team"), label("service")
	if team == nil && service == nil {
		return nil
	}
	return func(t, s string) bool {
		return (team == nil || team.Value == t) && (service == nil || service.Value == s)
	}
}

// edit replaces line (1-based) by text, or inserts text after it.
type edit struct {
	line    int
	replace bool
	text    []string
}

// apply splices the edits into lines; every other line is kept as it was,
// byte for byte, line ending included.
func apply(lines []string, edits []edit) []byte {
	at := map[int][]edit{}
	for _, e := range edits {
		at[e.line] = append(at[e.line], e)
	}
	// New lines end as the file's first line does.
	eol := "\n"
	if len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n") {
		eol = "\r\n"
	}
	var b strings.Builder
	for i, l := range lines {
		es := at[i+1]
		replaced := false
		for _, e := range es {
			if e.replace {
				replaced = true
				for _, t := range e.text {
					b.WriteString(t + eol)
				}
			}
		}
		if !replaced {
			b.WriteString(l)
			if len(es) > 0 && !strings.HasSuffix(l, "\n") {
				b.WriteString(eol) // the last line had no newline
			}
		}
		for _, e := range es {
			if !e.replace {
				for _, t := range e.text {
					b.WriteString(t + eol)
				}
			}
		}
	}
	return []byte(b.String())
}

func key(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i]
		}
	}
	return nil
}

func value(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// parsePromDuration reads a Prometheus duration: a sequence of number-unit
// pairs with units y, w, d, h, m, s, ms in that order ("1h30m"), or "0".
func parsePromDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	units := []struct {
		name string
		d    time.Duration
	}{{"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
	rest, total, next := s, time.Duration(0), 0
	if rest == "" {
		return 0, errors.New("empty duration")
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a Prometheus duration such as 5m or 1h30m", s)
		}
		var n int64
		fmt.Sscanf(rest[:i], "%d", &n)
		rest = rest[i:]
		found := false
		for j := next; j < len(units); j++ {
			// "ms" before "m": try the longer unit name first.
			u := units[j]
			if u.name == "m" && strings.HasPrefix(rest, "ms") {
				continue
			}
			if strings.HasPrefix(rest, u.name) {
				total += time.Duration(n) * u.d
				rest = rest[len(u.name):]
				next = j + 1
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%q is not a Prometheus duration such as 5m or 1h30m", s)
		}
	}
	return total, nil
}
