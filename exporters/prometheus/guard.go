package prometheus

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pagerlens/pagerlens/analytics"
)

// Label values the exporter substitutes.
const (
	// Unknown replaces an empty team, service, severity, alertname or
	// responder: an empty label value is the same as no label in PromQL,
	// which would silently merge such series with others.
	Unknown = "unknown"
	// Other is the fold of the responders beyond the top N of a team and of
	// the alertnames beyond the limit of a team and service.
	Other = "other"
	// AllResponders is the responder value with the responder label off.
	AllResponders = "all"
)

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}

// Responder label modes.
const (
	ResponderOn  = "on"
	ResponderOff = "off"
	ResponderTop = "top"
)

// ResponderLabel is the cardinality guard of the responder label.
//   - on: one series per responder.
//   - off: the responders of a team summed into responder="all" (the
//     label stays, so that dashboards and rules keep working).
//   - top-N: the N responders of each team with the most interruptions
//     (summed over all windows, so a person's label does not depend on the
//     window) keep their label; the rest are summed into responder="other".
type ResponderLabel struct {
	Mode string // ResponderOn, ResponderOff or ResponderTop
	TopN int    // for ResponderTop
}

// DefaultResponderLabel is top-200 (its String() is the flag's and the
// config's default).
var DefaultResponderLabel = ResponderLabel{Mode: ResponderTop, TopN: 200}

// ParseResponderLabel reads "on", "off" or "top-N".
func ParseResponderLabel(s string) (ResponderLabel, error) {
	switch s {
	case ResponderOn, ResponderOff:
		return ResponderLabel{Mode: s}, nil
	}
	if n, ok := strings.CutPrefix(s, "top-"); ok {
		v, err := strconv.Atoi(n)
		if err == nil && v > 0 {
			return ResponderLabel{Mode: ResponderTop, TopN: v}, nil
		}
	}
	return ResponderLabel{}, fmt.Errorf("responder label %q: want on, off or top-N with N > 0", s)
}

func (r ResponderLabel) String() string {
	if r.Mode == ResponderTop {
		return fmt.Sprintf("top-%d", r.TopN)
	}
	return r.Mode
}

func (r ResponderLabel) validate() error {
	switch {
	case r.Mode == ResponderOn || r.Mode == ResponderOff:
		return nil
	case r.Mode == ResponderTop && r.TopN > 0:
		return nil
	}
	return fmt.Errorf("responder label %+v: want on, off or top-N with N > 0", r)
}

// responderNames maps each (normalized team, responder) to the label value
// it is exported under.
func responderNames(rs []analytics.ResponderLoad, guard ResponderLabel) func(team, responder string) string {
	switch guard.Mode {
	case ResponderOn:
		return func(_, r string) string { return orUnknown(r) }
	case ResponderOff:
		return func(string, string) string { return AllResponders }
	}
	type key struct{ team, responder string }
	load := map[key]int64{}
	for _, r := range rs {
		load[key{orUnknown(r.Team), orUnknown(r.Responder)}] += r.Interruptions.Total()
	}
	byTeam := map[string][]key{}
	for k := range load {
		byTeam[k.team] = append(byTeam[k.team], k)
	}
	keep := map[key]bool{}
	for _, ks := range byTeam {
		if len(ks) > guard.TopN {
			// Most interruptions first; names break ties so the cut is
			// stable from one refresh to the next.
			slices.SortFunc(ks, func(a, b key) int {
				if c := cmp.Compare(load[b], load[a]); c != 0 {
					return c
				}
				return strings.Compare(a.responder, b.responder)
			})
			ks = ks[:guard.TopN]
		}
		for _, k := range ks {
			keep[k] = true
		}
	}
	return func(team, r string) string {
		r = orUnknown(r)
		if keep[key{team, r}] {
			return r
		}
		return Other
	}
}

// alertnameNames maps each (normalized team, service, alertname) to the
// label value it is exported under: the limit alertnames of a team and
// service with the most alerts over all windows keep their name.
func alertnameNames(keys []alertKey, counts []int64, limit int) func(alertKey) string {
	if limit < 0 {
		return func(k alertKey) string { return k.alertname }
	}
	type group struct{ team, service string }
	total := map[alertKey]int64{}
	for i, k := range keys {
		total[k] += counts[i]
	}
	byGroup := map[group][]alertKey{}
	for k := range total {
		g := group{k.team, k.service}
		byGroup[g] = append(byGroup[g], k)
	}
	keep := map[alertKey]bool{}
	for _, ks := range byGroup {
		if len(ks) > limit {
			slices.SortFunc(ks, func(a, b alertKey) int {
				if c := cmp.Compare(total[b], total[a]); c != 0 {
					return c
				}
				return strings.Compare(a.alertname, b.alertname)
			})
			ks = ks[:limit]
		}
		for _, k := range ks {
			keep[k] = true
		}
	}
	return func(k alertKey) string {
		if keep[k] {
			return k.alertname
		}
		return Other
	}
}

// alertKey is a normalized team, service and alertname.
type alertKey struct{ team, service, alertname string }

// mergedStat is a Stat that may be the merge of rows whose label values
// collide after normalization (team "" and team "unknown"): count and sum
// add up, quantiles of a merge are unknown and left out.
type mergedStat struct {
	analytics.Stat
	merged bool
}

func (m *mergedStat) add(s analytics.Stat) {
	switch {
	case s.Count == 0:
	case m.Count == 0:
		m.Stat = s
	default:
		m.Count += s.Count
		m.Sum += s.Sum
		m.merged = true
	}
}

func addHistogram(dst *analytics.Histogram, h analytics.Histogram) {
	if len(dst.Buckets) == 0 {
		dst.Buckets = slices.Clone(h.Buckets)
	} else {
		for i := range dst.Buckets {
			if i < len(h.Buckets) && h.Buckets[i].LE == dst.Buckets[i].LE {
				dst.Buckets[i].Count += h.Buckets[i].Count
			}
		}
	}
	dst.Count += h.Count
	dst.Sum += h.Sum
}

// ordered is a map that remembers insertion order, so that merged rows are
// emitted in snapshot order (deterministic output for tests and diffs).
type ordered[K comparable, V any] struct {
	idx  map[K]int
	keys []K
	vals []V
}

func (o *ordered[K, V]) at(k K) *V {
	if o.idx == nil {
		o.idx = map[K]int{}
	}
	i, ok := o.idx[k]
	if !ok {
		i = len(o.keys)
		o.idx[k] = i
		o.keys = append(o.keys, k)
		var zero V
		o.vals = append(o.vals, zero)
	}
	return &o.vals[i]
}
