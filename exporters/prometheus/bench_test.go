package prometheus

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
)

// benchSnapshot is the scale: 100 teams × 10 services × 4
// severities × 3 windows of incident figures, and 1,000 responders (10 per
// team) in each window. Alerts are not part of the brief's scale.
func benchSnapshot() *analytics.Snapshot {
	windows := []string{"7d", "30d", "90d"}
	snap := &analytics.Snapshot{Windows: windows}
	for team := range 100 {
		tn := fmt.Sprintf("team-%03d", team)
		for svc := range 10 {
			sn := fmt.Sprintf("service-%02d", svc)
			for sev := range 4 {
				sv := fmt.Sprintf("SEV%d", sev+1)
				for wi, w := range windows {
					n := int64(wi + 1 + sev)
					s := stat(n, float64(n)*300, 240, 600, 900, 1200)
					snap.Incidents = append(snap.Incidents, analytics.IncidentStats{Window: w, Team: tn, Service: sn, Severity: sv,
						Count: n, Escalated: 1, Major: n, Detect: s, Ack: s, Mitigate: s, Resolve: s})
				}
				snap.IncidentTotals = append(snap.IncidentTotals, analytics.IncidentTotals{Team: tn, Service: sn, Severity: sv,
					Incidents: 40, Open: 1, AckDuration: histogram(30, 240, 900), ResolveDuration: histogram(3600, 7200, 90000)})
			}
		}
		snap.OldestOpen = append(snap.OldestOpen, analytics.OldestOpen{Team: tn, Open: 1, AgeSeconds: 3600})
		for _, w := range windows {
			for r := range 10 {
				snap.Responders = append(snap.Responders, analytics.ResponderLoad{Window: w, Team: tn, Responder: fmt.Sprintf("%s-r%d", tn, r),
					Interruptions: analytics.Interruptions{Business: int64(r), OffHours: 1, Sleep: 1}, OnCallSeconds: 604800, FatigueScore: 7})
			}
			snap.Teams = append(snap.Teams, analytics.TeamLoad{Window: w, Team: tn, Gini: 0.3})
		}
	}
	return snap
}

// BenchmarkScrape measures one /metrics scrape at scale over loopback HTTP,
// from request to the last byte read, as plain text and gzip-compressed (as
// Prometheus asks for it).
func BenchmarkScrape(b *testing.B) {
	reg, err := NewRegistry(RegistryOptions{Runtime: true})
	if err != nil {
		b.Fatal(err)
	}
	reg.SetSnapshot(benchSnapshot())
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	// Our own transport: the default one would transparently decompress
	// and hide what goes over the wire.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			var lat []time.Duration
			var bytesOut, series int
			var body bytes.Buffer
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
				req.Header.Set("Accept-Encoding", enc)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body.Reset()
				n, err := io.Copy(&body, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d, %v", resp.StatusCode, err)
				}
				bytesOut = int(n)
				if enc == "identity" && series == 0 {
					for line := range bytes.Lines(body.Bytes()) {
						if len(line) > 0 && line[0] != '#' {
							series++
						}
					}
				}
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(float64(bytesOut), "bytes/scrape")
			if series > 0 {
				b.ReportMetric(float64(series), "series")
			}
		})
	}
}

// BenchmarkSetSnapshot is the per-refresh cost of turning a Snapshot into
// const metrics (folding included), paid off the scrape path.
func BenchmarkSetSnapshot(b *testing.B) {
	c, err := NewCollector(Options{})
	if err != nil {
		b.Fatal(err)
	}
	snap := benchSnapshot()
	for b.Loop() {
		c.SetSnapshot(snap)
	}
	b.ReportMetric(float64(c.Series()), "metrics")
}
