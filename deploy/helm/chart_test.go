// Package helm checks the pagerlens Helm chart (deploy/helm/pagerlens) with
// Helm's own Go library: the linter of `helm lint` and the template engine
// of `helm template`, with the chart's default values and with custom ones,
// and what the rendered manifests must hold (the DuckDB volume, the probes,
// the secret references). It is a module of its own so that pagerlens's
// go.mod and binary do not carry Helm's dependency tree; `make test` runs
// it. It calls the linter and the engine directly rather than through
// pkg/action, which would add the Kubernetes client and kubectl: half the
// packages to compile (649 instead of 1,158).
package helm

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

const chartDir = "pagerlens"

// values parses a YAML values document as `helm -f` would.
func values(t *testing.T, doc string) map[string]any {
	t.Helper()
	v, err := loader.LoadValues(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	return v
}

// customValues turn on everything optional and override the defaults a
// user is most likely to change.
const customValues = `
mode: shards
image: {repository: registry.example.com/pagerlens, tag: "1.2.3"}
replicas: 3
persistence: {size: 50Gi, storageClass: fast-ssd}
config:
  kafka:
    brokers: [kafka-0.kafka:9093]
    topics: [{name: pagerlens-events}, {name: am-webhooks, format: alertmanager}]
    sasl: {mechanism: SCRAM-SHA-512, username: pagerlens, password_file: /etc/pagerlens/secrets/kafka.pass}
  store: {memory_limit: 512MB, go_memory_limit: 384MiB}
secrets:
  existingSecret: pagerlens-credentials
webConfig:
  existingSecret: pagerlens-web
  tls: true
  probe: {username: probe, passwordKey: probe.pass, caKey: ca.pem}
resources:
  limits: {memory: 1Gi}
serviceMonitor: {enabled: true, interval: 1m, labels: {release: kube-prometheus}}
prometheusRule: {enabled: true, labels: {release: kube-prometheus}}
dashboards: {labels: {grafana_dashboard: "1", team: sre}}
`

func TestLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"default": nil,
		"custom":  values(t, customValues),
	} {
		t.Run(name, func(t *testing.T) {
			// helm lint --strict: warnings fail too.
			res := lint.RunAll(chartDir, vals, "monitoring")
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("lint: %v", m)
				} else {
					t.Logf("lint: %v", m)
				}
			}
		})
	}
}

// render is `helm template pagerlens deploy/helm/pagerlens -n monitoring -f
// vals`: the manifests by kind and name.
func render(t *testing.T, vals map[string]any) (map[string]map[string]any, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	// As `helm template` renders: the release's values over the chart's
	// defaults, with the default capabilities of a client-only render.
	rv, err := chartutil.ToRenderValues(ch, vals,
		common.ReleaseOptions{Name: "pl", Namespace: "monitoring", Revision: 1, IsInstall: true},
		common.DefaultCapabilities.Copy())
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	var manifest strings.Builder
	for name, content := range files {
		if strings.HasSuffix(name, ".yaml") {
			fmt.Fprintf(&manifest, "---\n# Source: %s\n%s\n", name, content)
		}
	}
	out := map[string]map[string]any{}
	for file, doc := range releaseutil.SplitManifests(manifest.String()) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%s: %v\n%s", file, err, doc)
		}
		if m == nil {
			continue
		}
		key := fmt.Sprintf("%s/%s", m["kind"], get(m, "metadata", "name"))
		if _, dup := out[key]; dup {
			t.Fatalf("two manifests named %s", key)
		}
		out[key] = m
	}
	return out, nil
}

// get walks maps and lists (an int key indexes a list); nil when missing.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// find returns the element of list whose key field equals name.
func find(list any, key, name string) map[string]any {
	l, _ := list.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok && m[key] == name {
			return m
		}
	}
	return nil
}

