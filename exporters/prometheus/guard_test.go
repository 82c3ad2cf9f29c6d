package prometheus

import (
	"fmt"
	"strings"
	"testing"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pagerlens/pagerlens/analytics"
	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

func TestParseResponderLabel(t *testing.T) {
	tests := []struct {
		in      string
		want    ResponderLabel
		wantErr bool
	}{
		{"on", ResponderLabel{Mode: ResponderOn}, false},
		{"off", ResponderLabel{Mode: ResponderOff}, false},
		{"top-200", ResponderLabel{Mode: ResponderTop, TopN: 200}, false},
		{"top-1", ResponderLabel{Mode: ResponderTop, TopN: 1}, false},
		{"top-0", ResponderLabel{}, true},
		{"top--3", ResponderLabel{}, true},
		{"top-", ResponderLabel{}, true},
		{"200", ResponderLabel{}, true},
		{"", ResponderLabel{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseResponderLabel(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseResponderLabel(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

// foldSnapshot has two teams; team a has responders r0..r(n-1) where ri
// has i+1 interruptions in 30d and one in 7d.
func foldSnapshot(n int) *analytics.Snapshot {
	s := &analytics.Snapshot{}
	for i := range n {
		for _, w := range []struct {
			name string
			n    int64
		}{{"30d", int64(i + 1)}, {"7d", 1}} {
			s.Responders = append(s.Responders, analytics.ResponderLoad{Window: w.name, Team: "a",
				Responder: fmt.Sprintf("r%d", i), Interruptions: analytics.Interruptions{Business: w.n}, OnCallSeconds: 3600})
		}
	}
	s.Responders = append(s.Responders, analytics.ResponderLoad{Window: "30d", Team: "b", Responder: "solo",
		Interruptions: analytics.Interruptions{Sleep: 1}})
	return s
}

// responderSeries returns responder → business interruptions of a window.
func responderSeries(t *testing.T, c *Collector, team, window string) map[string]float64 {
	t.Helper()
	reg := prom.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != mn.Interruptions {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["team"] == team && l["window"] == window && l["period"] == mn.PeriodBusiness {
				out[l["responder"]] += m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func TestResponderFolding(t *testing.T) {
	tests := []struct {
		name  string
		guard ResponderLabel
		n     int
		// want30d and want7d are the business interruptions per label
		// value of team a.
		want30d, want7d map[string]float64
	}{
		{"on keeps everyone", ResponderLabel{Mode: ResponderOn}, 3,
			map[string]float64{"r0": 1, "r1": 2, "r2": 3}, map[string]float64{"r0": 1, "r1": 1, "r2": 1}},
		{"off sums into all", ResponderLabel{Mode: ResponderOff}, 3,
			map[string]float64{"all": 6}, map[string]float64{"all": 3}},
		// r4 and r3 are the busiest over all windows; the same two keep
		// their label in 7d although everyone has 1 there.
		{"top-2 folds the rest into other", ResponderLabel{Mode: ResponderTop, TopN: 2}, 5,
			map[string]float64{"r4": 5, "r3": 4, "other": 6}, map[string]float64{"r4": 1, "r3": 1, "other": 3}},
		{"top-N above the team size folds nothing", ResponderLabel{Mode: ResponderTop, TopN: 10}, 2,
			map[string]float64{"r0": 1, "r1": 2}, map[string]float64{"r0": 1, "r1": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCollector(Options{Responders: tt.guard})
			if err != nil {
				t.Fatal(err)
			}
			c.SetSnapshot(foldSnapshot(tt.n))
			for window, want := range map[string]map[string]float64{"30d": tt.want30d, "7d": tt.want7d} {
				got := responderSeries(t, c, "a", window)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("team a %s: got %v, want %v", window, got, want)
				}
			}
			// Folding is per team: team b's only responder is untouched
			// unless the label is off.
			wantB := map[string]float64{"solo": 0}
			if tt.guard.Mode == ResponderOff {
				wantB = map[string]float64{"all": 0}
			}
			if got := responderSeries(t, c, "b", "30d"); fmt.Sprint(got) != fmt.Sprint(wantB) {
				t.Errorf("team b: got %v, want %v", got, wantB)
			}
		})
	}
}

func TestAlertnameLimit(t *testing.T) {
	snap := &analytics.Snapshot{}
	// Service s of team a has alertnames n0..n4 with 1..5 alerts; service
	// t has one alertname, so its limit is not reached.
	for i := range 5 {
		snap.Alerts = append(snap.Alerts, analytics.AlertStats{Window: "30d", Team: "a", Service: "s",
			AlertName: fmt.Sprintf("n%d", i), Alerts: int64(i + 1), Actionable: 1, FlappingKeys: 1})
	}
	snap.Alerts = append(snap.Alerts, analytics.AlertStats{Window: "30d", Team: "a", Service: "t", AlertName: "n0", Alerts: 1})
	tests := []struct {
		limit int
		want  string
	}{
		{-1, `
pagerlens_alerts{alertname="n0",service="s",team="a",window="30d"} 1
pagerlens_alerts{alertname="n1",service="s",team="a",window="30d"} 2
pagerlens_alerts{alertname="n2",service="s",team="a",window="30d"} 3
pagerlens_alerts{alertname="n3",service="s",team="a",window="30d"} 4
pagerlens_alerts{alertname="n4",service="s",team="a",window="30d"} 5
pagerlens_alerts{alertname="n0",service="t",team="a",window="30d"} 1
`},
		{2, `
pagerlens_alerts{alertname="n3",service="s",team="a",window="30d"} 4
pagerlens_alerts{alertname="n4",service="s",team="a",window="30d"} 5
pagerlens_alerts{alertname="other",service="s",team="a",window="30d"} 6
pagerlens_alerts{alertname="n0",service="t",team="a",window="30d"} 1
`},
		{1, `
pagerlens_alerts{alertname="n4",service="s",team="a",window="30d"} 5
pagerlens_alerts{alertname="other",service="s",team="a",window="30d"} 10
pagerlens_alerts{alertname="n0",service="t",team="a",window="30d"} 1
`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			c, err := NewCollector(Options{MaxAlertnames: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			c.SetSnapshot(snap)
			want := "# HELP pagerlens_alerts " + help(mn.Alerts) + "\n# TYPE pagerlens_alerts gauge" + tt.want +
				"# HELP pagerlens_alerts_flapping " + help(mn.AlertsFlapping) + "\n# TYPE pagerlens_alerts_flapping gauge\n" +
				`pagerlens_alerts_flapping{service="s",team="a",window="30d"} 5` + "\n" +
				`pagerlens_alerts_flapping{service="t",team="a",window="30d"} 0` + "\n"
			if err := testutil.CollectAndCompare(c, strings.NewReader(want), mn.Alerts, mn.AlertsFlapping); err != nil {
				t.Error(err)
			}
		})
	}
}

func help(name string) string {
	f, _ := mn.Lookup(name)
	return f.Help
}
