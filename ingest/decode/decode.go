// Package decode turns one Kafka message (or one webhook body, or one line of
// a file) in a source's format into canonical events. There is one decoder
// per format; each is a pure function of the message and its options.
package decode

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// Message is one record as it reaches a decoder.
type Message struct {
	Topic   string
	Key     []byte
	Value   []byte
	Headers []event.Header
	// Time is the broker's (or file's) timestamp; decoders use it only when
	// the payload carries no time of its own.
	Time time.Time
}

// Decoder decodes messages of one format. A returned error should be an
// *event.Error, whose Reason becomes the dead letter's reason; any other
// error is dead-lettered as invalid_json. A decoder never panics on input.
type Decoder interface {
	Format() string
	Decode(m Message) ([]event.Event, error)
}

// Options configure every decoder.
type Options struct {
	Limits event.Limits
	// Warn is called for conditions that are not errors but that an operator
	// should see counted (e.g. Alertmanager's truncatedAlerts). May be nil.
	Warn func(format, what string)
	// Mappings are the team/service/severity rules per source format; the
	// zero value means every format's defaults (DefaultMapping).
	Mappings Mappings `yaml:"mappings"`
}

// DefaultOptions returns the default limits and no warning hook.
func DefaultOptions() Options { return Options{Limits: event.DefaultLimits()} }

// Constructor builds a decoder of one format.
type Constructor func(Options) Decoder

var (
	mu       sync.RWMutex
	registry = map[string]Constructor{}
)

// Register makes a format available to New. Each format's file registers
// itself in init.
func Register(format string, c Constructor) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[format]; dup {
		panic("decode: format registered twice: " + format)
	}
	registry[format] = c
}

// Formats lists the registered formats, sorted.
func Formats() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for f := range registry {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// New returns the decoder for format.
func New(format string, opts Options) (Decoder, error) {
	if opts.Limits == (event.Limits{}) {
		opts.Limits = event.DefaultLimits()
	}
	if err := opts.Mappings.Validate(); err != nil {
		return nil, err
	}
	mu.RLock()
	c, ok := registry[format]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %v)", format, Formats())
	}
	return c(opts), nil
}

// Canonical is the format name of pagerlens's own CloudEvents JSON.
const Canonical = "canonical"

func init() {
	Register(Canonical, func(o Options) Decoder { return canonical{lim: o.Limits} })
}

// canonical decodes CloudEvents in structured mode (the JSON body) or Kafka
// binary mode (ce_* headers and the data object as the body).
type canonical struct{ lim event.Limits }

func (canonical) Format() string { return Canonical }

func (c canonical) Decode(m Message) ([]event.Event, error) {
	var (
		e   event.Event
		err error
	)
	if slices.ContainsFunc(m.Headers, func(h event.Header) bool { return h.Key == "ce_specversion" }) {
		e, err = event.DecodeBinary(m.Headers, m.Value, c.lim)
	} else {
		e, err = event.Decode(m.Value, c.lim)
	}
	if err != nil {
		return nil, err
	}
	// A producer names the channel as it likes ("SMS", "voice"); store the
	// normalised one, as every other decoder does, so that analytics'
	// interruption channels (phone, sms, push, …) match it.
	e.Data.Channel = event.NormalizeChannel(e.Data.Channel)
	return []event.Event{e}, nil
}
