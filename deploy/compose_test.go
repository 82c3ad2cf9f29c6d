package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/dashboards"
)

// composeFile is the subset of the Compose specification the checks read.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		MemLimit    string            `yaml:"mem_limit"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// mount is one short-syntax volume entry: SOURCE:TARGET[:MODE].
type mount struct{ source, target string }

func (m mount) bind() bool {
	return strings.HasPrefix(m.source, ".") || strings.HasPrefix(m.source, "/")
}

func parseMounts(t *testing.T, svc string, vs []string) []mount {
	t.Helper()
	var ms []mount
	for _, v := range vs {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			t.Fatalf("service %s: volume %q: want SOURCE:TARGET[:MODE]", svc, v)
		}
		ms = append(ms, mount{parts[0], parts[1]})
	}
	return ms
}

// The compose stack hangs together: every file it mounts exists, the
// pagerlens config it mounts passes pagerlens's validation and names the
// stack's broker and topic, Prometheus scrapes the pagerlens service and
// loads the rules, Grafana's provider points where the dashboards are
// mounted, and the memory limit follows the sizing rule.
func TestComposeStack(t *testing.T) {
	const dir = "compose"
	b, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, s := range []string{"kafka", "kafka-init", "pagerlens", "synth", "producer", "prometheus", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("compose.yaml has no service %s", s)
		}
	}
	mounts := map[string]map[string]string{} // service → target → host path (binds)
	for name, s := range c.Services {
		mounts[name] = map[string]string{}
		for _, m := range parseMounts(t, name, s.Volumes) {
			if !m.bind() {
				if _, ok := c.Volumes[m.source]; !ok {
					t.Errorf("service %s mounts volume %s, which volumes: does not declare", name, m.source)
				}
				continue
			}
			host := filepath.Join(dir, m.source)
			if _, err := os.Stat(host); err != nil {
				t.Errorf("service %s mounts %s: %v", name, m.source, err)
			}
			mounts[name][m.target] = host
		}
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on %s, which is not a service", name, dep)
			}
		}
	}

	// pagerlens: built from the repository's Dockerfile, its config mounted.
	pl := c.Services["pagerlens"]
	if _, err := os.Stat(filepath.Join(dir, pl.Build.Context, pl.Build.Dockerfile)); err != nil || pl.Build.Dockerfile == "" {
		t.Errorf("pagerlens build: %v", err)
	}
	i := slices.Index(pl.Command, "--config")
	if len(pl.Command) == 0 || pl.Command[0] != "serve" || i < 0 || i+1 >= len(pl.Command) {
		t.Fatalf("pagerlens command %v: want serve --config FILE", pl.Command)
	}
	confPath := mounts["pagerlens"][pl.Command[i+1]]
	if confPath == "" {
		t.Fatalf("pagerlens's --config %s is not a file mounted into it", pl.Command[i+1])
	}
	conf, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, "pagerlens.yaml", conf)
	var dataMounted bool
	for _, m := range parseMounts(t, "pagerlens", pl.Volumes) {
		dataMounted = dataMounted || (!m.bind() && strings.HasPrefix(cfg.DB, m.target+"/"))
	}
	if !dataMounted {
		t.Errorf("db %s is not on a named volume: the store would go with the container", cfg.DB)
	}
	checkSized(t, "compose pagerlens mem_limit", parseLimit(t, pl.MemLimit, "compose"), sizingRule(t, cfg))
	if len(cfg.Kafka.Brokers) != 1 || cfg.Kafka.Brokers[0] != "kafka:9092" ||
		!strings.Contains(c.Services["kafka"].Environment["KAFKA_ADVERTISED_LISTENERS"], "PLAINTEXT://kafka:9092") {
		t.Errorf("brokers %v: want the kafka service's advertised kafka:9092", cfg.Kafka.Brokers)
	}
	if len(cfg.Kafka.Topics) != 1 {
		t.Fatalf("topics %v: want the one the producer writes", cfg.Kafka.Topics)
	}
	topic := cfg.Kafka.Topics[0].Name
	for _, svc := range []string{"kafka-init", "producer"} {
		if !strings.Contains(strings.Join(c.Services[svc].Command, " "), "--topic "+topic) {
			t.Errorf("service %s does not use topic %s: %v", svc, topic, c.Services[svc].Command)
		}
	}
	if !strings.HasSuffix(cfg.Listen, ":9464") || !slices.Contains(pl.Ports, "9464:9464") {
		t.Errorf("listen %s, ports %v: want 9464, where prometheus.yml scrapes", cfg.Listen, pl.Ports)
	}

	// The producer reads the file synth writes, through the shared volume.
	synthCmd := strings.Join(c.Services["synth"].Command, " ")
	if !strings.HasPrefix(synthCmd, "synth ") || !strings.Contains(synthCmd, "--out /var/lib/pagerlens/events.jsonl") ||
		!strings.Contains(strings.Join(c.Services["producer"].Command, " "), "< /events/events.jsonl") {
		t.Errorf("synth %q and producer %q do not meet at events.jsonl", synthCmd, c.Services["producer"].Command)
	}

	// Prometheus: the scrape config targets the pagerlens service and its
	// rule file is mounted beside it.
	prom := mounts["prometheus"]
	pcfg, err := os.ReadFile(prom["/etc/prometheus/prometheus.yml"])
	if err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	var p struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(pcfg, &p); err != nil {
		t.Fatal(err)
	}
	for _, r := range p.RuleFiles {
		if prom[filepath.Join("/etc/prometheus", r)] == "" {
			t.Errorf("prometheus.yml loads %s, which is not mounted", r)
		}
	}
	if len(p.RuleFiles) == 0 {
		t.Errorf("prometheus.yml loads no rules")
	}
	if len(p.ScrapeConfigs) == 0 || len(p.ScrapeConfigs[0].StaticConfigs) == 0 ||
		!slices.Contains(p.ScrapeConfigs[0].StaticConfigs[0].Targets, "pagerlens:9464") {
		t.Errorf("prometheus.yml does not scrape pagerlens:9464")
	}
	// Prometheus's own check of the config and the rules it loads, laid out
	// as the container sees them.
	if promtool, err := exec.LookPath("promtool"); err != nil {
		if os.Getenv("CI") != "" {
			t.Errorf("promtool missing under CI")
		} else {
			t.Log("NOTICE: promtool not found: prometheus.yml and its rules not checked by Prometheus")
		}
	} else {
		etc := t.TempDir()
		for target, host := range prom {
			if filepath.Dir(target) != "/etc/prometheus" {
				continue
			}
			b, err := os.ReadFile(host)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(etc, filepath.Base(target)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command(promtool, "check", "config", filepath.Join(etc, "prometheus.yml")).CombinedOutput(); err != nil {
			t.Errorf("promtool check config: %v\n%s", err, out)
		}
	}

	// Grafana: the data source and provider from `dashboards write`, the
	// provider's path where the dashboards are mounted.
	g := mounts["grafana"]
	dashDir := g[composeDashboardPath]
	if dashDir == "" {
		t.Fatalf("grafana: nothing mounted at %s, the provider's path", composeDashboardPath)
	}
	js, _ := filepath.Glob(filepath.Join(dashDir, "*.json"))
	if len(js) < 6 {
		t.Errorf("grafana dashboards %s: %d files, want 6", dashDir, len(js))
	}
	home := c.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if _, err := os.Stat(filepath.Join(dashDir, strings.TrimPrefix(home, composeDashboardPath+"/"))); err != nil || !strings.HasPrefix(home, composeDashboardPath) {
		t.Errorf("grafana home dashboard %s: %v", home, err)
	}
	for _, f := range []string{dashboards.ProviderFile, dashboards.DatasourceFile} {
		target := filepath.Join("/etc/grafana", filepath.Dir(f))
		if g[target] != filepath.Join(composeGrafana, filepath.Dir(f)) {
			t.Errorf("grafana: %s mounted from %q, want %s", target, g[target], filepath.Join(composeGrafana, filepath.Dir(f)))
		}
	}
}
