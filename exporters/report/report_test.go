package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/internal/testkit"
	"github.com/pagerlens/pagerlens/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedNow ends the synthetic stream; the report window ends there too.
var fixedNow = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

func build(tb testing.TB, s *store.Store, team string) *report.Report {
	tb.Helper()
	w, err := analytics.ParseWindow("30d")
	if err != nil {
		tb.Fatal(err)
	}
	r, err := report.Build(context.Background(), s, report.Options{Config: analytics.DefaultConfig(fixedNow), Window: w, Team: team})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func render(tb testing.TB, r *report.Report, f report.Format) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := r.Write(&b, f); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./exporters/report/ -update and review the diff\n--- got (first 2000 bytes):\n%.2000s", name, got)
	}
}

func TestGolden(t *testing.T) {
	s := testkit.SynthStore(t, fixedNow)
	for _, tc := range []struct {
		name, team string
		format     report.Format
	}{
		{"fatigue.json", "", report.JSON},
		{"fatigue.md", "", report.Markdown},
		{"fatigue-team.md", "search", report.Markdown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, render(t, build(t, s, tc.team), tc.format))
		})
	}
}

// The JSON is the Report struct: it decodes back and carries the sections.
func TestJSONShape(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "")
	var back report.Report
	if err := json.Unmarshal(render(t, r, report.JSON), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Teams) != 2 {
		t.Fatalf("teams: %d, want 2", len(back.Teams))
	}
	for _, tm := range back.Teams {
		var heat int64
		for _, row := range tm.Heatmap.Counts {
			for _, n := range row {
				heat += n
			}
		}
		var weeks int64
		for _, w := range tm.Trend {
			weeks += w.Total
		}
		// The heat map, the trend and the summary count the same
		// interruptions three ways.
		if heat != tm.Summary.InterruptionsTotal || weeks != tm.Summary.InterruptionsTotal {
			t.Errorf("%s: heat map %d, trend %d, summary %d", tm.Team, heat, weeks, tm.Summary.InterruptionsTotal)
		}
		if len(tm.Responders) == 0 || len(tm.Trend) < 5 {
			t.Errorf("%s: %d responders, %d weeks", tm.Team, len(tm.Responders), len(tm.Trend))
		}
		for _, a := range tm.Noisiest {
			if a.Rule == "" || a.Recommendation == "" {
				t.Errorf("%s/%s: no recommendation", tm.Team, a.AlertName)
			}
		}
	}
}

func TestTeamFilter(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "search")
	if len(r.Teams) != 1 || r.Teams[0].Team != "search" {
		t.Fatalf("teams %+v", r.Teams)
	}
}

