package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/exporters/handover"
	"github.com/pagerlens/pagerlens/exporters/report"
)

// The summaries delivered with an export (the Slack message, the email's
// text part) select and word figures of the written content; like the
// report they compute none.

// ReportSummary is a fatigue report's summary: per team, interruptions,
// sleep interruptions, nights interrupted, the most interrupted responder,
// the week's trend and fatigue; the noisiest alert with its advice.
func ReportSummary(r *report.Report) deliver.Summary {
	s := deliver.Summary{Title: fmt.Sprintf("Pager fatigue, %s to %s", r.Window, r.Now.UTC().Format("2006-01-02"))}
	for _, t := range r.Teams {
		ts := deliver.TeamSummary{Team: t.Team, Fields: []deliver.Field{
			{Label: "Interruptions", Value: fmt.Sprint(t.Summary.InterruptionsTotal)},
			{Label: "Sleep interruptions", Value: fmt.Sprint(t.Summary.Interruptions.Sleep)},
			{Label: "Nights interrupted", Value: fmt.Sprint(t.Summary.NightsInterrupted)},
			{Label: "Most interrupted", Value: mostInterrupted(t.Responders)},
			{Label: "Week's trend", Value: WeekTrend(t.Trend)},
			{Label: "Fatigue", Value: fatigueText(t.Summary.FatigueScore, t.Summary.FatigueLevel)},
		}}
		if len(t.Noisiest) > 0 {
			ts.Notes = append(ts.Notes, deliver.Note{Heading: "Noisiest alert", Lines: []string{handover.AlertLine(t.Noisiest[0])}})
		}
		s.Teams = append(s.Teams, ts)
	}
	if len(r.Teams) == 0 {
		s.Lines = []string{"No interruptions and no alerts in the window."}
	}
	return s
}

func fatigueText(score float64, level string) string {
	if level == "" {
		return fmt.Sprintf("%.1f", score)
	}
	return fmt.Sprintf("%.1f (%s)", score, level)
}

// mostInterrupted is the responder with the most interruptions, "name (n)";
// of equals the first by name; "–" when nobody was interrupted.
func mostInterrupted(rs []report.Responder) string {
	best := -1
	for i, r := range rs {
		if r.InterruptionsTotal == 0 {
			continue
		}
		if best < 0 || r.InterruptionsTotal > rs[best].InterruptionsTotal ||
			(r.InterruptionsTotal == rs[best].InterruptionsTotal && r.Responder < rs[best].Responder) {
			best = i
		}
	}
	if best < 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%d)", rs[best].Responder, rs[best].InterruptionsTotal)
}

// WeekTrend compares the last whole week of the trend with the one
// before: "↑ 7 vs 4", "↓ 2 vs 5" or "→ 3 vs 3". Partial weeks (the ends of
// the window) are left out, lest a short week read as a drop; with fewer
// than two whole weeks (a window under 14 days) there is no trend.
func WeekTrend(ws []report.Week) string {
	var whole []report.Week
	for _, w := range ws {
		if !w.Partial {
			whole = append(whole, w)
		}
	}
	if len(whole) < 2 {
		return "– (needs two whole weeks in the window)"
	}
	cur, prev := whole[len(whole)-1], whole[len(whole)-2]
	arrow := "→"
	switch {
	case cur.Total > prev.Total:
		arrow = "↑"
	case cur.Total < prev.Total:
		arrow = "↓"
	}
	return fmt.Sprintf("%s %d vs %d (week of %s)", arrow, cur.Total, prev.Total, cur.Start)
}

// HandoverSummary is a handover digest's summary: per team the shift's
// figures, who is on call now and next, the open incidents and the alerts
// to tune.
func HandoverSummary(d *handover.Digest) deliver.Summary {
	s := deliver.Summary{Title: fmt.Sprintf("On-call handover, %s to %s", d.Window, d.Now.UTC().Format("2006-01-02 15:04 UTC"))}
	for _, t := range d.Teams {
		var now, next []string
		for _, oc := range t.OnCall {
			who := oc.Responder
			if oc.Schedule != "" {
				who += " (" + oc.Schedule + ")"
			}
			if oc.Current {
				now = append(now, who)
			} else {
				next = append(next, who+" from "+oc.Start.UTC().Format("2006-01-02 15:04"))
			}
		}
		ts := deliver.TeamSummary{Team: t.Team, Fields: []deliver.Field{
			{Label: "Incidents", Value: fmt.Sprint(t.Incidents)},
			{Label: "Pages", Value: fmt.Sprint(t.Pages)},
			{Label: "Sleep interruptions", Value: fmt.Sprint(t.SleepInterruptions)},
			{Label: "Open, handed over", Value: fmt.Sprint(len(t.OpenIncidents))},
			{Label: "On call now", Value: orDash(strings.Join(now, ", "))},
			{Label: "Next", Value: orDash(strings.Join(next, ", "))},
		}}
		if len(t.OpenIncidents) > 0 {
			n := deliver.Note{Heading: "Open incidents handed over"}
			for _, o := range t.OpenIncidents {
				n.Lines = append(n.Lines, handover.IncidentLine(o))
			}
			ts.Notes = append(ts.Notes, n)
		}
		if len(t.AlertsToTune) > 0 {
			n := deliver.Note{Heading: "Alerts to tune"}
			for _, a := range t.AlertsToTune {
				n.Lines = append(n.Lines, handover.AlertLine(a))
			}
			ts.Notes = append(ts.Notes, n)
		}
		s.Teams = append(s.Teams, ts)
	}
	if len(d.Teams) == 0 {
		s.Lines = []string{"Nothing happened in the shift and nobody is on call per the shift events."}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// TableSummary is a tabular export's summary: what it holds and where.
func TableSummary(j Job, window string, now time.Time, file string, rows int) deliver.Summary {
	return deliver.Summary{
		Title: fmt.Sprintf("%s export, %s to %s", j.What, window, now.UTC().Format("2006-01-02")),
		Lines: []string{fmt.Sprintf("%d rows in %s (%s).", rows, file, j.Format)},
	}
}

// TableJSON is a tabular export's machine format for a webhook: the
// export's name, what, window and end, and its rows as JSON objects with
// the JSONL export's keys and values.
func TableJSON(j Job, window string, now time.Time, t Table) ([]byte, error) {
	var rows bytes.Buffer
	if err := WriteJSONL(&rows, t); err != nil {
		return nil, err
	}
	lines := bytes.Split(bytes.TrimSuffix(rows.Bytes(), []byte("\n")), []byte("\n"))
	if rows.Len() == 0 {
		lines = nil
	}
	head, err := json.Marshal(struct {
		Export string    `json:"export"`
		What   What      `json:"what"`
		Window string    `json:"window"`
		Now    time.Time `json:"now"`
	}{j.Name, j.What, window, now.UTC()})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1])
	b.WriteString(`,"rows":[`)
	b.Write(bytes.Join(lines, []byte(",")))
	b.WriteString("]}")
	return b.Bytes(), nil
}
