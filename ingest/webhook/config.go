package webhook

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pagerlens/pagerlens/ingest/decode"
)

// The sources pagerlens takes webhooks from; each is also the decode format
// of its bodies (hence decode's names, not a copy of them) and the last
// segment of its path, /webhooks/<source>.
const (
	PagerDuty    = decode.PagerDuty
	Alertmanager = decode.Alertmanager
	Grafana      = decode.Grafana
	Opsgenie     = decode.Opsgenie
	OnCall       = decode.OnCall
	IncidentIO   = decode.IncidentIO
	Canonical    = decode.Canonical
)

// Modes: where an accepted webhook goes.
const (
	// ModeDirect decodes the request and writes it to the store before
	// answering (no Kafka needed).
	ModeDirect = "direct"
	// ModeKafka produces the raw body to the source's topic and answers
	// after the brokers acknowledged it.
	ModeKafka = "kafka"
)

// DefaultMaxBodyBytes bounds a request body: every paging tool's webhook is
// far smaller.
const DefaultMaxBodyBytes = 1 << 20

// Config is the `webhooks` section of the serve configuration. A source is
// mounted only when its section is present.
type Config struct {
	Mode         string            `yaml:"mode"` // direct (default) or kafka
	MaxBodyBytes int64             `yaml:"max_body_bytes"`
	Topics       map[string]string `yaml:"topics"` // source → Kafka topic, default pagerlens-<source>

	PagerDuty    *Source `yaml:"pagerduty"`
	Alertmanager *Source `yaml:"alertmanager"`
	Grafana      *Source `yaml:"grafana"`
	Opsgenie     *Source `yaml:"opsgenie"`
	OnCall       *Source `yaml:"oncall"`
	IncidentIO   *Source `yaml:"incidentio"`
	Canonical    *Source `yaml:"canonical"`
}

// Source is how one source's requests are authenticated. Secrets are read
// from files (one accepted value a line, so that a new one can be added
// before the old one is removed); the files are re-read when they change.
// When several methods are set, a request must pass all of them.
type Source struct {
	// SecretFile is the signing secret: PagerDuty's webhook subscription
	// secret, incident.io's whsec_… signing secret, Grafana's HMAC secret.
	SecretFile string `yaml:"secret_file"`
	// BearerTokenFile holds the token expected as "Authorization: Bearer …".
	BearerTokenFile string `yaml:"bearer_token_file"`
	// BasicAuth is HTTP basic authentication.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// SignatureHeader and TimestampHeader (Grafana only) name the headers
	// set in the contact point's HMAC settings; defaults
	// X-Grafana-Alerting-Signature and X-Grafana-Alerting-Signature-Timestamp.
	SignatureHeader string `yaml:"signature_header"`
	TimestampHeader string `yaml:"timestamp_header"`
}

// BasicAuth is a user name and the file of its password.
type BasicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Sources lists every source pagerlens knows, sorted.
func Sources() []string {
	s := []string{PagerDuty, Alertmanager, Grafana, Opsgenie, OnCall, IncidentIO, Canonical}
	sort.Strings(s)
	return s
}

// signed are the sources that sign their bodies; the others can only send
// a static credential.
var signed = map[string]bool{PagerDuty: true, IncidentIO: true, Grafana: true}

// source returns the section of name, nil if it is not configured.
func (c Config) source(name string) *Source {
	switch name {
	case PagerDuty:
		return c.PagerDuty
	case Alertmanager:
		return c.Alertmanager
	case Grafana:
		return c.Grafana
	case Opsgenie:
		return c.Opsgenie
	case OnCall:
		return c.OnCall
	case IncidentIO:
		return c.IncidentIO
	case Canonical:
		return c.Canonical
	}
	return nil
}

// Enabled lists the configured sources, sorted.
func (c Config) Enabled() []string {
	var out []string
	for _, s := range Sources() {
		if c.source(s) != nil {
			out = append(out, s)
		}
	}
	return out
}

// Kafka reports whether accepted webhooks go to Kafka.
func (c Config) Kafka() bool { return c.Mode == ModeKafka }

// Topic is the Kafka topic of source in Kafka mode.
func (c Config) Topic(source string) string {
	if t := c.Topics[source]; t != "" {
		return t
	}
	return "pagerlens-" + source
}

// StoreTopic is what the store records as the topic of a webhook received
// in direct mode (events' kafka_topic, dead letters' topic).
func StoreTopic(source string) string { return "webhook/" + source }

// Validate checks the settings without reading any file.
func (c Config) Validate() error {
	var errs []error
	switch c.Mode {
	case "", ModeDirect, ModeKafka:
	default:
		errs = append(errs, fmt.Errorf("webhooks.mode %q: want direct or kafka", c.Mode))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("webhooks.max_body_bytes %d: must not be negative", c.MaxBodyBytes))
	}
	for s, topic := range c.Topics {
		if c.source(s) == nil {
			if !known(s) {
				errs = append(errs, fmt.Errorf("webhooks.topics.%s: unknown source (known: %v)", s, Sources()))
			}
			continue
		}
		if topic == "" {
			errs = append(errs, fmt.Errorf("webhooks.topics.%s: empty topic", s))
		}
	}
	for _, name := range c.Enabled() {
		if err := c.source(name).validate(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func known(s string) bool {
	for _, k := range Sources() {
		if k == s {
			return true
		}
	}
	return false
}

func (s *Source) validate(name string) error {
	p := "webhooks." + name
	if s.SecretFile != "" && !signed[name] {
		return fmt.Errorf("%s.secret_file: %s does not sign its webhooks; use bearer_token_file or basic_auth", p, name)
	}
	if (s.SignatureHeader != "" || s.TimestampHeader != "") && name != Grafana {
		return fmt.Errorf("%s: signature_header and timestamp_header are Grafana settings", p)
	}
	if (name == PagerDuty || name == IncidentIO) && s.SecretFile == "" {
		// These tools always sign; accepting them unsigned would only
		// weaken what the tool already offers.
		return fmt.Errorf("%s.secret_file: required (the tool's signing secret)", p)
	}
	if s.BasicAuth != nil && (s.BasicAuth.Username == "" || s.BasicAuth.PasswordFile == "") {
		return fmt.Errorf("%s.basic_auth: username and password_file are both required", p)
	}
	if s.SecretFile == "" && s.BearerTokenFile == "" && s.BasicAuth == nil {
		// An open endpoint would let anyone write events into the store.
		return fmt.Errorf("%s: no credentials: set secret_file, bearer_token_file or basic_auth", p)
	}
	return nil
}
