// Package dashboards builds pagerlens's Grafana dashboards as code (Grafana
// foundation SDK), writes them as a file-provisioning tree and pushes them
// through Grafana's HTTP API.
//
// Every metric name in every query comes from internal/metricnames, the file
// the Prometheus exporter registers its families from, so a dashboard cannot
// query a metric that pagerlens does not emit.
package dashboards

import (
	"fmt"
	"strconv"
	"strings"
)

// Aggregation is the operator that merges the copies of one series that
// several pagerlens instances export.
type Aggregation string

const (
	// AggregationMax is for HA replicas: every replica holds a full copy of
	// the data and exports the same figures, so summing would count each
	// incident once per replica; max keeps one copy.
	AggregationMax Aggregation = "max"
	// AggregationSum is for shards: instances in one consumer group split
	// the partitions, each exports a part, and the parts add up.
	AggregationSum Aggregation = "sum"
)

// Options configure the generated dashboards and provisioning files. The
// zero value is usable: see the defaults on each field.
type Options struct {
	// Aggregation merges series that differ only in ReplicaLabels before any
	// other aggregation. Default AggregationMax, which is also right for a
	// single instance. It applies to the analytics families (counts, sums,
	// histograms); pipeline self-metrics are per instance and always summed.
	Aggregation Aggregation
	// ReplicaLabels tell apart the instances that export the same series.
	// Default: instance and pod (the labels Prometheus' static and
	// Kubernetes service discovery attach).
	ReplicaLabels []string
	// Windows are the values of the window label the exporter emits, in
	// the order the picker offers them; the first is not the default, the
	// one named by DefaultWindow is. Default 7d, 30d, 90d.
	Windows []string
	// DefaultWindow is the window selected when a dashboard opens. Default
	// 30d (or the first window if 30d is not offered).
	DefaultWindow string
	// PrometheusURL is the URL of the data source that WriteProvisioning
	// writes. Default http://localhost:9090.
	PrometheusURL string
	// Folder is the Grafana folder title the dashboards live in. Default
	// "Reliability".
	Folder string
	// TopN bounds the per-responder and per-alert panels (the noisiest
	// alerts, the most interrupted responders). Default 10.
	TopN int
	// ProvisionedPath is where Grafana finds the dashboard JSON files, as
	// written into the file provider. Default: the absolute path of the
	// dashboards folder WriteProvisioning writes; set it when Grafana runs
	// in a container that mounts the tree elsewhere.
	ProvisionedPath string
}

const (
	defaultPrometheusURL = "http://localhost:9090"
	defaultFolder        = "Reliability"
)

// withDefaults returns a copy of o with every zero field set to its default,
// or an error naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.Aggregation == "" {
		o.Aggregation = AggregationMax
	}
	switch o.Aggregation {
	case AggregationMax, AggregationSum:
	default:
		return o, fmt.Errorf("aggregation %q: want %q (HA replicas) or %q (shards)", o.Aggregation, AggregationMax, AggregationSum)
	}
	if o.ReplicaLabels == nil {
		o.ReplicaLabels = []string{"instance", "pod"}
	}
	if len(o.Windows) == 0 {
		o.Windows = []string{"7d", "30d", "90d"}
	}
	for _, w := range o.Windows {
		if _, err := windowSeconds(w); err != nil {
			return o, err
		}
	}
	if o.DefaultWindow == "" {
		o.DefaultWindow = o.Windows[0]
		for _, w := range o.Windows {
			if w == "30d" {
				o.DefaultWindow = w
			}
		}
	}
	if o.PrometheusURL == "" {
		o.PrometheusURL = defaultPrometheusURL
	}
	if o.TopN <= 0 {
		o.TopN = 10
	}
	if o.Folder == "" {
		o.Folder = defaultFolder
	}
	return o, nil
}

// windowSeconds converts a window label value ("7d", "12h", "2w") to
// seconds. Only these units are accepted because they are the only ones the
// analytics windows use; anything else is a configuration mistake.
func windowSeconds(w string) (int64, error) {
	if len(w) < 2 {
		return 0, fmt.Errorf("window %q: want a number followed by h, d or w", w)
	}
	n, err := strconv.ParseInt(w[:len(w)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("window %q: want a positive number followed by h, d or w", w)
	}
	switch strings.ToLower(w[len(w)-1:]) {
	case "h":
		return n * 3600, nil
	case "d":
		return n * 86400, nil
	case "w":
		return n * 7 * 86400, nil
	}
	return 0, fmt.Errorf("window %q: want a number followed by h, d or w", w)
}
