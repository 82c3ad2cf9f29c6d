package dashboards

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/internal/thresholds"
)

// The datasource variable opens on the data source WriteProvisioning
// declares, not on whatever Prometheus the Grafana has as its default.
func TestDatasourceDefault(t *testing.T) {
	ds, err := Build(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		b, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var jd struct {
			Templating struct {
				List []struct {
					Type    string `json:"type"`
					Query   string `json:"query"`
					Current struct {
						// Arrays for the multi-value variables.
						Text, Value json.RawMessage
					} `json:"current"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(b, &jd); err != nil {
			t.Fatalf("%s: %v", d.UID, err)
		}
		var found bool
		for _, v := range jd.Templating.List {
			if v.Type != "datasource" {
				continue
			}
			found = true
			var text, value string
			_ = json.Unmarshal(v.Current.Text, &text)
			_ = json.Unmarshal(v.Current.Value, &value)
			if v.Query != "prometheus" || value != DatasourceUID || text != DatasourceName {
				t.Errorf("%s: datasource variable of %q, current %q (%q); want prometheus, current %q (%q)", d.UID, v.Query, value, text, DatasourceUID, DatasourceName)
			}
		}
		if !found {
			t.Errorf("%s: no datasource variable", d.UID)
		}
	}
	if y := string(datasourceYAML("http://p:9090")); !strings.Contains(y, "name: "+DatasourceName+"\n") || !strings.Contains(y, `uid: "`+DatasourceUID+`"`) {
		t.Errorf("provisioned data source is not the variable's default:\n%s", y)
	}
}

// The Gini panel has one threshold, the one the fatigue report uses.
func TestGiniThresholdIsTheReports(t *testing.T) {
	var found bool
	for _, p := range leafPanels(built(t, Options{})[UIDOncall].Panels) {
		if p.Title != "Team load balance (Gini)" {
			continue
		}
		found = true
		steps := p.FieldConfig.Defaults.Thresholds.Steps
		if len(steps) != 2 || steps[1].Value == nil || *steps[1].Value != thresholds.GiniUneven {
			t.Errorf("Gini thresholds %+v, want the base colour and one step at %v", steps, thresholds.GiniUneven)
		}
		if !strings.Contains(p.Description, "Red from 0.4,") {
			t.Errorf("Gini description does not state the threshold: %q", p.Description)
		}
	}
	if !found {
		t.Error("no Gini panel")
	}
}

// docs/dashboards.md's panel list counts what the package builds, and every
// dashboard has its section, headed with its uid.
func TestDocsPanelList(t *testing.T) {
	b, err := os.ReadFile("../docs/dashboards.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	_, list, ok := strings.Cut(doc, "## Panel list")
	if !ok {
		t.Fatal("docs/dashboards.md has no panel list")
	}
	row := regexp.MustCompile(`(?m)^\| ([^|]+?) \| (\d+) \(.*\) \+ (\d+) rows \|$`)
	documented := map[string][2]int{}
	for _, m := range row.FindAllStringSubmatch(list, -1) {
		panels, _ := strconv.Atoi(m[2])
		rows, _ := strconv.Atoi(m[3])
		documented[m[1]] = [2]int{panels, rows}
	}
	for uid, d := range built(t, Options{}) {
		title := strings.TrimPrefix(d.Title, "pagerlens / ")
		want, ok := documented[title]
		if !ok {
			t.Errorf("%s: no row %q in docs/dashboards.md's panel list", uid, title)
			continue
		}
		rows := 0
		for _, p := range d.Panels {
			if p.Type == "row" {
				rows++
			}
		}
		if got := [2]int{len(leafPanels(d.Panels)), rows}; got != want {
			t.Errorf("%s: docs/dashboards.md says %d panels + %d rows, the dashboard has %d + %d", uid, want[0], want[1], got[0], got[1])
		}
		if !strings.Contains(doc, "### "+title+" (`"+uid+"`)") {
			t.Errorf("%s: docs/dashboards.md has no section \"### %s (`%s`)\"", uid, title, uid)
		}
	}
}
