package prometheus

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/internal/testkit"
)

const (
	replicaMerge = "max without (instance, pod)"
	shardMerge   = "sum without (instance, pod)"
)

// rulesBody is a rule file from its groups: key on (the header comments of
// the two variants differ on purpose).
func rulesBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "prometheus", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\ngroups:")
	if i < 0 {
		t.Fatalf("%s: no groups: key", name)
	}
	return s[i+1:]
}

// rules-shards.yml is rules.yml with the replica merge (max) replaced by the
// shard merge (sum), and nothing else: the two cannot drift apart.
func TestShardRulesAreTheReplicaRulesWithSum(t *testing.T) {
	replicas := rulesBody(t, "rules.yml")
	shards := rulesBody(t, "rules-shards.yml")
	if strings.Contains(shards, replicaMerge) {
		t.Errorf("rules-shards.yml still merges copies with %q", replicaMerge)
	}
	if n := strings.Count(replicas, replicaMerge); n < 6 {
		t.Errorf("rules.yml merges copies with %q only %d times; every analytics family needs it", replicaMerge, n)
	}
	if want := strings.ReplaceAll(replicas, replicaMerge, shardMerge); shards != want {
		t.Errorf("rules-shards.yml is not rules.yml with %q → %q; regenerate it from rules.yml", replicaMerge, shardMerge)
	}
}

// The recording rules give the single-instance figure with two HA replicas
// (copies: max) and with two shards (parts: sum), checked by promtool's rule
// unit tests on series as two instances would export them.
func TestRulesAggregateInstances(t *testing.T) {
	promtool := testkit.Tool(t, "promtool")
	dir, err := filepath.Abs(filepath.Join("..", "..", "deploy", "prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	// One team, one service; a single instance would export _sum 600 and
	// _count 4 (mean 150 s) and ack buckets le=60: 1, le=300: 4, +Inf: 4.
	tests := []struct {
		name, rules, series string
	}{
		{
			name:  "replicas",
			rules: "rules.yml",
			series: `
      - series: 'pagerlens_incident_ack_seconds_sum{instance="a:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '600x5'
      - series: 'pagerlens_incident_ack_seconds_sum{instance="b:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '600x5'
      - series: 'pagerlens_incident_ack_seconds_count{instance="a:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '4x5'
      - series: 'pagerlens_incident_ack_seconds_count{instance="b:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '4x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="a:9464", team="pay", service="api", severity="SEV2", le="60"}'
        values: '1x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="b:9464", team="pay", service="api", severity="SEV2", le="60"}'
        values: '1x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="a:9464", team="pay", service="api", severity="SEV2", le="300"}'
        values: '4x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="b:9464", team="pay", service="api", severity="SEV2", le="300"}'
        values: '4x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="a:9464", team="pay", service="api", severity="SEV2", le="+Inf"}'
        values: '4x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="b:9464", team="pay", service="api", severity="SEV2", le="+Inf"}'
        values: '4x5'`,
		},
		{
			name:  "shards",
			rules: "rules-shards.yml",
			series: `
      - series: 'pagerlens_incident_ack_seconds_sum{instance="a:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '100x5'
      - series: 'pagerlens_incident_ack_seconds_sum{instance="b:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '500x5'
      - series: 'pagerlens_incident_ack_seconds_count{instance="a:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '1x5'
      - series: 'pagerlens_incident_ack_seconds_count{instance="b:9464", team="pay", service="api", severity="SEV2", window="7d"}'
        values: '3x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="a:9464", team="pay", service="api", severity="SEV2", le="60"}'
        values: '1x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="b:9464", team="pay", service="api", severity="SEV2", le="60"}'
        values: '0x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="a:9464", team="pay", service="api", severity="SEV2", le="300"}'
        values: '1x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="b:9464", team="pay", service="api", severity="SEV2", le="300"}'
        values: '3x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="a:9464", team="pay", service="api", severity="SEV2", le="+Inf"}'
        values: '1x5'
      - series: 'pagerlens_incident_ack_duration_seconds_bucket{instance="b:9464", team="pay", service="api", severity="SEV2", le="+Inf"}'
        values: '3x5'`,
		},
	}
	// The single-instance figures: mean 600/4; p90 of 1 at ≤60 and 3 more
	// in (60, 300]: rank 3.6 → 60 + 240·(3.6−1)/3 = 268.
	const expect = `
    promql_expr_test:
      - expr: team_window:pagerlens_incident_ack_seconds:mean
        eval_time: 2m
        exp_samples:
          - labels: 'team_window:pagerlens_incident_ack_seconds:mean{team="pay", window="7d"}'
            value: 150
      - expr: team:pagerlens_incident_ack_duration_seconds:p90
        eval_time: 2m
        exp_samples:
          - labels: 'team:pagerlens_incident_ack_duration_seconds:p90{team="pay"}'
            value: 268
      - expr: sum by (team) (max without (instance, pod) (pagerlens_incident_ack_seconds_count{window="7d"}))
        eval_time: 2m
        exp_samples:
          - labels: '{team="pay"}'
            value: 4
`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test := "rule_files:\n  - " + filepath.Join(dir, tt.rules) + "\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:" +
				tt.series + "\n" + expect
			if tt.name == "shards" {
				// The alert's guard counts incidents with the file's merge.
				test = strings.ReplaceAll(test, replicaMerge, shardMerge)
			}
			f := filepath.Join(t.TempDir(), "rules_test.yml")
			if err := os.WriteFile(f, []byte(test), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(promtool, "test", "rules", f).CombinedOutput()
			if err != nil {
				t.Errorf("promtool test rules (%s): %v\n%s", tt.rules, err, out)
			}
		})
	}
}
