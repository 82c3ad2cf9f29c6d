package doccheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// root is the repository root, from this package's directory.
const root = "../.."

// docFiles are README.md and docs/*.md, relative to root.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	if len(out) < 5 {
		t.Fatalf("found only %v: is root right?", out)
	}
	return out
}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// familyRef is a metric name as docs write it: a full name, possibly with
// brace alternatives inside it (pagerlens_incident_{ack,resolve}_seconds) or
// a trailing * or _ for a prefix (pagerlens_ingest_*). Braces at the end are
// labels (pagerlens_webhook_requests_total{source,code}), not part of it.
var familyRef = regexp.MustCompile(`(^|[^A-Za-z0-9_])(pagerlens_[a-z0-9_]*(?:\{[a-z0-9_,]*\}[a-z0-9_]+)*\*?)`)

// shorthandRef is a code span that continues the previous full name in the
// same paragraph: "`pagerlens_incidents`, `_escalated`, `_major`".
var shorthandRef = regexp.MustCompile("`(_[a-z0-9_]+)`")

// expandBraces expands each {a,b} group: x_{a,b}_y → x_a_y, x_b_y.
func expandBraces(s string) []string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return []string{s}
	}
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return []string{s}
	}
	var out []string
	for _, alt := range strings.Split(s[i+1:i+j], ",") {
		out = append(out, expandBraces(s[:i]+alt+s[i+j+1:])...)
	}
	return out
}

// exported says whether name is a series pagerlens exports: a family, or
// the _sum/_count of a summary or histogram, or the _bucket of a histogram.
func exported(name string) bool {
	if _, ok := mn.Lookup(name); ok {
		return true
	}
	for _, suffix := range []string{"_sum", "_count", "_bucket"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		f, ok := mn.Lookup(base)
		if !ok {
			continue
		}
		switch {
		case f.Type == mn.Histogram:
			return true
		case f.Type == mn.Summary && suffix != "_bucket":
			return true
		}
	}
	return false
}

// exportedPrefix says whether some family starts with prefix.
func exportedPrefix(prefix string) bool {
	return slices.ContainsFunc(mn.All, func(f mn.Family) bool { return strings.HasPrefix(f.Name, prefix) })
}

// checkFamilies returns the metric names in text that pagerlens does not
// export, each with its line.
func checkFamilies(text string) []string {
	_, bad := scanFamilies(text)
	return bad
}

// scanFamilies returns the exported series text names (shorthands
// resolved) and, each with its line, the names that pagerlens does not
// export.
func scanFamilies(text string) (found, bad []string) {
	for _, paragraph := range paragraphs(text) {
		// last is the previous full name of the paragraph, for shorthands.
		var last string
		type ref struct {
			at   int
			full string // a full reference, or
			tail string // a shorthand
		}
		var refs []ref
		for _, m := range familyRef.FindAllStringSubmatchIndex(paragraph.text, -1) {
			refs = append(refs, ref{at: m[4], full: paragraph.text[m[4]:m[5]]})
		}
		for _, m := range shorthandRef.FindAllStringSubmatchIndex(paragraph.text, -1) {
			refs = append(refs, ref{at: m[2], tail: paragraph.text[m[2]:m[3]]})
		}
		slices.SortFunc(refs, func(a, b ref) int { return a.at - b.at })
		for _, r := range refs {
			line := paragraph.line + strings.Count(paragraph.text[:r.at], "\n")
			if r.full != "" {
				for _, name := range expandBraces(r.full) {
					var ok bool
					switch {
					case strings.HasSuffix(name, "*"):
						ok = exportedPrefix(strings.TrimSuffix(name, "*"))
					case strings.HasSuffix(name, "_"):
						ok = exportedPrefix(name)
					default:
						ok = exported(name)
					}
					if !ok {
						bad = append(bad, fmt.Sprintf("line %d: %s", line, name))
					} else {
						found = append(found, name)
					}
				}
				last = expandBraces(r.full)[0]
				continue
			}
			if last == "" || strings.HasSuffix(last, "*") {
				continue // a code span like `_hours` with no family before it
			}
			if slices.Contains([]string{"_sum", "_count", "_bucket", "_total"}, r.tail) {
				continue // the series suffixes, named in general
			}
			// `_ack_seconds` after pagerlens_incident_detect_seconds means
			// pagerlens_incident_ack_seconds: the shorthand replaces some
			// tail of the previous name (or adds _sum/_count to it).
			ok := false
			parts := strings.Split(last, "_")
			for k := len(parts); k >= 1 && !ok; k-- {
				if name := strings.Join(parts[:k], "_") + r.tail; exported(name) {
					ok = true
					found = append(found, name)
				}
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("line %d: %s (after %s)", line, r.tail, last))
			}
		}
	}
	return found, bad
}

