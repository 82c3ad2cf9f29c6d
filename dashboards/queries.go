package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Query is one PromQL expression of a built dashboard: a panel target's, or
// the selector of a label_values(selector, label) query variable.
type Query struct {
	Dashboard string // uid
	// Panel and RefID are set for a panel target.
	Panel, RefID string
	// Variable and Label are set for a query variable: its selector must
	// return series carrying Label.
	Variable, Label string
	// Expr is as in the dashboard JSON: Grafana macros ($__rate_interval)
	// and variables ($team) are left for the caller to substitute.
	Expr string
}

// Where names the query's place in messages: the dashboard uid and the
// panel title and ref id, or the variable name.
func (q Query) Where() string {
	if q.Variable != "" {
		return fmt.Sprintf("%s variable %s", q.Dashboard, q.Variable)
	}
	return fmt.Sprintf("%s panel %q %s", q.Dashboard, q.Panel, q.RefID)
}

var labelValues = regexp.MustCompile(`^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// Queries returns every query of d: panel targets in panel order (a
// collapsed row's panels where the row stands), then the query variables.
// It reads the dashboard JSON, the artifact Grafana receives, rather than
// the Go definitions, so that the unit and end-to-end checks of the
// queries see exactly what Grafana will run.
func Queries(d Dashboard) ([]Query, error) {
	b, err := d.JSON()
	if err != nil {
		return nil, err
	}
	var jd struct {
		Panels     []queryPanel `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Name  string          `json:"name"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &jd); err != nil {
		return nil, fmt.Errorf("decode dashboard %s: %w", d.UID, err)
	}
	var out []Query
	var walk func([]queryPanel)
	walk = func(ps []queryPanel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, tg := range p.Targets {
				out = append(out, Query{Dashboard: d.UID, Panel: p.Title, RefID: tg.RefID, Expr: tg.Expr})
			}
		}
	}
	walk(jd.Panels)
	for _, v := range jd.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		if err := json.Unmarshal(v.Query, &q); err != nil {
			return nil, fmt.Errorf("%s variable %s: query is not a string: %s", d.UID, v.Name, v.Query)
		}
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			return nil, fmt.Errorf("%s variable %s: %q is not label_values(selector, label)", d.UID, v.Name, q)
		}
		out = append(out, Query{Dashboard: d.UID, Variable: v.Name, Label: m[2], Expr: m[1]})
	}
	return out, nil
}

// queryPanel is the part of a panel Queries reads.
type queryPanel struct {
	Title   string       `json:"title"`
	Panels  []queryPanel `json:"panels"` // a collapsed row's panels
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}
