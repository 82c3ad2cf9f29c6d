package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	promexp "github.com/pagerlens/pagerlens/exporters/prometheus"
	"github.com/pagerlens/pagerlens/ingest/decode"
)

// Problem is one thing wrong in a configuration: the key (dotted path, as
// in the file), the file line where known, and what is wrong.
type Problem struct {
	Key  string
	Line int
	Msg  string
	// Via names the flag or PAGERLENS_* variable that set Key, when one
	// did (Config.SetBy): "--batch-max" or "PAGERLENS_BATCH_MAX".
	Via string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	switch {
	case p.Key != "" && p.Via != "":
		b.WriteString(p.Key + " (" + p.Via + "): ")
	case p.Key != "":
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem of a configuration at once, so that one run shows
// all that needs fixing (issue 24: seven runs to fix the README's example,
// one error each).
type Error struct {
	File     string // "" when the values came from flags and defaults only
	Problems []Problem
}

func (e *Error) Error() string {
	where := "configuration"
	if e.File != "" {
		where = "config " + e.File
	}
	if len(e.Problems) == 1 {
		return where + ": " + e.Problems[0].String()
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  " + p.String()
	}
	return fmt.Sprintf("%s: %d problems:\n%s", where, len(e.Problems), strings.Join(lines, "\n"))
}

// IsError reports whether err is a configuration error (exit code 2): a
// configuration's problems (*Error) or an error marked by Invalid.
func IsError(err error) bool {
	var e *Error
	var i invalidError
	return errors.As(err, &e) || errors.As(err, &i)
}

// Invalid marks err as a configuration error found while a command starts
// (no brokers and no webhooks, a roster that does not load), so that it
// exits with code 2 as a problem of the file does. nil stays nil.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return invalidError{err}
}

type invalidError struct{ err error }

func (e invalidError) Error() string { return e.err.Error() }
func (e invalidError) Unwrap() error { return e.err }

// keyLines maps each key path in a YAML document to its line.
type keyLines map[string]int

func (k keyLines) index(n *yaml.Node, prefix string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			k.index(c, prefix)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			k[key] = n.Content[i].Line
			k.index(n.Content[i+1], key)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			key := fmt.Sprintf("%s[%d]", prefix, i)
			k[key] = c.Line
			k.index(c, key)
		}
	}
}

// line is the line of key or of its nearest parent in the file (0: not in it).
func (k keyLines) line(key string) int {
	for key != "" {
		if l, ok := k[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

// unknownKeys walks the document against the Go type it decodes into and
// reports every key no field has, with the closest valid key of its
// mapping. Maps take any key; their values are walked.
func unknownKeys(n *yaml.Node, t reflect.Type, prefix string) []Problem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		var out []Problem
		for _, c := range n.Content {
			out = append(out, unknownKeys(c, t, prefix)...)
		}
		return out
	}
	if t.Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) || reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		return nil // decodes itself
	}
	var out []Problem
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				msg := "unknown key"
				if s := closestKey(k.Value, fields); s != "" {
					msg += " (did you mean " + s + "?)"
				} else {
					msg += fmt.Sprintf(" (valid here: %s)", strings.Join(sortedKeys(fields), ", "))
				}
				out = append(out, Problem{Key: key, Line: k.Line, Msg: msg})
				continue
			}
			out = append(out, unknownKeys(v, ft, key)...)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			out = append(out, unknownKeys(n.Content[i+1], t.Elem(), key)...)
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i, c := range n.Content {
			out = append(out, unknownKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", prefix, i))...)
		}
	}
	return out
}

// collectFields gathers a struct's YAML keys, inline structs included.
func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, into)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		into[name] = f.Type
	}
}

func sortedKeys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closestKey is the key of fields nearest to s, if near enough to be a typo.
func closestKey(s string, fields map[string]reflect.Type) string {
	return Closest(s, sortedKeys(fields))
}

// Closest is the candidate nearest to s by edit distance if it is near
// enough to be a typo of s (fewer than a third of s's letters differ), the
// first of equals; "" if none is. Unknown keys and unknown PAGERLENS_*
// variables are answered with it.
func Closest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+1
	for _, k := range candidates {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var yamlLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// typeProblems turns yaml's decoding errors (a value of the wrong type, a
// bad duration) into problems with their lines.
func typeProblems(err error, lines keyLines) []Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Problem{{Msg: err.Error()}}
	}
	var out []Problem
	for _, e := range te.Errors {
		p := Problem{Msg: e}
		if m := yamlLineRe.FindStringSubmatch(e); m != nil {
			fmt.Sscanf(m[1], "%d", &p.Line)
			p.Msg = m[2]
			p.Key = keyAtLine(lines, p.Line)
		}
		out = append(out, p)
	}
	return out
}

// keyAtLine is the deepest key on line l (yaml's errors name a line only).
func keyAtLine(lines keyLines, l int) string {
	best := ""
	for k, v := range lines {
		if v == l && len(k) > len(best) {
			best = k
		}
	}
	return best
}

var memoryLimitRe = regexp.MustCompile(`^(?i)\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)$`)