type paragraph struct {
	line int // of its first line, from 1
	text string
}

// listOrRow starts a unit of its own: a table row or a list item.
var listOrRow = regexp.MustCompile(`^\s*(\||[-*] |[0-9]+\. )`)

// paragraphs splits text into the units a shorthand refers within: at
// blank lines, table rows and list items; a fenced code block is one unit.
func paragraphs(text string) []paragraph {
	var out []paragraph
	var cur []string
	start, fenced := 1, false
	flush := func(next int) {
		if len(cur) > 0 {
			out = append(out, paragraph{line: start, text: strings.Join(cur, "\n")})
		}
		cur, start = nil, next
	}
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
		}
		if !fenced && strings.TrimSpace(l) == "" {
			flush(i + 2)
			continue
		}
		if !fenced && listOrRow.MatchString(l) {
			flush(i + 1)
		}
		cur = append(cur, l)
	}
	flush(0)
	return out
}

// Every metric family named in the docs is one pagerlens exports.
func TestDocsNameExportedFamilies(t *testing.T) {
	for _, f := range docFiles(t) {
		t.Run(f, func(t *testing.T) {
			for _, b := range checkFamilies(read(t, f)) {
				t.Errorf("%s %s: no such metric (internal/metricnames)", f, b)
			}
		})
	}
}

// docs/prometheus.md's table of families lists every family pagerlens
// exports: a family added to internal/metricnames must be documented there.
func TestPrometheusDocListsEveryFamily(t *testing.T) {
	text := read(t, "docs/prometheus.md")
	start := strings.Index(text, "## Families")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("docs/prometheus.md has no section \"## Families\"")
	}
	found, _ := scanFamilies(text[start : start+1+end])
	for _, f := range mn.All {
		if !slices.Contains(found, f.Name) {
			t.Errorf("%s (%s) is not in docs/prometheus.md's table of families", f.Name, f.Type)
		}
	}
}

// The check itself: each case is a line a doc could hold.
func TestCheckFamilies(t *testing.T) {
	tests := []struct {
		text string
		bad  []string
	}{
		{"`pagerlens_incidents_total` counts", nil},
		{"`pagerlens_incident_detect_seconds`, `_ack_seconds`, `_mitigate_seconds`", nil},
		{"`pagerlens_incident_{detect,ack}_seconds_sum` and `_count`", nil},
		{"`pagerlens_incident_{ack,resolve}_duration_seconds_bucket`", nil},
		{"sum(rate(pagerlens_webhook_requests_total{source=\"x\"}[5m]))", nil},
		{"`pagerlens_ingest_*` and `pagerlens_analytics_*`", nil},
		{"team_window:pagerlens_incident_ack_seconds:mean", nil},
		{"PAGERLENS_WEB_CONFIG_FILE", nil},
		{"`pagerlens_alerts`, `_acknowledged`, `_off_hours`", []string{"line 1: _off_hours (after pagerlens_alerts)"}},
		{"`pagerlens_alerts_sleep_hours`", []string{"line 1: pagerlens_alerts_sleep_hours"}},
		{"`pagerlens_incidents_bucket`", []string{"line 1: pagerlens_incidents_bucket"}},                       // a gauge has no buckets
		{"`pagerlens_incident_ack_seconds_bucket`", []string{"line 1: pagerlens_incident_ack_seconds_bucket"}}, // a summary neither
		{"`pagerlens_incident_{ack,nope}_seconds`", []string{"line 1: pagerlens_incident_nope_seconds"}},
		{"`pagerlens_nope_*`", []string{"line 1: pagerlens_nope_*"}},
		{"`pagerlens_alerts`\n\nthen `_off_hours` in another paragraph", nil},
		{"| `pagerlens_alerts` | x |\n| `_off_hours` | y |", nil}, // another row
		{"- `pagerlens_incidents_total` and\n  `_sum` and `_count` in general", nil},
		{"`pagerlens_webhook_requests_total{source,code}`", nil},
		{"```\npagerlens_alerts\n\npagerlens_nope\n```", []string{"line 4: pagerlens_nope"}},
	}
	for _, tt := range tests {
		if got := checkFamilies(tt.text); !slices.Equal(got, tt.bad) {
			t.Errorf("checkFamilies(%q) = %q, want %q", tt.text, got, tt.bad)
		}
	}
}

