package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/prometheus"
	"github.com/pagerlens/pagerlens/internal/synth"
	"github.com/pagerlens/pagerlens/store"
)

// scrape: /metrics over loopback HTTP, serving the Snapshot of the smallest
// analytics store (1,000 responders), next to a handler that writes the
// same bytes from memory (the limit: HTTP on this machine).
func (r *runner) scrape() error {
	ctx := r.ctx
	n := slices.Min(r.cfg.SnapshotEvents)
	path, _, err := r.snapshotStore(n)
	if err != nil {
		return err
	}
	snap, err := computeSnapshot(ctx, path)
	if err != nil {
		return err
	}
	reg, err := prometheus.NewRegistry(prometheus.RegistryOptions{Runtime: true})
	if err != nil {
		return err
	}
	reg.SetSnapshot(snap)
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	// The transport's own decompression is off: each request says itself
	// whether it takes gzip, and the bytes received are what is timed.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(url string, gz bool) (time.Duration, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, nil, err
		}
		if gz {
			// What Prometheus sends on every scrape.
			req.Header.Set("Accept-Encoding", "gzip")
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, resp.Body); err != nil {
			return 0, nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, nil, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		if gz && resp.Header.Get("Content-Encoding") != "gzip" {
			return 0, nil, fmt.Errorf("GET %s with Accept-Encoding gzip: not gzip-encoded", url)
		}
		return time.Since(start), buf.Bytes(), nil
	}
	_, body, err := get(srv.URL+"/metrics", false)
	if err != nil {
		return err
	}
	_, gzBody, err := get(srv.URL+"/metrics", true)
	if err != nil {
		return err
	}
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		if req.Header.Get("Accept-Encoding") == "gzip" {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzBody)
			return
		}
		w.Write(body)
	}))
	defer static.Close()
	series := bytes.Count(body, []byte("\n")) - bytes.Count(body, []byte("\n#"))
	q := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[int(p*float64(len(ds)-1))]
	}
	responders := map[string]bool{}
	for _, l := range snap.Responders {
		responders[l.Responder] = true
	}
	// gzip first: Prometheus always asks for it (the target's figure); the
	// uncompressed body is the extra line, for clients that do not.
	for _, gz := range []bool{true, false} {
		var lat, base []time.Duration
		for range 300 { // interleaved, so both see the same load
			d, _, err := get(srv.URL+"/metrics", gz)
			if err != nil {
				return err
			}
			lat = append(lat, d)
			d, _, err = get(static.URL, gz)
			if err != nil {
				return err
			}
			base = append(base, d)
		}
		p50, p99 := q(lat, 0.5), q(lat, 0.99)
		row := Row{Stage: "scrape",
			What: fmt.Sprintf("/metrics as Prometheus asks (Accept-Encoding gzip), %d responders, %d series, %s gzip (%s uncompressed)",
				len(responders), series, fmtBytes(int64(len(gzBody))), fmtBytes(int64(len(body)))),
			Figure: fmt.Sprintf("p50 %s, p99 %s", fmtDur(p50), fmtDur(p99)),
			Limit:  fmt.Sprintf("same bytes from memory: p50 %s, p99 %s", fmtDur(q(base, 0.5)), fmtDur(q(base, 0.99))),
			Ratio:  fmt.Sprintf("%.1f× (p99)", p99.Seconds()/q(base, 0.99).Seconds()),
			Target: "p99 ≤ 20 ms", Met: met(p99 <= 20*time.Millisecond)}
		if !gz {
			row.What = fmt.Sprintf("/metrics uncompressed (no Accept-Encoding), %s", fmtBytes(int64(len(body))))
			row.Target, row.Met = "", nil
		}
		r.add(row)
	}
	return nil
}

func computeSnapshot(ctx context.Context, path string) (*analytics.Snapshot, error) {
	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := analytics.Attach(ctx, s); err != nil {
		return nil, err
	}
	return analytics.Compute(ctx, s, analytics.DefaultConfig(synth.DefaultEnd))
}