// Problems checks every value of c that can be checked without reading
// other files or the network, and returns all that is wrong. Keys are as
// in the YAML file; flags and PAGERLENS_* variables set the same keys.
func (c Config) Problems() []Problem {
	var out []Problem
	add := func(key, format string, args ...any) {
		out = append(out, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	addErr := func(key string, err error) {
		if err == nil {
			return
		}
		for _, e := range splitJoined(err) {
			// Errors of the sections' own validators start with their key.
			k, msg := key, e.Error()
			if head, rest, ok := strings.Cut(msg, " "); ok && strings.HasPrefix(head, key) && !strings.ContainsAny(head, "\"'") {
				k, msg = strings.TrimSuffix(head, ":"), rest
			}
			out = append(out, Problem{Key: k, Msg: msg})
		}
	}
	if c.DB == "" {
		add("db", "empty: want the DuckDB file's path")
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			add("listen", "%q is not an address such as :9464 or 127.0.0.1:9464", c.Listen)
		}
	}
	if m := strings.TrimSpace(c.Store.MemoryLimit); m != "" && !memoryLimitRe.MatchString(m) {
		add("store.memory_limit", "%q is not a size such as 512MB, 2GB or 50%%", c.Store.MemoryLimit)
	}
	if _, err := ParseBytes(c.Store.GoMemoryLimit); err != nil {
		add("store.go_memory_limit", "%v", err)
	}
	if c.Store.Threads < 0 {
		add("store.threads", "%d: want 0 (one per CPU) or more", c.Store.Threads)
	}
	if c.Kafka.BatchSize <= 0 {
		add("kafka.batch_size", "%d: want a positive count", c.Kafka.BatchSize)
	}
	if c.Kafka.BatchMax < 0 {
		add("kafka.batch_max", "%d: want 0 (default) or a positive count", c.Kafka.BatchMax)
	}
	if c.Kafka.BatchWait < 0 {
		add("kafka.batch_wait", "%s: must not be negative", time.Duration(c.Kafka.BatchWait))
	}
	for i, t := range c.Kafka.Topics {
		if t.Name == "" {
			add(fmt.Sprintf("kafka.topics[%d].name", i), "empty")
		}
		if t.Format == "" {
			continue // the consumer's default
		}
		if _, err := decode.New(t.Format, decode.DefaultOptions()); err != nil {
			add(fmt.Sprintf("kafka.topics[%d].format", i), "%v", err)
		}
	}
	switch strings.ToUpper(c.Kafka.SASL.Mechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		add("kafka.sasl.mechanism", "%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.Kafka.SASL.Mechanism)
	}
	for _, f := range decode.Formats() {
		o := decode.DefaultOptions()
		o.Mappings = c.Mappings
		if _, err := decode.New(f, o); err != nil {
			add("mappings."+f, "%v", err)
		}
	}
	// The roster file is read when serve starts (or the command runs),
	// not here.
	a := c.Analytics
	a.RosterFile = ""
	if _, err := a.Config(time.Now()); err != nil {
		addErr("analytics", err)
	}
	if c.Prometheus.RefreshInterval <= 0 {
		add("prometheus.refresh_interval", "%s: want a positive duration such as 30s", time.Duration(c.Prometheus.RefreshInterval))
	}
	if _, err := promexp.ParseResponderLabel(c.Prometheus.ResponderLabel); err != nil {
		add("prometheus.responder_label", "%v", err)
	}
	if c.Prometheus.MaxAlertnames == 0 {
		add("prometheus.max_alertnames", "0 would fold every alert into \"other\"; use a negative value for no limit")
	}
	addErr("webhooks", c.Webhooks.Validate())
	out = append(out, c.Import.problems()...)
	for i, j := range c.Exports {
		key := fmt.Sprintf("exports[%d]", i)
		addErr(key, j.Validate())
		if _, err := j.ParseSchedule(); err != nil {
			add(key+".schedule", "%v", err)
		}
		for k, t := range j.Deliver {
			tkey := fmt.Sprintf("%s.deliver[%d]", key, k)
			for _, p := range t.Problems() {
				if p.Key != "" {
					add(tkey+"."+p.Key, "%s", p.Msg)
				} else {
					add(tkey, "%s", p.Msg)
				}
			}
		}
	}
	return out
}

// Validate is Problems as an error (nil when there are none), with the
// lines of the keys that came from file, and the flag or variable of those
// set by one (SetBy).
func (c Config) Validate(file string) error {
	ps := c.Problems()
	if len(ps) == 0 {
		return nil
	}
	for i := range ps {
		if via := c.setVia(ps[i].Key); via != "" {
			ps[i].Via = via // the file's line, if any, is not where the value came from
			continue
		}
		ps[i].Line = c.lines.line(ps[i].Key)
	}
	return &Error{File: file, Problems: ps}
}

// SetBy records that key (dotted, as Problem.Key) was set by via, a flag
// ("--batch-max") or an environment variable, rather than by the file:
// Validate then names via in the problems of key and of the keys under it
// (kafka.topics[0].name under kafka.topics).
func (c *Config) SetBy(key, via string) {
	if c.setBy == nil {
		c.setBy = map[string]string{}
	}
	c.setBy[key] = via
}

// setVia is what set key or its nearest parent outside the file ("": none).
func (c Config) setVia(key string) string {
	for key != "" {
		if v, ok := c.setBy[key]; ok {
			return v
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return ""
		}
		key = key[:i]
	}
	return ""
}

// splitJoined undoes errors.Join, so that each joined error is one problem.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []error{err}
}