var (
	fence      = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```[^\n]*$")
	codeSpan   = regexp.MustCompile("`[^`\n]*`")
	mdLink     = regexp.MustCompile(`!?\[[^\]\n]*\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	heading    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	pathMentio = regexp.MustCompile("(^|[\\s(`'\"\\[,;])((?:\\.\\./|[A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\\.(?:md|go))\\b")
)

// withoutCode blanks fenced blocks and code spans (keeping line breaks), so
// that what looks like a link inside code is not taken for one.
func withoutCode(text string) string {
	blank := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '\n' {
				return r
			}
			return ' '
		}, s)
	}
	text = fence.ReplaceAllStringFunc(text, blank)
	return codeSpan.ReplaceAllStringFunc(text, blank)
}

// anchors are the heading ids GitHub gives a document: lower case, letters,
// digits, spaces as hyphens, hyphens and underscores kept, the rest
// dropped; a repeated id gets -1, -2, …
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range strings.Split(fence.ReplaceAllString(text, ""), "\n") {
		m := heading.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			out[fmt.Sprintf("%s-%d", id, n)] = true
		} else {
			out[id] = true
		}
		seen[id]++
	}
	return out
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
	return err == nil
}

// checkLinks returns the relative links of file (relative to root) that do
// not resolve: a missing file, or a #anchor that no heading of the target
// has. Mentions of a .md or .go path in the text (`docs/schema.md`,
// `store/derive.go`) must resolve too, from the file's folder or the root.
func checkLinks(file, text string, readDoc func(rel string) (string, bool)) []string {
	var bad []string
	dir := filepath.ToSlash(filepath.Dir(file))
	lineOf := func(s string, at int) int { return 1 + strings.Count(s[:at], "\n") }
	plain := withoutCode(text)
	for _, m := range mdLink.FindAllStringSubmatchIndex(plain, -1) {
		target := plain[m[2]:m[3]]
		if scheme.MatchString(target) {
			continue
		}
		path, anchor, _ := strings.Cut(target, "#")
		rel := file
		if path != "" {
			rel = filepath.ToSlash(filepath.Clean(filepath.Join(dir, path)))
			if strings.HasPrefix(rel, "../") || !exists(rel) {
				bad = append(bad, fmt.Sprintf("line %d: link %s: no file %s", lineOf(plain, m[0]), target, rel))
				continue
			}
		}
		if anchor == "" {
			continue
		}
		doc, ok := readDoc(rel)
		if !ok {
			bad = append(bad, fmt.Sprintf("line %d: link %s: #%s into a file that is not Markdown", lineOf(plain, m[0]), target, anchor))
			continue
		}
		if !anchors(doc)[anchor] {
			bad = append(bad, fmt.Sprintf("line %d: link %s: %s has no heading #%s", lineOf(plain, m[0]), target, rel, anchor))
		}
	}
	if strings.Contains(text, "<!-- Generated by") {
		// A generated list (docs/licenses.md) names files of other
		// modules; its links are still checked above.
		return bad
	}
	// A path in the text of a link to another site names a file of that
	// site ([`docs/webhooks/01-Overview.md`](https://github.com/…)).
	var external [][2]int
	for _, m := range mdLink.FindAllStringSubmatchIndex(text, -1) {
		if scheme.MatchString(text[m[2]:m[3]]) {
			external = append(external, [2]int{m[0], m[1]})
		}
	}
	inExternal := func(at int) bool {
		for _, r := range external {
			if at >= r[0] && at < r[1] {
				return true
			}
		}
		return false
	}
	for _, m := range pathMentio.FindAllStringSubmatchIndex(text, -1) {
		p := text[m[4]:m[5]]
		if inExternal(m[4]) {
			continue
		}
		if strings.HasSuffix(p, ".go") && !strings.Contains(p, "/") {
			continue // a bare file name: which package's is not said
		}
		fromDir := filepath.ToSlash(filepath.Clean(filepath.Join(dir, p)))
		fromRoot := filepath.ToSlash(filepath.Clean(p))
		if (!strings.HasPrefix(fromDir, "../") && exists(fromDir)) || (!strings.HasPrefix(fromRoot, "../") && exists(fromRoot)) {
			continue
		}
		bad = append(bad, fmt.Sprintf("line %d: %s: no such file (from %s or the repository root)", lineOf(text, m[4]), p, dir))
	}
	return bad
}

