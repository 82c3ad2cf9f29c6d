package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/analytics"
	promexp "github.com/pagerlens/pagerlens/exporters/prometheus"
	"github.com/pagerlens/pagerlens/internal/apiclient"
)

func newMetricsCmd() *cobra.Command {
	var (
		db, now, format, roster, configFile string
		windows                             []string
		uf                                  urlFlags
	)
	cmd := &cobra.Command{
		Use:   "metrics --db FILE | --url URL",
		Short: "Print every reliability metric (MTTx, alert quality, on-call load) at one point in time",
		Long: `metrics opens the DuckDB file read-only and prints the analytics snapshot:
MTTx and incident counts, alert quality and on-call load per window, as
defined in docs/metrics.md. --format json is the stable machine format
documented there; table is for people; prometheus is the text exposition
format of serve's /metrics (analytics only), e.g. for node_exporter's
textfile collector.

--url asks a running serve instead (it holds the file): its windows unless
--window, its last snapshot unless --now (docs/operations.md, "HTTP API").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if format != "json" && format != "table" && format != "prometheus" {
				return usageErrorf("--format %q: want json, table or prometheus", format)
			}
			cfg, err := loadAnalytics(configFile, now, roster)
			if err != nil {
				return err
			}
			// --window overrides the config's windows only when given: its
			// default equals analytics' default, not the config's.
			if ws := splitList(windows); changed(cmd, "window") && len(ws) > 0 {
				cfg.Windows = nil
				for _, s := range ws {
					w, err := analytics.ParseWindow(s)
					if err != nil {
						return usageErrorf("--window: %v", err)
					}
					cfg.Windows = append(cfg.Windows, w)
				}
			}
			client, err := uf.client(cmd)
			if err != nil {
				return err
			}
			var snap *analytics.Snapshot
			if client != nil {
				// serve's windows unless --window; its snapshot as of
				// its last refresh unless --now.
				snap, err = remoteSnapshot(cmd, client, splitList(windows), changed(cmd, "window"), now)
			} else {
				snap, err = localSnapshot(cmd, db, cfg)
			}
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(snap)
			}
			if format == "prometheus" {
				// The analytics part of serve's /metrics, with serve's
				// default cardinality guard (docs/prometheus.md).
				return promexp.WriteText(cmd.OutOrStdout(), snap, promexp.Options{FatigueWeights: cfg.FatigueWeights})
			}
			return printSnapshotTable(cmd.OutOrStdout(), snap)
		},
	}
	f := cmd.Flags()
	dbFlag(f, &db)
	f.StringVar(&now, "now", "", "end of every window, RFC 3339 (default: the current time)")
	f.StringSliceVar(&windows, "window", []string{"7d", "30d", "90d"}, "windows ending at --now, comma-separated (7d, 12h, …); overrides analytics.windows")
	f.StringVar(&format, "format", "table", "output: json, table or prometheus")
	f.StringVar(&roster, "roster", "", "roster YAML file (time zones, teams, working hours); overrides analytics.roster_file")
	f.StringVar(&configFile, "config", "", "serve's YAML config: its analytics: section sets the windows and thresholds (docs/metrics.md)")
	uf.register(f)
	return cmd
}

func localSnapshot(cmd *cobra.Command, db string, cfg analytics.Config) (*analytics.Snapshot, error) {
	st, err := openReadOnly(cmd, db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return analytics.Compute(cmd.Context(), st, cfg)
}

// remoteSnapshot asks serve's GET /api/v1/snapshot.
func remoteSnapshot(cmd *cobra.Command, c *apiclient.Client, windows []string, windowGiven bool, now string) (*analytics.Snapshot, error) {
	q := url.Values{}
	if windowGiven && len(windows) > 0 {
		q.Set("window", strings.Join(windows, ","))
	}
	if now != "" {
		q.Set("now", now)
	}
	resp, err := c.Get(cmd.Context(), "/api/v1/snapshot", q)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var snap analytics.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return nil, fmt.Errorf("read serve's snapshot: %w", err)
	}
	return &snap, nil
}

// printSnapshotTable renders the main figures for people; the JSON format
// has everything.
func printSnapshotTable(w io.Writer, s *analytics.Snapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "now %s\n\n", s.Now.Format(time.RFC3339))
	fmt.Fprintln(tw, "INCIDENTS\nwindow\tteam\tservice\tseverity\tcount\topen\tescalated\tauto-resolved\tmajor\tmissed\tMTTD\tMTTA\tMTTM\tMTTR\tMTTR p90")
	for _, r := range s.Incidents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n",
			r.Window, label(r.Team), label(r.Service), label(r.Severity), r.Count, r.Open, r.Escalated, r.AutoResolved,
			r.Major, r.MissedByAlerting, dur(r.Detect.Mean), dur(r.Ack.Mean), dur(r.Mitigate.Mean), dur(r.Resolve.Mean), dur(r.Resolve.P90))
	}
	fmt.Fprintln(tw, "\nOPEN NOW\nteam\topen\toldest")
	for _, r := range s.OldestOpen {
		age := r.AgeSeconds
		fmt.Fprintf(tw, "%s\t%d\t%s\n", label(r.Team), r.Open, dur(&age))
	}
	fmt.Fprintln(tw, "\nALERTS\nwindow\tteam\tservice\talertname\talerts\tacked\tactionable\ttransient\tauto-resolved\toff-hours\tsleep\tflapping keys")
	for _, r := range s.Alerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.Window, label(r.Team), label(r.Service), label(r.AlertName),
			r.Alerts, r.Acknowledged, r.Actionable, r.Transient, r.AutoResolved, r.OffHours, r.SleepHours, r.FlappingKeys)
	}
	fmt.Fprintln(tw, "\nNOISIEST ALERTS\nwindow\tteam\tservice\talertname\talerts\tactionable\tscore")
	for _, r := range s.NoisiestAlerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%g\n", r.Window, label(r.Team), label(r.Service), label(r.AlertName), r.Alerts, r.Actionable, r.Score)
	}
	fmt.Fprintln(tw, "\nON-CALL LOAD\nwindow\tteam\tresponder\ttimezone\tbusiness\toff-hours\tsleep\tnights\tfatigue")
	for _, r := range s.Responders {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.1f\n", r.Window, label(r.Team), r.Responder, r.Timezone,
			r.Interruptions.Business, r.Interruptions.OffHours, r.Interruptions.Sleep, r.NightsInterrupted, r.FatigueScore)
	}
	return tw.Flush()
}

func label(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// dur prints seconds as a Go duration rounded to the second; no samples: "-".
func dur(sec *float64) string {
	if sec == nil {
		return "-"
	}
	return time.Duration(*sec * float64(time.Second)).Round(time.Second).String()
}
