package demo

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
)

// Info says where the demo's files and endpoints are.
type Info struct {
	Dir, DB, MetricsURL, Provisioning, Report string
	// Target is the host:port a local Prometheus scrapes.
	Target string
}

// WriteSummary prints MTTA/MTTR per team, the three noisiest alerts and the
// most-interrupted responder of window, then where everything is.
func WriteSummary(w io.Writer, snap *analytics.Snapshot, window string, info Info) error {
	type teamMTTx struct {
		team               string
		incidents          int64
		ackSum, resSum     float64
		ackCount, resCount int64
	}
	byTeam := map[string]*teamMTTx{}
	for _, r := range snap.Incidents {
		if r.Window != window {
			continue
		}
		t := byTeam[r.Team]
		if t == nil {
			t = &teamMTTx{team: r.Team}
			byTeam[r.Team] = t
		}
		// Means aggregate exactly from sums and counts, never from means.
		t.incidents += r.Count
		t.ackSum += r.Ack.Sum
		t.ackCount += r.Ack.Count
		t.resSum += r.Resolve.Sum
		t.resCount += r.Resolve.Count
	}
	teams := make([]*teamMTTx, 0, len(byTeam))
	for _, t := range byTeam {
		teams = append(teams, t)
	}
	slices.SortFunc(teams, func(a, b *teamMTTx) int { return cmp.Compare(a.team, b.team) })

	fmt.Fprintf(w, "\npagerlens demo — last %s, as of %s\n\n", window, snap.Now.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "team\tincidents\tMTTA\tMTTR")
	for _, t := range teams {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", t.team, t.incidents, mean(t.ackSum, t.ackCount), mean(t.resSum, t.resCount))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nnoisiest alerts (alerts nobody acted on):")
	n := 0
	for _, a := range snap.NoisiestAlerts {
		if a.Window != window || n == 3 {
			continue
		}
		n++
		share := 0.0
		if a.Alerts > 0 {
			share = float64(a.Actionable) / float64(a.Alerts)
		}
		fmt.Fprintf(w, "  %d. %s on %s (%s): %d alerts, %.0f%% actionable\n", n, a.AlertName, a.Service, a.Team, a.Alerts, 100*share)
	}
	if n == 0 {
		fmt.Fprintln(w, "  none")
	}

	var top *analytics.ResponderLoad
	for i := range snap.Responders {
		r := &snap.Responders[i]
		if r.Window == window && (top == nil || r.InterruptionsTotal > top.InterruptionsTotal) {
			top = r
		}
	}
	if top != nil {
		// The demo computes its snapshot with analytics.DefaultConfig
		// (cmd/pagerlens/demo.go), so the default limit is the one to read
		// the score against: 28, Google SRE's limit held for a week.
		limit := analytics.FatigueLimit(analytics.DefaultConfig(snap.Now))
		fmt.Fprintf(w, "\nmost interrupted: %s (%s, %s): %d interruptions (%d in sleep hours, %d nights), fatigue score %.1f (%s; %g = Google SRE's limit of 2 incidents per 12-hour shift, held for a week)\n",
			top.Responder, top.Team, top.Timezone, top.InterruptionsTotal, top.Interruptions.Sleep, top.NightsInterrupted, top.FatigueScore,
			analytics.FatigueLevel(top.FatigueScore, limit), limit)
	}

	fmt.Fprintf(w, `
files and endpoints:
  store          %s   (pagerlens sql --db %s '…' once the demo has stopped)
  metrics        %s
  grafana        %s   (provisioning tree: point Grafana's paths.provisioning at it)
  fatigue report %s

point a local Prometheus at it (prometheus.yml):
  scrape_configs: [{job_name: pagerlens, scrape_interval: 15s, static_configs: [{targets: ['%s']}]}]
and a local Grafana at the provisioning tree (grafana.ini: [paths] provisioning = %s/provisioning);
its data source expects Prometheus on http://localhost:9090.
`, info.DB, info.DB, info.MetricsURL, info.Provisioning, info.Report, info.Target, info.Provisioning)
	return nil
}

func mean(sum float64, n int64) string {
	if n == 0 {
		return "—"
	}
	return (time.Duration(sum/float64(n)) * time.Second).Round(time.Second).String()
}