func TestHTML(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "")
	doc, err := html.Parse(bytes.NewReader(render(t, r, report.HTML)))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]int{}
	teams := 0
	var viewport, printCSS bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case key == "data-section":
					sections[a.Val]++
				case key == "data-team":
					teams++
				case key == "name" && a.Val == "viewport":
					viewport = true
				}
				if ext := externalRef(key, a.Val); ext != "" {
					t.Errorf("<%s %s=%q> references %q", n.Data, a.Key, a.Val, ext)
				}
			}
			switch n.Data {
			case "script", "link", "iframe", "object", "embed", "img", "image", "use":
				t.Errorf("element <%s> has no place in the report", n.Data)
			}
		}
		if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data == "style" {
			if strings.Contains(n.Data, "@media print") {
				printCSS = true
			}
			if ext := externalRef("style", n.Data); ext != "" {
				t.Errorf("<style> references %q", ext)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if !viewport || !printCSS {
		t.Errorf("viewport meta %v, print CSS %v", viewport, printCSS)
	}
	if teams != len(r.Teams) {
		t.Errorf("%d team sections, want %d", teams, len(r.Teams))
	}
	for _, s := range []string{"header", "overview", "contents", "summary", "responders", "heatmap", "trend", "noisiest", "dependencies", "rules"} {
		want := len(r.Teams)
		if s == "header" || s == "overview" || s == "contents" || s == "dependencies" || s == "rules" {
			want = 1
		}
		if sections[s] != want {
			t.Errorf("section %q appears %d times, want %d", s, sections[s], want)
		}
	}
}

// externalRef returns the URL an attribute (or CSS text, key "style")
// points to outside the document: anything but a fragment (#x) or a data:
// URI in src/href-like attributes and in CSS url(…), and any http(s) URL
// anywhere.
func externalRef(key, val string) string {
	v := strings.TrimSpace(val)
	lv := strings.ToLower(v)
	if strings.Contains(lv, "http://") || strings.Contains(lv, "https://") || strings.Contains(lv, "//") && key != "style" && strings.HasPrefix(lv, "//") {
		return v
	}
	switch key {
	case "src", "href", "xlink:href", "action", "formaction", "poster", "srcset", "data", "background", "cite":
		if !strings.HasPrefix(v, "#") && !strings.HasPrefix(lv, "data:") {
			return v
		}
	case "style":
		for rest := lv; ; {
			i := strings.Index(rest, "url(")
			if i < 0 {
				break
			}
			arg := strings.Trim(strings.TrimSpace(rest[i+4:]), `"'`)
			if !strings.HasPrefix(arg, "#") && !strings.HasPrefix(arg, "data:") {
				return rest[i:]
			}
			rest = rest[i+4:]
		}
		if strings.Contains(lv, "@import") {
			return "@import"
		}
	}
	return ""
}

// The checker itself must catch what it is there to catch.
func TestExternalRef(t *testing.T) {
	for _, tc := range []struct {
		key, val string
		ext      bool
	}{
		{"href", "#team-0", false},
		{"href", "https://example.com/", true},
		{"src", "data:image/png;base64,AAAA", false},
		{"src", "chart.svg", true},
		{"href", "//cdn.example.com/x.css", true},
		{"style", "background: url(data:image/png;base64,AA)", false},
		{"style", "background: url('img/x.png')", true},
		{"style", "@import 'x.css';", true},
		{"xmlns", "http://www.w3.org/2000/svg", true},
		{"class", "n flag", false},
	} {
		if got := externalRef(tc.key, tc.val) != ""; got != tc.ext {
			t.Errorf("externalRef(%s=%q) = %v, want %v", tc.key, tc.val, got, tc.ext)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want report.Format
		err  bool
	}{
		{"html", report.HTML, false}, {"md", report.Markdown, false}, {"markdown", report.Markdown, false},
		{"JSON", report.JSON, false}, {"pdf", "", true},
	} {
		got, err := report.ParseFormat(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// TestMarkdownCarriesHTMLTables: the Markdown report has every table of the
// HTML one with the same columns (the HTML's heat-map table aside: Markdown
// draws the heat map as text), so a chat post loses no figure the HTML has.
func TestMarkdownCarriesHTMLTables(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "")
	doc, err := html.Parse(bytes.NewReader(render(t, r, report.HTML)))
	if err != nil {
		t.Fatal(err)
	}
	var htmlHeads [][]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		// An empty list is a sentence in Markdown and a one-cell row in
		// HTML (td colspan): only tables with rows are compared.
		if n.Type == html.ElementNode && n.Data == "table" && !hasClass(n, "heat") && !hasAttr(n, "colspan") {
			var head []string
			var cells func(n *html.Node)
			cells = func(n *html.Node) {
				if n.Type == html.ElementNode && n.Data == "th" && n.Parent != nil && n.Parent.Parent != nil && n.Parent.Parent.Data == "thead" {
					head = append(head, strings.TrimSpace(textOf(n)))
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					cells(c)
				}
			}
			cells(n)
			htmlHeads = append(htmlHeads, head)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	md := map[string]bool{}
	lines := strings.Split(string(render(t, r, report.Markdown)), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "| ") && strings.HasPrefix(lines[i+1], "| ---") {
			var head []string
			for _, c := range strings.Split(strings.Trim(lines[i], "|"), "|") {
				if c = strings.TrimSpace(c); c != "" { // the trend's bar column has no title
					head = append(head, c)
				}
			}
			md[strings.Join(head, " | ")] = true
		}
	}
	if len(htmlHeads) < 8 {
		t.Fatalf("only %d tables in the HTML", len(htmlHeads))
	}
	for _, h := range htmlHeads {
		if k := strings.Join(h, " | "); !md[k] {
			t.Errorf("the Markdown has no table with the HTML's columns %q", k)
		}
	}
	// The rules legend is there with every rule.
	for _, rule := range report.Rules {
		if !strings.Contains(string(render(t, r, report.Markdown)), "| "+rule.ID+" | ") {
			t.Errorf("the Markdown's rules table lacks %q", rule.ID)
		}
	}
}

// hasAttr says whether n or an element inside it has the attribute key.
func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if hasAttr(c, key) {
			return true
		}
	}
	return false
}

func hasClass(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && slices.Contains(strings.Fields(a.Val), class) {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

// TestOverview: the cross-team summary repeats each team's summary, most
// fatigued first, and its totals are the sums, scored by
// analytics.FatigueScore as a team is.
func TestOverview(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "")
	o := r.Overview
	if len(o.Teams) != len(r.Teams) || o.Total.Teams != len(r.Teams) {
		t.Fatalf("overview %d lines, total over %d teams; want %d", len(o.Teams), o.Total.Teams, len(r.Teams))
	}
	byName := map[string]report.Team{}
	for _, tm := range r.Teams {
		byName[tm.Team] = tm
	}
	var all, outside analytics.Interruptions
	var oncall float64
	var nights, blocks, responders, pagedOutside int64
	for i, line := range o.Teams {
		tm := byName[line.Team]
		s := tm.Summary
		if line.InterruptionsTotal != s.InterruptionsTotal || line.FatigueScore != s.FatigueScore || line.NightsInterrupted != s.NightsInterrupted ||
			line.MostFatigued == nil || line.MostFatigued.Responder != tm.Responders[0].Responder {
			t.Errorf("%s: line %+v, summary %+v", line.Team, line, s)
		}
		if i > 0 && o.Teams[i-1].FatigueScore < line.FatigueScore {
			t.Errorf("overview not most fatigued first: %s %v before %s %v", o.Teams[i-1].Team, o.Teams[i-1].FatigueScore, line.Team, line.FatigueScore)
		}
		all.Add(s.Interruptions)
		outside.Add(s.InterruptionsOutsideShifts)
		pagedOutside += s.RespondersPagedOutsideShifts
		oncall += s.OnCallSeconds
		nights += s.NightsInterrupted
		blocks += s.ShiftsOverLimit
		responders += s.Responders
	}
	tot := o.Total
	cfg := analytics.DefaultConfig(fixedNow)
	w, _ := analytics.ParseWindow("30d")
	if tot.Interruptions != all || tot.InterruptionsOutsideShifts != outside || tot.OnCallSeconds != oncall ||
		tot.NightsInterrupted != nights || tot.ShiftsOverLimit != blocks || tot.Responders != responders ||
		tot.FatigueScore != analytics.FatigueScore(cfg.FatigueWeights, all, outside, oncall, w.Duration, pagedOutside) ||
		tot.FatigueLevel != analytics.FatigueLevel(tot.FatigueScore, 28) {
		t.Errorf("total %+v; want the sums of the teams", tot)
	}
}

// TestTrendPartial: the 30d window ending Mon 2026-03-09 00:00Z starts on
// Sat 02-07 00:00Z, so the trend's first week (Mon 02-02) has 2 of its 7
// days in the window and is partial; the others, up to the week of 03-02
// (ending exactly at now), are whole.
func TestTrendPartial(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "")
	for _, tm := range r.Teams {
		for i, w := range tm.Trend {
			want, partial := 7.0, false
			if i == 0 {
				want, partial = 2, true
			}
			if w.DaysInWindow != want || w.Partial != partial {
				t.Errorf("%s week %s: %v days, partial %v; want %v, %v", tm.Team, w.Start, w.DaysInWindow, w.Partial, want, partial)
			}
		}
		if tm.Trend[0].Start != "2026-02-02" || tm.Trend[len(tm.Trend)-1].Start != "2026-03-02" {
			t.Errorf("%s: trend %s … %s", tm.Team, tm.Trend[0].Start, tm.Trend[len(tm.Trend)-1].Start)
		}
	}
	// A window ending mid-week makes the last week partial too: 10d to
	// Wed 03-11 12:00Z runs from Sun 03-01 12:00Z: week 02-23 has 0.5 day,
	// 03-02 all 7, 03-09 2.5.
	w, _ := analytics.ParseWindow("10d")
	now := time.Date(2026, 3, 11, 12, 0, 0, 0, time.UTC)
	r2, err := report.Build(context.Background(), testkit.SynthStore(t, now), report.Options{Config: analytics.DefaultConfig(now), Window: w})
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range r2.Teams {
		var got []float64
		for _, wk := range tm.Trend {
			got = append(got, wk.DaysInWindow)
			if wk.Partial != (wk.DaysInWindow < 7) {
				t.Errorf("%s week %s: partial %v with %v days", tm.Team, wk.Start, wk.Partial, wk.DaysInWindow)
			}
		}
		if !slices.Equal(got, []float64{0.5, 7, 2.5}) {
			t.Errorf("%s: days per week %v, want [0.5 7 2.5]", tm.Team, got)
		}
	}
}
