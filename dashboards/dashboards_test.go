package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// jsonPanel is the part of a Grafana panel the tests read.
type jsonPanel struct {
	Type        string      `json:"type"`
	ID          int         `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Panels      []jsonPanel `json:"panels"`
	Targets     []struct {
		Expr   string `json:"expr"`
		RefID  string `json:"refId"`
		Format string `json:"format"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit       string `json:"unit"`
			Thresholds struct {
				Steps []struct {
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Transformations []struct {
		ID      string `json:"id"`
		Options struct {
			RenameByName map[string]string `json:"renameByName"`
		} `json:"options"`
	} `json:"transformations"`
}

type jsonDashboard struct {
	UID        string      `json:"uid"`
	Title      string      `json:"title"`
	Tags       []string    `json:"tags"`
	Panels     []jsonPanel `json:"panels"`
	Templating struct {
		List []struct {
			Type       string          `json:"type"`
			Name       string          `json:"name"`
			Query      json.RawMessage `json:"query"`
			Multi      bool            `json:"multi"`
			IncludeAll bool            `json:"includeAll"`
		} `json:"list"`
	} `json:"templating"`
}

// built returns every dashboard of opts, decoded from its JSON: the tests
// check the artifact Grafana receives, not the Go structs.
func built(t *testing.T, opts Options) map[string]jsonDashboard {
	t.Helper()
	ds, err := Build(opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	out := map[string]jsonDashboard{}
	for _, d := range ds {
		b, err := d.JSON()
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		var jd jsonDashboard
		if err := json.Unmarshal(b, &jd); err != nil {
			t.Fatalf("decode %s: %v", d.UID, err)
		}
		out[d.UID] = jd
	}
	return out
}

// leafPanels flattens rows.
func leafPanels(ps []jsonPanel) []jsonPanel {
	var out []jsonPanel
	for _, p := range ps {
		if p.Type == "row" {
			out = append(out, leafPanels(p.Panels)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// grafanaMacros are replaced before parsing: Grafana interpolates them, and a
// range like [$__rate_interval] is not PromQL. Variables inside label values
// ("$team") need no substitution, they are just strings to the parser.
var grafanaMacros = strings.NewReplacer(
	"$__rate_interval", "5m",
	"$__interval", "1m",
	"$__range", "1h",
)

// queries returns the queries of every dashboard of opts, by uid.
func queries(t *testing.T, opts Options) map[string][]Query {
	t.Helper()
	ds, err := Build(opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	out := map[string][]Query{}
	for _, d := range ds {
		qs, err := Queries(d)
		if err != nil {
			t.Fatal(err)
		}
		out[d.UID] = qs
	}
	return out
}

// familyOf maps a series name to its metric family: the family itself, or
// a summary's/histogram's _sum and _count, or a histogram's _bucket.
func familyOf(series string) (mn.Family, bool) {
	if f, ok := mn.Lookup(series); ok {
		return f, true
	}
	for _, suf := range []string{"_sum", "_count", "_bucket"} {
		base, ok := strings.CutSuffix(series, suf)
		if !ok {
			continue
		}
		f, ok := mn.Lookup(base)
		if !ok {
			continue
		}
		if f.Type == mn.Histogram || (f.Type == mn.Summary && suf != "_bucket") {
			return f, true
		}
	}
	return mn.Family{}, false
}

// Every expression parses, names only families of metricnames.All, and
// filters only on labels those families carry.
func TestQueriesParseAndNameOnlyExportedFamilies(t *testing.T) {
	pp := parser.NewParser(parser.Options{})
	used := map[string]bool{}
	n := 0
	for _, aggr := range []Aggregation{AggregationMax, AggregationSum} {
		for _, qs := range queries(t, Options{Aggregation: aggr}) {
			for _, q := range qs {
				n++
				expr, err := pp.ParseExpr(grafanaMacros.Replace(q.Expr))
				if err != nil {
					t.Errorf("%s: %v\n%s", q.Where(), err, q.Expr)
					continue
				}
				selectors := 0
				parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
					vs, ok := node.(*parser.VectorSelector)
					if !ok {
						return nil
					}
					selectors++
					name := vs.Name
					for _, m := range vs.LabelMatchers {
						if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
							name = m.Value
						}
					}
					if name == "" {
						t.Errorf("%s: selector %s has no metric name", q.Where(), vs)
						return nil
					}
					f, ok := familyOf(name)
					if !ok {
						t.Errorf("%s: %s is not a family of metricnames.All", q.Where(), name)
						return nil
					}
					used[f.Name] = true
					for _, m := range vs.LabelMatchers {
						switch {
						case m.Name == labels.MetricName:
						case m.Name == mn.LabelQuantile && f.Type == mn.Summary:
						case slices.Contains(f.Labels, m.Name):
						default:
							t.Errorf("%s: %s has no label %q", q.Where(), f.Name, m.Name)
						}
					}
					return nil
				})
				if selectors == 0 {
					t.Errorf("%s: no metric selector in %q", q.Where(), q.Expr)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no queries found")
	}
	var unused []string
	for _, f := range mn.All {
		if !used[f.Name] {
			unused = append(unused, f.Name)
		}
	}
	t.Logf("%d queries; families not on any dashboard: %v", n, unused)
}

// A renamed metric must break the check above: feed it a query with a name
// that is not in the file.
func TestFamilyOf(t *testing.T) {
	tests := []struct {
		series string
		want   string
		ok     bool
	}{
		{mn.Incidents, mn.Incidents, true},
		{mn.IncidentAckSeconds + "_sum", mn.IncidentAckSeconds, true},
		{mn.IncidentAckSeconds + "_count", mn.IncidentAckSeconds, true},
		{mn.IncidentAckSeconds + "_bucket", "", false}, // summaries have no buckets
		{mn.IncidentAckDurationSeconds + "_bucket", mn.IncidentAckDurationSeconds, true},
		{mn.Incidents + "_sum", "", false}, // a gauge has no _sum
		{"pagerlens_incidents_renamed", "", false},
	}
	for _, tt := range tests {
		f, ok := familyOf(tt.series)
		if ok != tt.ok || f.Name != tt.want {
			t.Errorf("familyOf(%q) = %q, %v; want %q, %v", tt.series, f.Name, ok, tt.want, tt.ok)
		}
	}
}

func TestAggregationOption(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{}, "max without (instance, pod) (" + mn.Incidents},
		{Options{Aggregation: AggregationMax}, "max without (instance, pod) (" + mn.Incidents},
		{Options{Aggregation: AggregationSum}, "sum without (instance, pod) (" + mn.Incidents},
		{Options{Aggregation: AggregationSum, ReplicaLabels: []string{"replica"}}, "sum without (replica) (" + mn.Incidents},
		{Options{ReplicaLabels: []string{}}, "sum by (severity) (" + mn.Incidents + "{"},
	}
	for _, tt := range tests {
		var found bool
		for _, q := range queries(t, tt.opts)[UIDOverview] {
			if strings.Contains(q.Expr, tt.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%+v: no query contains %q", tt.opts, tt.want)
		}
	}
	if _, err := Build(Options{Aggregation: "avg"}); err == nil {
		t.Error("Build accepted aggregation avg")
	}
	if _, err := Build(Options{Windows: []string{"7x"}}); err == nil {
		t.Error("Build accepted window 7x")
	}
}

// golden lists what users and links depend on: uids, titles, panel titles
// and units. A change here is a change users see.
var golden = []struct {
	uid, title string
	panels     []string // "title: unit"; tables list their column units
}{
	{UIDOverview, "pagerlens / Reliability overview", []string{
		"Time to acknowledge (MTTA): s", "Time to resolve (MTTR): s", "Time to mitigate (MTTM): s", "Time to detect (MTTD): s",
		"Incidents by severity: short", "Open incidents: short", "Oldest open incident: s", "Escalation rate: percentunit",
		"Major incidents: short", "Missed by alerting: short", "Auto-resolved incidents: percentunit", "Reassignment rate: percentunit",
		"Teams by MTTR: Incidents=short Major=short MTTA=s MTTM=s MTTR=s Escalation rate=percentunit Missed by alerting=short Open now=short",
	}},
	{UIDMTTx, "pagerlens / MTTx deep dive", []string{
		"MTTx by service and severity: Incidents=short MTTD=s MTTA=s MTTM=s MTTR=s MTTR p90=s",
		"Mean time to resolve by service: s", "Mean time to acknowledge by severity: s",
		"Time to acknowledge percentiles: s", "Time to resolve percentiles: s",
		"Window means over time: s", "New incidents per day by severity: short",
	}},
	{UIDAlerts, "pagerlens / Alert quality", []string{
		"Alerts: short", "Actionable: percentunit", "Transient: percentunit", "Auto-resolved: percentunit",
		"Off hours: percentunit", "Sleep hours: percentunit",
		"Alert quality by team and service: Alerts=short Acknowledged=percentunit Actionable=percentunit Transient=percentunit Auto-resolved=percentunit Off hours=percentunit Sleep hours=percentunit Flapping keys=short",
		"Actionable share by team: percentunit", "Flapping alert keys: short",
		"Noisiest alerts: Alerts=short Actionable=percentunit Transient=percentunit Not actionable=short",
	}},
	{UIDOncall, "pagerlens / On-call load and pager fatigue", []string{
		"Interruptions per responder by period: short", "Pager fatigue score: short", "Nights interrupted: short",
		"Interruptions per 12 h on call: short",
		"On-call and engaged time: On call=s Engaged=s Share of window on call=percentunit Incidents acknowledged=short Shifts over limit=short",
		"Share of window on call: percentunit", "Shifts over the SRE limit: short", "Team load balance (Gini): short",
	}},
	{UIDPipeline, "pagerlens / Pipeline health", []string{
		"Ingest rate by outcome: ops", "Dead letters by reason: ops", "Consumer lag: short", "Batch duration: s",
		"Decode warnings: ops", "Snapshot age: s", "Refresh duration: s", "Refresh errors: ops",
		"Webhook requests: ops", "Webhook latency p99: s", "Export runs: ops", "Export deliveries: ops", "Time since last successful export: s",
		"Import runs: ops", "Time since last successful import: s",
	}},
	{UIDCommand, "pagerlens / Incident command", []string{
		"Time to commander: s", "Major incidents without a commander: short", "Longest silence between status updates: s",
		"Major incidents over the update target: percentunit",
		"Share of incidents by severity: percentunit", "Retrospectives written: percentunit", "Open follow-up actions: short",
		"Follow-up actions completed: percentunit",
		"Knowledge concentration by service: Top responder share=percentunit Incidents=short Without owner=short",
		"Time with nobody on call: s",
	}},
}

// describeUnits renders a panel as in golden: its unit, or for a table the
// unit of each renamed column in order.
func describeUnits(t *testing.T, p jsonPanel) string {
	if p.Type != "table" {
		return p.Title + ": " + p.FieldConfig.Defaults.Unit
	}
	units := map[string]string{}
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if prop.ID == "unit" {
				var u string
				if err := json.Unmarshal(prop.Value, &u); err != nil {
					t.Fatalf("%s: unit override: %v", p.Title, err)
				}
				units[o.Matcher.Options] = u
			}
		}
	}
	var cols []string
	for _, tr := range p.Transformations {
		if tr.ID != "organize" {
			continue
		}
		for i := range p.Targets {
			name := tr.Options.RenameByName["Value #"+p.Targets[i].RefID]
			cols = append(cols, name+"="+units[name])
		}
	}
	return p.Title + ": " + strings.Join(cols, " ")
}

func TestGolden(t *testing.T) {
	ds := built(t, Options{})
	if len(ds) != len(golden) {
		t.Fatalf("%d dashboards, want %d", len(ds), len(golden))
	}
	for _, g := range golden {
		t.Run(g.uid, func(t *testing.T) {
			d, ok := ds[g.uid]
			if !ok {
				t.Fatalf("no dashboard with uid %s", g.uid)
			}
			if d.Title != g.title {
				t.Errorf("title %q, want %q", d.Title, g.title)
			}
			if !slices.Equal(d.Tags, []string{Tag}) {
				t.Errorf("tags %v, want [%s]", d.Tags, Tag)
			}
			var got []string
			for _, p := range leafPanels(d.Panels) {
				got = append(got, describeUnits(t, p))
			}
			if !slices.Equal(got, g.panels) {
				t.Errorf("panels:\n got %q\nwant %q", got, g.panels)
			}
		})
	}
}

// Every panel says what it shows, has a unit and a unique id; every
// dashboard has the same variables.
func TestPanelsAndVariables(t *testing.T) {
	for uid, d := range built(t, Options{}) {
		ids := map[int]bool{}
		var walk func([]jsonPanel)
		walk = func(ps []jsonPanel) {
			for _, p := range ps {
				if ids[p.ID] {
					t.Errorf("%s: duplicate panel id %d", uid, p.ID)
				}
				ids[p.ID] = true
				walk(p.Panels)
			}
		}
		walk(d.Panels)
		for _, p := range leafPanels(d.Panels) {
			if len(p.Description) < 20 {
				t.Errorf("%s %q: description %q too short", uid, p.Title, p.Description)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s %q: no queries", uid, p.Title)
			}
			if p.Type != "table" && p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s %q: no unit", uid, p.Title)
			}
		}
		var vars []string
		for _, v := range d.Templating.List {
			vars = append(vars, v.Type+":"+v.Name)
			if v.Type == "query" && (!v.Multi || !v.IncludeAll) {
				t.Errorf("%s variable %s: want multi-value with All", uid, v.Name)
			}
			if v.Name == varWindow {
				var q string
				_ = json.Unmarshal(v.Query, &q)
				if q != "7d,30d,90d" {
					t.Errorf("%s window values %q", uid, q)
				}
			}
		}
		want := []string{"datasource:datasource", "query:team", "query:service", "query:severity", "custom:window"}
		if !slices.Equal(vars, want) {
			t.Errorf("%s variables %v, want %v", uid, vars, want)
		}
	}
}

// The SRE thresholds sit where the guidance applies.
func TestThresholds(t *testing.T) {
	tests := []struct {
		uid, panel string
		want       float64
	}{
		{UIDOncall, "Share of window on call", 0.25},
		{UIDOncall, "Interruptions per 12 h on call", 2},
		{UIDOncall, "Shifts over the SRE limit", 1},
		{UIDOncall, "Pager fatigue score", 14}, // yellow at half the limit, red at 28
		{UIDCommand, "Longest silence between status updates", 1800},
		{UIDCommand, "Time with nobody on call", 1},
	}
	ds := built(t, Options{})
	for _, tt := range tests {
		var found bool
		for _, p := range leafPanels(ds[tt.uid].Panels) {
			if p.Title != tt.panel {
				continue
			}
			found = true
			steps := p.FieldConfig.Defaults.Thresholds.Steps
			if len(steps) < 2 || steps[1].Value == nil || *steps[1].Value != tt.want {
				t.Errorf("%s %q: thresholds %+v, want first step at %v", tt.uid, tt.panel, steps, tt.want)
			}
		}
		if !found {
			t.Errorf("%s: no panel %q", tt.uid, tt.panel)
		}
	}
}

// The full JSON is pinned too, so that any change to what Grafana receives
// shows up in review. Regenerate with: go test ./dashboards/ -update
func TestGoldenJSON(t *testing.T) {
	ds, err := Build(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ds {
		got, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", d.FileName())
		names = append(names, d.FileName())
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./dashboards/ -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generated dashboard; if intended, run go test ./dashboards/ -update", path)
		}
	}
	// Building twice gives the same bytes (no map-order or time dependence).
	again, _ := Build(Options{})
	for i := range ds {
		a, _ := ds[i].JSON()
		b, _ := again[i].JSON()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds differ", ds[i].UID)
		}
	}
	if len(names) != len(golden) {
		t.Errorf("%d dashboards, want %d", len(names), len(golden))
	}
}