// Every relative link, anchor and document path in the docs resolves.
func TestDocsLinksResolve(t *testing.T) {
	readDoc := func(rel string) (string, bool) {
		if !strings.HasSuffix(rel, ".md") {
			return "", false
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		return string(b), err == nil
	}
	for _, f := range docFiles(t) {
		t.Run(f, func(t *testing.T) {
			for _, b := range checkLinks(f, read(t, f), readDoc) {
				t.Errorf("%s %s", f, b)
			}
		})
	}
}

func TestCheckLinks(t *testing.T) {
	docs := map[string]string{
		"docs/sources.md": "# Source formats\n\n## PagerDuty (Webhooks V3)\n\n## Rules common to every decoder\n\n## Rules common to every decoder\n",
	}
	readDoc := func(rel string) (string, bool) { d, ok := docs[rel]; return d, ok }
	tests := []struct {
		file, text string
		bad        []string
	}{
		{"docs/webhooks.md", "see [sources.md](sources.md#pagerduty-webhooks-v3)", nil},
		{"docs/webhooks.md", "see [x](sources.md#rules-common-to-every-decoder-1)", nil},
		{"README.md", "[docs/metrics.md](docs/metrics.md) and [results](bench/results.md)", nil},
		{"README.md", "[site](https://example.com/a.md) and `[not a link](nowhere.md)`",
			[]string{"line 1: nowhere.md: no such file (from . or the repository root)"}}, // a mention, not a link
		{"docs/x.md", "code in `store/derive.go` and docs/schema.md and ../bench/results.md", nil},
		{"docs/x.md", "a bare `oncall.go`", nil},
		{"docs/sources.md", "checked against [`docs/webhooks/01-Overview.md`](https://github.com/PagerDuty/developer-docs/blob/main/docs/webhooks/01-Overview.md)", nil}, // another site's file
		{"docs/x.md", "see [x](nowhere.md)", []string{"line 1: link nowhere.md: no file docs/nowhere.md", "line 1: nowhere.md: no such file (from docs or the repository root)"}},
		{"docs/webhooks.md", "see\n[x](sources.md#pagerduty)", []string{"line 2: link sources.md#pagerduty: docs/sources.md has no heading #pagerduty"}},
		{"docs/sources.md", "see `architecture.md`, \"The canonical event\"", []string{"line 1: architecture.md: no such file (from docs or the repository root)"}},
		{"docs/x.md", "in store/nope.go", []string{"line 1: store/nope.go: no such file (from docs or the repository root)"}},
		{"docs/x.md", "[up](../../etc/passwd)", []string{"line 1: link ../../etc/passwd: no file ../etc/passwd"}},
	}
	for _, tt := range tests {
		if got := checkLinks(tt.file, tt.text, readDoc); !slices.Equal(got, tt.bad) {
			t.Errorf("checkLinks(%s, %q) =\n %q\nwant\n %q", tt.file, tt.text, got, tt.bad)
		}
	}
}
