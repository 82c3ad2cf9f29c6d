package main

import (
	"reflect"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/internal/config"
)

// override is one flag that sets one configuration key: the flag's name,
// the dotted key it sets (as the YAML file and config problems name it),
// its help, and the config.Config field it sets. The flag's default is that
// field in config.Default(), whose values the owning packages define
// (store.DefaultMemoryLimit, ingest.DefaultBatchSize, ...): each default is
// written once.
type override struct {
	flag, key, usage string
	field            func(*config.Config) any // a pointer to the field
}

// serveOverrides are serve's configuration flags, in --help order.
var serveOverrides = []override{
	dbOverride,
	{"brokers", "kafka.brokers", "Kafka brokers, host:port, comma-separated", func(c *config.Config) any { return &c.Kafka.Brokers }},
	{"topics", "kafka.topics", "topics to consume: name or name:format, comma-separated", func(c *config.Config) any { return &c.Kafka.Topics }},
	{"group", "kafka.group", "Kafka consumer group (one per replica for HA; shared to shard)", func(c *config.Config) any { return &c.Kafka.Group }},
	{"listen", "listen", "HTTP listen address", func(c *config.Config) any { return &c.Listen }},
	{"web.config.file", "web_config_file", "exporter-toolkit web config file: TLS and basic auth for every path (/metrics, /healthz, /readyz, /webhooks/...)",
		func(c *config.Config) any { return &c.WebConfigFile }},
	{"wait-for-brokers", "kafka.wait_for_brokers", "at start, wait for the brokers instead of failing", func(c *config.Config) any { return &c.Kafka.WaitForBrokers }},
	{"batch-size", "kafka.batch_size", "messages per batch at most", func(c *config.Config) any { return &c.Kafka.BatchSize }},
	{"batch-max", "kafka.batch_max", "messages per batch at most under a backlog (0: 10 × --batch-size, at most 50,000; never below --batch-size)",
		func(c *config.Config) any { return &c.Kafka.BatchMax }},
	{"batch-wait", "kafka.batch_wait", "time after a batch's first message before it is written", func(c *config.Config) any { return &c.Kafka.BatchWait }},
	memoryLimitOverride,
	{"threads", "store.threads", "DuckDB threads (0: one per CPU)", func(c *config.Config) any { return &c.Store.Threads }},
	goMemoryLimitOverride,
	{"refresh-interval", "prometheus.refresh_interval", "time between analytics refreshes for /metrics (also after ingested batches, at most every 5s)",
		func(c *config.Config) any { return &c.Prometheus.RefreshInterval }},
	{"responder-label", "prometheus.responder_label", "responder label on /metrics: on, off (summed into responder=\"all\") or top-N per team (the rest summed into \"other\")",
		func(c *config.Config) any { return &c.Prometheus.ResponderLabel }},
	{"max-alertnames", "prometheus.max_alertnames", "alertname values per team and service on /metrics; the rest are summed into \"other\" (negative: no limit)",
		func(c *config.Config) any { return &c.Prometheus.MaxAlertnames }},
}

// The rows serve and ingest share: the same flag, default and help in both.
var (
	dbOverride          = override{"db", "db", "DuckDB file", func(c *config.Config) any { return &c.DB }}
	memoryLimitOverride = override{"memory-limit", "store.memory_limit", "DuckDB memory_limit",
		func(c *config.Config) any { return &c.Store.MemoryLimit }}
	goMemoryLimitOverride = override{"go-memory-limit", "store.go_memory_limit",
		"Go runtime soft memory limit, on top of DuckDB's --memory-limit (e.g. 512MiB; off: none; GOMEMLIMIT takes precedence)",
		func(c *config.Config) any { return &c.Store.GoMemoryLimit }}
)

// overrides are a command's --config flag and override rows, bound to its
// flags.
type overrides struct {
	configFile string
	rows       []override
	// flags holds the flags' values; its fields are the flags' defaults.
	flags config.Config
}

// bindOverrides defines --config (with configUsage) and a flag for each row
// on f.
func bindOverrides(f *pflag.FlagSet, configUsage string, rows []override) *overrides {
	o := &overrides{rows: rows, flags: config.Default()}
	f.StringVar(&o.configFile, "config", "", configUsage)
	for _, r := range rows {
		switch p := r.field(&o.flags).(type) {
		case *string:
			f.StringVar(p, r.flag, *p, r.usage)
		case *int:
			f.IntVar(p, r.flag, *p, r.usage)
		case *bool:
			f.BoolVar(p, r.flag, *p, r.usage)
		case *config.Duration:
			f.DurationVar((*time.Duration)(p), r.flag, time.Duration(*p), r.usage)
		case *[]string:
			f.Var(&listValue{p}, r.flag, r.usage)
		case *[]ingest.Topic:
			f.Var(&topicsValue{p}, r.flag, r.usage)
		default:
			panic("override " + r.flag + ": no flag type for " + reflect.TypeOf(p).String())
		}
	}
	return o
}

// resolve is the command's configuration: the defaults, then --config's
// file, then each row whose flag (or PAGERLENS_* variable) was given; all
// its problems at once, each naming the flag or variable that set it.
func (o *overrides) resolve(cmd *cobra.Command) (config.Config, error) {
	cfg := config.Default()
	if cmd.Flags().Changed("config") {
		var err error
		if cfg, err = config.Load(o.configFile); err != nil {
			return cfg, config.Invalid(err) // an unreadable file too: exit code 2
		}
	}
	for _, r := range o.rows {
		f := cmd.Flags().Lookup(r.flag)
		if !f.Changed {
			continue
		}
		reflect.ValueOf(r.field(&cfg)).Elem().Set(reflect.ValueOf(r.field(&o.flags)).Elem())
		via := "--" + r.flag
		if env := f.Annotations[envAnnotation]; len(env) > 0 {
			via = env[0]
		}
		cfg.SetBy(r.key, via)
	}
	return cfg, cfg.Validate(o.configFile)
}

// listValue is a comma-separated list flag; blanks around and between
// items are dropped.
type listValue struct{ p *[]string }

func (v *listValue) Set(s string) error {
	*v.p = append(*v.p, splitList([]string{s})...)
	return nil
}
func (v *listValue) Type() string   { return "strings" }
func (v *listValue) String() string { return "[" + strings.Join(*v.p, ",") + "]" }

// topicsValue is --topics: name or name:format, comma-separated. An empty
// name is left for the configuration's checks, which name the flag.
type topicsValue struct{ p *[]ingest.Topic }

func (v *topicsValue) Set(s string) error {
	for _, spec := range splitList([]string{s}) {
		name, format, _ := strings.Cut(spec, ":")
		*v.p = append(*v.p, ingest.Topic{Name: name, Format: format})
	}
	return nil
}
func (v *topicsValue) Type() string { return "strings" }
func (v *topicsValue) String() string {
	names := make([]string, len(*v.p))
	for i, t := range *v.p {
		names[i] = t.Name
		if t.Format != "" {
			names[i] += ":" + t.Format
		}
	}
	return "[" + strings.Join(names, ",") + "]"
}
