package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	mn "github.com/pagerlens/pagerlens/internal/metricnames"
)

// Tag carried by every pagerlens dashboard; the dashboards link to each
// other through it.
const Tag = "pagerlens"

// Stable dashboard uids: links, bookmarks and the push upsert rely on them,
// so never change one.
const (
	UIDOverview = "pagerlens-overview"
	UIDMTTx     = "pagerlens-mttx"
	UIDAlerts   = "pagerlens-alert-quality"
	UIDOncall   = "pagerlens-oncall-load"
	UIDPipeline = "pagerlens-pipeline"
	UIDCommand  = "pagerlens-incident-command"
)

// Dashboard is one generated dashboard.
type Dashboard struct {
	UID   string
	Title string
	Model dashboard.Dashboard
}

// FileName is the file the dashboard is provisioned from.
func (d Dashboard) FileName() string { return d.UID + ".json" }

// JSON is the dashboard model as Grafana imports it, indented so that
// provisioned files diff well.
func (d Dashboard) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d.Model, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode dashboard %s: %w", d.UID, err)
	}
	return append(b, '\n'), nil
}

// def is a dashboard as data: rows of panels.
type def struct {
	uid, title, description string
	rows                    []row
}

type row struct {
	title  string
	panels []panel
}

// Build returns the pagerlens dashboards in a stable order.
func Build(opts Options) ([]Dashboard, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("dashboard options: %w", err)
	}
	p := promql{agg: o.Aggregation, replicas: o.ReplicaLabels, windows: o.Windows}
	defs := []def{overview(p), mttx(p), alertQuality(p, o.TopN), oncallLoad(p, o.TopN), pipeline(p), incidentCommand(p)}
	out := make([]Dashboard, 0, len(defs))
	for _, d := range defs {
		m, err := d.build(o)
		if err != nil {
			return nil, fmt.Errorf("build dashboard %s: %w", d.uid, err)
		}
		out = append(out, Dashboard{UID: d.uid, Title: d.title, Model: m})
	}
	return out, nil
}

func (d def) build(o Options) (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder(d.title).
		Uid(d.uid).
		Description(d.description).
		Tags([]string{Tag}).
		Editable().
		Refresh("1m").
		// The windowed figures are instant values; the range only matters
		// for trends, and a week shows how they move.
		Time("now-7d", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("pagerlens").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		Variables(variables(o))
	id := uint32(1)
	for _, r := range d.rows {
		b.WithRow(dashboard.NewRowBuilder(r.title).Id(id))
		id++
		for i := range r.panels {
			b.WithPanel(r.panels[i].build(id))
			id++
		}
	}
	return b.Build()
}

// variables are the same on every dashboard so that the dashboard links
// carry the selection from one to the next.
func variables(o Options) []cog.Builder[dashboard.VariableModel] {
	ds := datasourceRef()
	// The variables chain (service within the selected teams, severity
	// within both) and read the all-time counter, which has every team,
	// service and severity that ever had an incident.
	labelQuery := func(name, label, selector string) *dashboard.QueryVariableBuilder {
		q := fmt.Sprintf("label_values(%s, %s)", selector, label)
		return dashboard.NewQueryVariableBuilder(name).
			Label(label).
			Datasource(ds).
			Query(dashboard.StringOrMap{String: ptr(q)}).
			Definition(q).
			Multi(true).
			IncludeAll(true).
			// ".*" rather than Grafana's list of every value: shorter
			// queries, and it also matches series without the label.
			AllValue(".*").
			Current(dashboard.VariableOption{
				Selected: ptr(true),
				Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
			}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc)
	}
	p := promql{}
	windows := ""
	for i, w := range o.Windows {
		if i > 0 {
			windows += ","
		}
		windows += w
	}
	return []cog.Builder[dashboard.VariableModel]{
		// Default: the data source WriteProvisioning declares. Grafana
		// matches the current value by uid, then by name; where neither
		// exists (dashboards pushed to a Grafana with its own Prometheus)
		// it takes the first Prometheus data source, as with no default.
		dashboard.NewDatasourceVariableBuilder(varDatasource).
			Label("Data source").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Selected: ptr(true),
				Text:     dashboard.StringOrArrayOfString{String: ptr(DatasourceName)},
				Value:    dashboard.StringOrArrayOfString{String: ptr(DatasourceUID)},
			}),
		labelQuery(varTeam, mn.LabelTeam, mn.IncidentsTotal),
		labelQuery(varService, mn.LabelService, p.sel(mn.IncidentsTotal, []string{mn.LabelTeam})),
		labelQuery(varSeverity, mn.LabelSeverity, p.sel(mn.IncidentsTotal, []string{mn.LabelTeam, mn.LabelService})),
		dashboard.NewCustomVariableBuilder(varWindow).
			Label("window").
			Description("The window the figures cover, ending now; an incident belongs to a window by its trigger time.").
			Values(dashboard.StringOrMap{String: ptr(windows)}).
			Current(dashboard.VariableOption{
				Selected: ptr(true),
				Text:     dashboard.StringOrArrayOfString{String: ptr(o.DefaultWindow)},
				Value:    dashboard.StringOrArrayOfString{String: ptr(o.DefaultWindow)},
			}).
			Options(windowOptions(o)),
	}
}

func windowOptions(o Options) []dashboard.VariableOption {
	out := make([]dashboard.VariableOption, 0, len(o.Windows))
	for _, w := range o.Windows {
		out = append(out, dashboard.VariableOption{
			Selected: ptr(w == o.DefaultWindow),
			Text:     dashboard.StringOrArrayOfString{String: ptr(w)},
			Value:    dashboard.StringOrArrayOfString{String: ptr(w)},
		})
	}
	return out
}