func kinds(ms map[string]map[string]any) []string {
	var ks []string
	for k := range ms {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// dashboardFiles are the chart's dashboards of one aggregation.
func dashboardFiles(t *testing.T, agg string) []string {
	t.Helper()
	fs, err := filepath.Glob(filepath.Join(chartDir, "files", "dashboards", agg, "*.json"))
	if err != nil || len(fs) < 6 {
		t.Fatalf("dashboards/%s: %v (%d files, want the 6 of `pagerlens dashboards write`)", agg, err, len(fs))
	}
	return fs
}

func TestTemplateDefaults(t *testing.T) {
	ms, err := render(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered: %v", kinds(ms))
	sts := ms["StatefulSet/pl-pagerlens"]
	if sts == nil {
		t.Fatalf("no StatefulSet/pl-pagerlens in %v", kinds(ms))
	}
	if got := get(sts, "spec", "replicas"); got != float64(1) {
		t.Errorf("replicas %v, want 1", got)
	}
	// The DuckDB file lives on a claim of its own per pod.
	claim, _ := get(sts, "spec", "volumeClaimTemplates", 0).(map[string]any)
	if get(claim, "metadata", "name") != "data" || get(claim, "spec", "resources", "requests", "storage") != "10Gi" ||
		get(claim, "spec", "accessModes", 0) != "ReadWriteOnce" {
		t.Errorf("volume claim template: %v", claim)
	}
	c := find(get(sts, "spec", "template", "spec", "containers"), "name", "pagerlens")
	if c == nil {
		t.Fatal("no container named pagerlens")
	}
	if m := find(c["volumeMounts"], "name", "data"); m == nil || m["mountPath"] != "/var/lib/pagerlens" {
		t.Errorf("data mount: %v", c["volumeMounts"])
	}
	if m := find(c["volumeMounts"], "name", "config"); m == nil || m["mountPath"] != "/etc/pagerlens/pagerlens.yaml" || m["subPath"] != "pagerlens.yaml" {
		t.Errorf("config mount: %v", c["volumeMounts"])
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if get(c, probe, "httpGet", "path") != path || get(c, probe, "httpGet", "port") != "http" {
			t.Errorf("%s: %v, want GET %s on port http", probe, c[probe], path)
		}
	}
	if get(c, "image") != "pagerlens:0.1.0" {
		t.Errorf("image %v, want the chart's appVersion as tag", c["image"])
	}
	if get(c, "resources", "limits", "memory") == nil {
		t.Errorf("no memory limit: %v", c["resources"])
	}
	if get(sts, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true ||
		get(c, "securityContext", "readOnlyRootFilesystem") != true ||
		get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("security context: pod %v, container %v", get(sts, "spec", "template", "spec", "securityContext"), c["securityContext"])
	}
	// Each replica consumes with a group of its own by default (HA: full copies).
	if e := find(c["env"], "name", "PAGERLENS_GROUP"); e == nil || !strings.Contains(fmt.Sprint(e["value"]), "$(POD_NAME)") {
		t.Errorf("PAGERLENS_GROUP: %v", e)
	}
	cm := ms["ConfigMap/pl-pagerlens"]
	conf, _ := get(cm, "data", "pagerlens.yaml").(string)
	if !strings.Contains(conf, "db: /var/lib/pagerlens/pagerlens.duckdb") {
		t.Errorf("config map pagerlens.yaml:\n%s", conf)
	}
	if sts := get(sts, "spec", "template", "metadata", "annotations", "checksum/config"); sts == nil {
		t.Errorf("no config checksum: a config change would not roll the pods")
	}
	svc := ms["Service/pl-pagerlens"]
	if p := find(get(svc, "spec", "ports"), "name", "http"); p == nil || p["port"] != float64(9464) {
		t.Errorf("service ports: %v", get(svc, "spec", "ports"))
	}
	for _, k := range []string{"ServiceMonitor/pl-pagerlens", "PrometheusRule/pl-pagerlens", "Secret/pl-pagerlens-web"} {
		if ms[k] != nil {
			t.Errorf("%s rendered though not asked for", k)
		}
	}
	checkDashboards(t, ms, "max", map[string]string{"grafana_dashboard": "1"})
}

// checkDashboards: one ConfigMap per dashboard file, labelled for
// Grafana's sidecar, holding the file as is.
func checkDashboards(t *testing.T, ms map[string]map[string]any, agg string, labels map[string]string) {
	t.Helper()
	for _, f := range dashboardFiles(t, agg) {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		cm := ms["ConfigMap/pl-"+base]
		if cm == nil {
			t.Errorf("no ConfigMap for dashboard %s in %v", base, kinds(ms))
			continue
		}
		for k, v := range labels {
			if got := get(cm, "metadata", "labels", k); got != v {
				t.Errorf("%s label %s=%v, want %q", base, k, got, v)
			}
		}
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := get(cm, "data", base+".json"); got != string(want) {
			t.Errorf("%s: the ConfigMap does not hold %s as is", base, f)
		}
	}
}

func TestTemplateCustom(t *testing.T) {
	ms, err := render(t, values(t, customValues))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered: %v", kinds(ms))
	sts := ms["StatefulSet/pl-pagerlens"]
	spec := get(sts, "spec", "template", "spec")
	if get(sts, "spec", "replicas") != float64(3) {
		t.Errorf("replicas %v", get(sts, "spec", "replicas"))
	}
	vct := get(sts, "spec", "volumeClaimTemplates", 0)
	if get(vct, "spec", "resources", "requests", "storage") != "50Gi" || get(vct, "spec", "storageClassName") != "fast-ssd" {
		t.Errorf("claim: %v", vct)
	}
	c := find(get(spec, "containers"), "name", "pagerlens")
	if c["image"] != "registry.example.com/pagerlens:1.2.3" {
		t.Errorf("image %v", c["image"])
	}
	// Secrets are referenced, never inlined.
	if v := find(get(spec, "volumes"), "name", "secrets"); get(v, "secret", "secretName") != "pagerlens-credentials" {
		t.Errorf("secrets volume: %v", v)
	}
	if v := find(get(spec, "volumes"), "name", "web-config"); get(v, "secret", "secretName") != "pagerlens-web" {
		t.Errorf("web config volume: %v", v)
	}
	if m := find(c["volumeMounts"], "name", "secrets"); m == nil || m["mountPath"] != "/etc/pagerlens/secrets" || m["readOnly"] != true {
		t.Errorf("secrets mount: %v", m)
	}
	if e := find(c["env"], "name", "PAGERLENS_WEB_CONFIG_FILE"); e == nil || e["value"] != "/etc/pagerlens/web/web.yml" {
		t.Errorf("PAGERLENS_WEB_CONFIG_FILE: %v", e)
	}
	// Shards share one consumer group.
	if e := find(c["env"], "name", "PAGERLENS_GROUP"); e != nil {
		t.Errorf("shards mode sets a group per pod: %v", e)
	}
	// Behind TLS and basic auth the probes run `pagerlens healthcheck`
	// with the probe's credentials from the web config's Secret.
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		cmd := fmt.Sprint(get(c, probe, "exec", "command"))
		for _, want := range []string{"healthcheck", "https://127.0.0.1:9464" + path, "--username probe", "--password-file /etc/pagerlens/web/probe.pass", "--ca-file /etc/pagerlens/web/ca.pem"} {
			if !strings.Contains(cmd, want) {
				t.Errorf("%s: %s lacks %q", probe, cmd, want)
			}
		}
	}
	conf, _ := get(ms["ConfigMap/pl-pagerlens"], "data", "pagerlens.yaml").(string)
	for _, want := range []string{"kafka-0.kafka:9093", "password_file: /etc/pagerlens/secrets/kafka.pass", "memory_limit: 512MB", "go_memory_limit: 384MiB"} {
		if !strings.Contains(conf, want) {
			t.Errorf("pagerlens.yaml lacks %q:\n%s", want, conf)
		}
	}
	sm := ms["ServiceMonitor/pl-pagerlens"]
	if sm == nil || get(sm, "metadata", "labels", "release") != "kube-prometheus" {
		t.Fatalf("ServiceMonitor: %v", sm)
	}
	ep := get(sm, "spec", "endpoints", 0)
	if get(ep, "port") != "http" || get(ep, "interval") != "1m" || get(ep, "scheme") != "https" {
		t.Errorf("ServiceMonitor endpoint: %v", ep)
	}
	// The shards' rules: the same groups as deploy/prometheus/rules-shards.yml.
	pr := ms["PrometheusRule/pl-pagerlens"]
	groups, _ := get(pr, "spec", "groups").([]any)
	b, err := os.ReadFile("../prometheus/rules-shards.yml")
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Groups []any }
	if err := yaml.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(groups) == 0 || len(groups) != len(want.Groups) || fmt.Sprint(groups) != fmt.Sprint(want.Groups) {
		t.Errorf("PrometheusRule has %d groups, rules-shards.yml %d, or they differ", len(groups), len(want.Groups))
	}
	if s := fmt.Sprint(groups); !strings.Contains(s, "sum without (instance, pod)") || strings.Contains(s, "max without") {
		t.Errorf("shards mode's rules do not sum the copies of a series")
	}
	checkDashboards(t, ms, "sum", map[string]string{"grafana_dashboard": "1", "team": "sre"})
}

// Values the chart cannot honour fail the render with a reason, rather than
// deploy something else.
func TestTemplateRefuses(t *testing.T) {
	tests := []struct{ name, vals, want string }{
		{"unknown mode", "mode: active-passive", "mode"},
		{"shards without Kafka", "mode: shards\nconfig: {kafka: {brokers: []}}", "kafka"},
		{"listen off the Service's port", "config: {listen: \":8080\"}", "listen"},
		{"probe credentials without a web config", "webConfig: {probe: {username: probe, passwordKey: p}}", "webConfig"},
		{"db moved off the volume", "config: {db: /tmp/x.duckdb}", "db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, values(t, tt.vals))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one naming %q", err, tt.want)
			}
		})
	}
}
