// Package config is the YAML configuration of `pagerlens serve`: its schema,
// defaults (the owning packages' constants) and strict loading, with every
// problem reported at once by dotted key (an unknown key names its line).
// Flags and PAGERLENS_* environment variables override it in cmd/pagerlens,
// which records what set each key (SetBy) so that its problems name it.
package config

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/exporters/export"
	promexp "github.com/pagerlens/pagerlens/exporters/prometheus"
	"github.com/pagerlens/pagerlens/ingest"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/webhook"
	"github.com/pagerlens/pagerlens/internal/server"
	"github.com/pagerlens/pagerlens/internal/server/api"
	"github.com/pagerlens/pagerlens/store"
)

// Config is the whole serve configuration.
type Config struct {
	// DB is the DuckDB file.
	DB     string `yaml:"db"`
	Listen string `yaml:"listen"`
	// WebConfigFile is an exporter-toolkit web config (TLS, basic auth) for
	// the HTTP server: every path, /metrics and /webhooks/* alike.
	WebConfigFile string `yaml:"web_config_file"`
	Store         Store  `yaml:"store"`
	Kafka         Kafka  `yaml:"kafka"`
	Limits        Limits `yaml:"limits"`
	// Mappings are the per-source rules for team, service, severity, alert
	// name and responder (docs/sources.md).
	Mappings decode.Mappings `yaml:"mappings"`
	// Analytics sets the windows, roster and thresholds of every figure
	// (docs/metrics.md); checked when serve starts.
	Analytics Analytics `yaml:"analytics"`
	// Prometheus configures the /metrics exporter (docs/prometheus.md).
	Prometheus Prometheus `yaml:"prometheus"`
	// Webhooks configures the webhook intake, POST /webhooks/<source>
	// (docs/webhooks.md); only the sources listed are mounted.
	Webhooks webhook.Config `yaml:"webhooks"`
	// Exports are the scheduled metric exports to files (docs/reports.md):
	// each with a cron schedule, what, window, format, dir, file name
	// pattern and retention. Checked when serve starts.
	Exports []export.Job `yaml:"exports"`
	// Import lists the paging tools' APIs serve polls for history and new
	// events (docs/import.md), beside or instead of webhooks and Kafka.
	Import Import `yaml:"import"`
	// API configures serve's HTTP API beside /metrics (docs/operations.md):
	// the snapshot, reports, exports and, when turned on, read-only SQL.
	API API `yaml:"api"`

	// lines are the file's key lines, for Validate's problems.
	lines keyLines
	// setBy names the flag or variable of each key set outside the file.
	setBy map[string]string
}

// Prometheus configures the /metrics exporter.
type Prometheus struct {
	// RefreshInterval between analytics snapshot refreshes (also refreshed
	// after ingested batches, at most once per 5 s).
	RefreshInterval Duration `yaml:"refresh_interval"`
	// ResponderLabel is the responder label's cardinality guard: on, off
	// or top-N (per team).
	ResponderLabel string `yaml:"responder_label"`
	// MaxAlertnames bounds alertname values per team and service (the rest
	// are folded into "other"); negative means no limit.
	MaxAlertnames int `yaml:"max_alertnames"`
}

// API configures serve's HTTP API (internal/server/api).
type API struct {
	// SQL turns on POST /api/v1/sql, read-only ad-hoc SQL on the store;
	// off (404) unless set.
	SQL bool `yaml:"sql"`
	// MaxRows caps a SQL result; the rest is cut off and flagged.
	MaxRows int `yaml:"max_rows"`
	// Timeout cancels a SQL query that runs longer.
	Timeout Duration `yaml:"timeout"`
	// MaxConcurrent bounds the API requests that query the store at once;
	// more are answered 503.
	MaxConcurrent int `yaml:"max_concurrent"`
}

// Store configures DuckDB, and the Go heap next to it.
type Store struct {
	MemoryLimit string `yaml:"memory_limit"`
	Threads     int    `yaml:"threads"`
	// GoMemoryLimit is the Go runtime's soft memory limit (512MiB, 1GiB,
	// bytes; off for none). DuckDB's memory_limit bounds its buffer pool
	// only: with it at 1GB, ingesting 2M events peaked at 1.72 GiB RSS, the
	// Go heap (GOGC=100, two 50k-event batches in flight) on top. GOMEMLIMIT
	// in the environment takes precedence.
	GoMemoryLimit string `yaml:"go_memory_limit"`
}

// DefaultGoMemoryLimit is Store.GoMemoryLimit's default.
const DefaultGoMemoryLimit = "512MiB"

// ApplyGoMemoryLimit sets the Go runtime's soft memory limit to limit (see
// Store.GoMemoryLimit) unless GOMEMLIMIT is set, which the runtime already
// applied. It returns the limit in effect (math.MaxInt64: none).
func ApplyGoMemoryLimit(limit string) (int64, error) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), nil
	}
	n, err := ParseBytes(limit)
	if err != nil {
		return 0, fmt.Errorf("go memory limit: %w", err)
	}
	if n <= 0 {
		n = math.MaxInt64
	}
	debug.SetMemoryLimit(n)
	return n, nil
}

