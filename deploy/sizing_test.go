package deploy

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/internal/config"
)

// loadConfig writes doc to a file and loads it with pagerlens's own
// validation (internal/config), as serve would at start.
func loadConfig(t *testing.T, name string, doc []byte) config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatalf("%s does not pass pagerlens's config validation: %v", name, err)
	}
	return cfg
}

// sizingRule is the memory a process with cfg needs (README "Sizing
// memory", docs/operations.md#sizing-memory): DuckDB's memory_limit plus the
// Go soft limit, plus ~10%.
func sizingRule(t *testing.T, cfg config.Config) int64 {
	t.Helper()
	duck, err := config.ParseBytes(cfg.Store.MemoryLimit)
	if err != nil || duck == 0 {
		t.Fatalf("store.memory_limit %q: %v (a deployment must set it: DuckDB's default is 80%% of the host's RAM)", cfg.Store.MemoryLimit, err)
	}
	goLim, err := config.ParseBytes(cfg.Store.GoMemoryLimit)
	if err != nil || goLim == 0 {
		t.Fatalf("store.go_memory_limit %q: %v", cfg.Store.GoMemoryLimit, err)
	}
	return int64(math.Ceil(float64(duck+goLim) * 1.1))
}

// parseLimit reads a container or unit memory limit: Kubernetes quantities
// (1620Mi, 2Gi, 1G), compose's (960m, 1g: binary) and systemd's (1700M:
// binary).
func parseLimit(t *testing.T, s, style string) int64 {
	t.Helper()
	m := regexp.MustCompile(`^([0-9.]+)([A-Za-z]*)$`).FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		t.Fatalf("memory limit %q: not a size", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("memory limit %q: %v", s, err)
	}
	units := map[string]map[string]float64{
		"k8s":     {"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 1e3, "M": 1e6, "G": 1e9},
		"compose": {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30},
		"systemd": {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30},
	}[style]
	mult, ok := units[m[2]]
	if !ok {
		t.Fatalf("memory limit %q: unit %q unknown for %s", s, m[2], style)
	}
	return int64(v * mult)
}

func checkSized(t *testing.T, what string, limit, need int64) {
	t.Helper()
	if limit < need {
		t.Errorf("%s: memory limit %.0f MiB is below the sizing rule's %.0f MiB (memory_limit + go_memory_limit + 10%%)",
			what, float64(limit)/(1<<20), float64(need)/(1<<20))
	}
	// Far above the rule is memory the process never uses.
	if limit > need*3/2 {
		t.Errorf("%s: memory limit %.0f MiB is far above the rule's %.0f MiB: raise memory_limit instead",
			what, float64(limit)/(1<<20), float64(need)/(1<<20))
	}
}

// The chart's default config is a valid pagerlens config, and its default
// memory limit follows the sizing rule.
func TestChartDefaultValues(t *testing.T) {
	b, err := os.ReadFile("helm/pagerlens/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config    yaml.Node `yaml:"config"`
		Resources struct {
			Limits struct {
				Memory string `yaml:"memory"`
			} `yaml:"limits"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	doc, err := yaml.Marshal(&v.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, "chart-config.yaml", doc)
	if !strings.HasPrefix(cfg.DB, "/var/lib/pagerlens/") {
		t.Errorf("chart config db %q is not on the volume", cfg.DB)
	}
	checkSized(t, "chart resources.limits.memory", parseLimit(t, v.Resources.Limits.Memory, "k8s"), sizingRule(t, cfg))
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		s, style string
		want     int64
	}{
		{"1620Mi", "k8s", 1620 << 20},
		{"1G", "k8s", 1e9},
		{"960m", "compose", 960 << 20},
		{"1700M", "systemd", 1700 << 20},
		{"2G", "systemd", 2 << 30},
	}
	for _, tt := range tests {
		if got := parseLimit(t, tt.s, tt.style); got != tt.want {
			t.Errorf("parseLimit(%q, %s) = %d, want %d", tt.s, tt.style, got, tt.want)
		}
	}
	// The rule on the README's example: 512MB + 384MiB = 914,653,184 bytes;
	// + 10% = 1,006,118,503 bytes, 959.5 MiB: a 1 GiB container fits it.
	cfg := config.Default()
	cfg.Store.MemoryLimit, cfg.Store.GoMemoryLimit = "512MB", "384MiB"
	if got := sizingRule(t, cfg); got != 1006118503 {
		t.Errorf("sizing rule = %d, want 1006118503", got)
	}
}
