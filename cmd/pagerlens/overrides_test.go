package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/config"
)

// TestOverrideKeys: each row's key is the YAML path of the field it sets,
// so that a problem of that key is annotated with the right flag.
func TestOverrideKeys(t *testing.T) {
	for _, rows := range [][]override{serveOverrides, ingestOverrides} {
		for _, r := range rows {
			var c config.Config
			want := reflect.ValueOf(r.field(&c)).Pointer()
			if got, ok := fieldAt(reflect.ValueOf(&c).Elem(), strings.Split(r.key, ".")); !ok || got != want {
				t.Errorf("--%s: key %q is not the field it sets", r.flag, r.key)
			}
		}
	}
}

// fieldAt is the address of the field at the YAML path.
func fieldAt(v reflect.Value, path []string) (uintptr, bool) {
	if len(path) == 0 {
		return v.Addr().Pointer(), true
	}
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if name == path[0] {
			return fieldAt(v.Field(i), path[1:])
		}
	}
	return 0, false
}

// TestOverrides: a flag or variable sets its key over the file's value;
// keys no flag names keep the file's value; flags left out keep it too.
func TestOverrides(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(file, []byte("db: file.duckdb\nkafka:\n  group: g-file\n  batch_size: 10\n  sasl: {mechanism: PLAIN}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PAGERLENS_GROUP", "g-env")
	cmd := &cobra.Command{Use: "x"}
	o := bindOverrides(cmd.Flags(), "", serveOverrides)
	if err := cmd.Flags().Parse([]string{"--config", file, "--batch-size", "7", "--topics", "a, b:pagerduty",
		"--brokers", "k1:9092,,k2:9092", "--batch-wait", "1s", "--responder-label", "off"}); err != nil {
		t.Fatal(err)
	}
	if err := applyEnv(cmd); err != nil {
		t.Fatal(err)
	}
	got, err := o.resolve(cmd)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.DB = "file.duckdb"
	want.Kafka.Group = "g-env"
	want.Kafka.BatchSize = 7
	want.Kafka.SASL.Mechanism = "PLAIN"
	want.Kafka.Topics = []ingest.Topic{{Name: "a"}, {Name: "b", Format: "pagerduty"}}
	want.Kafka.Brokers = []string{"k1:9092", "k2:9092"}
	want.Kafka.BatchWait = config.Duration(time.Second)
	want.Prometheus.ResponderLabel = "off"
	for _, c := range []*config.Config{&got, &want} {
		c.Analytics = config.Analytics{} // compared in internal/config
	}
	gy, _ := yaml.Marshal(got)
	wy, _ := yaml.Marshal(want)
	if string(gy) != string(wy) {
		t.Errorf("resolved\n%s\nwant\n%s", gy, wy)
	}
}

// TestOverridesMissingFile: a --config that cannot be read is a
// configuration error (exit code 2), as a file with problems is.
func TestOverridesMissingFile(t *testing.T) {
	cmd := &cobra.Command{Use: "x"}
	o := bindOverrides(cmd.Flags(), "", serveOverrides)
	if err := cmd.Flags().Parse([]string{"--config", filepath.Join(t.TempDir(), "nosuch.yaml")}); err != nil {
		t.Fatal(err)
	}
	_, err := o.resolve(cmd)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "nosuch.yaml") {
		t.Fatalf("resolve: %v (exit code %d), want exit code 2 naming the file", err, exitCode(err))
	}
}