// ParseBytes reads a size such as 512MiB, 1GiB, 1GB, 64KB or 1048576 (bytes);
// "off", "" and 0 are 0 (no limit).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.EqualFold(t, "off") {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size such as 512MiB, 1GiB or off", s)
	}
	return int64(v * float64(mult)), nil
}

// Kafka configures the consumer.
type Kafka struct {
	Brokers         []string       `yaml:"brokers"`
	Group           string         `yaml:"group"`
	Topics          []ingest.Topic `yaml:"topics"`
	BatchSize       int            `yaml:"batch_size"`
	BatchWait       Duration       `yaml:"batch_wait"`
	WaitForBrokers  bool           `yaml:"wait_for_brokers"`
	StartFromLatest bool           `yaml:"start_from_latest"`
	TLS             TLS            `yaml:"tls"`
	SASL            SASL           `yaml:"sasl"`
	// BatchMax bounds a batch under a backlog, when batches grow past
	// BatchSize (ingest.Config.BatchMax). 0 is the consumer's default,
	// 10 × BatchSize at most 50,000, left 0 here so that it follows a
	// changed BatchSize; a value below BatchSize is raised to BatchSize.
	BatchMax int `yaml:"batch_max"`
}

// TLS configures TLS to the brokers.
type TLS struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SASL configures SASL authentication to the brokers. The password comes
// from PasswordFile or the environment variable PAGERLENS_KAFKA_SASL_PASSWORD,
// never from the config file itself.
type SASL struct {
	Mechanism    string `yaml:"mechanism"` // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Limits bound a single message (see event.Limits).
type Limits struct {
	MaxMessageBytes int `yaml:"max_message_bytes"`
	MaxIDBytes      int `yaml:"max_id_bytes"`
	MaxStringBytes  int `yaml:"max_string_bytes"`
	MaxLabels       int `yaml:"max_labels"`
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		DB:     store.DefaultFile,
		Listen: server.DefaultListen,
		Store:  Store{MemoryLimit: store.DefaultMemoryLimit, GoMemoryLimit: DefaultGoMemoryLimit},
		Kafka: Kafka{
			Group:          ingest.DefaultGroup,
			BatchSize:      ingest.DefaultBatchSize,
			BatchWait:      Duration(ingest.DefaultBatchWait),
			WaitForBrokers: true,
		},
		Analytics: DefaultAnalytics(),
		API: API{MaxRows: api.DefaultMaxRows, Timeout: Duration(api.DefaultTimeout),
			MaxConcurrent: api.DefaultMaxConcurrent},
		Prometheus: Prometheus{
			RefreshInterval: Duration(promexp.DefaultRefreshInterval),
			ResponderLabel:  promexp.DefaultResponderLabel.String(),
			MaxAlertnames:   promexp.DefaultMaxAlertnames,
		},
	}
}

// Load reads path over the defaults. Every problem of the file is reported
// at once (*Error): unknown keys with their line and the closest valid key,
// values of the wrong type, and values that Validate refuses.
func Load(path string) (Config, error) {
	cfg := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return cfg, &Error{File: path, Problems: []Problem{{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	cfg.lines = keyLines{}
	cfg.lines.index(&doc, "")
	problems := unknownKeys(&doc, reflect.TypeOf(cfg), "")
	if len(doc.Content) > 0 {
		if err := doc.Decode(&cfg); err != nil {
			problems = append(problems, typeProblems(err, cfg.lines)...)
		}
	}
	if len(problems) == 0 {
		warnIfExposed(path, cfg)
	}
	for _, p := range cfg.Problems() {
		p.Line = cfg.lines.line(p.Key)
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return cfg, &Error{File: path, Problems: problems}
	}
	return cfg, nil
}

// Duration is a time.Duration read from YAML as "250ms".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		// A TypeError lets the decoder go on and report the file's other
		// problems with this one.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration such as 250ms or 5s", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// DecodeOptions are the decoders' options as configured: the event limits
// with limits: over their defaults, and mappings:. serve's consumer and
// webhooks and `pagerlens ingest` all decode with these, so that a
// backfilled event and a live one look alike.
func (c Config) DecodeOptions() decode.Options {
	lim := event.DefaultLimits()
	for _, l := range []struct {
		v   int
		dst *int
	}{
		{c.Limits.MaxMessageBytes, &lim.MaxMessageBytes},
		{c.Limits.MaxIDBytes, &lim.MaxIDBytes},
		{c.Limits.MaxStringBytes, &lim.MaxStringBytes},
		{c.Limits.MaxLabels, &lim.MaxLabels},
	} {
		if l.v > 0 { // 0: the default
			*l.dst = l.v
		}
	}
	o := decode.DefaultOptions()
	o.Limits = lim
	o.Mappings = c.Mappings
	return o
}
