// Package importers holds what every vendor importer (history read from a
// paging tool's API, ingest/importers/<vendor>) shares: the time range and
// its windows, --since/--until parsing, a retrying HTTP transport for the
// vendors' rate limits and outages, the progress observer and the run's
// summary. Each vendor package does the API calls and the mapping to
// canonical events; the events are written through store.WriteBatch with
// the cursor (store.ImportState) in the same transaction.
package importers

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Window is a half-open time range [Start, End).
type Window struct {
	Start, End time.Time
}

func (w Window) String() string {
	return w.Start.UTC().Format(time.RFC3339) + "/" + w.End.UTC().Format(time.RFC3339)
}

// Duration is End − Start.
func (w Window) Duration() time.Duration { return w.End.Sub(w.Start) }

// Halves splits w at its middle, rounded down to the second (APIs take
// times to the second); a window of two seconds or less cannot be split and
// returns ok=false.
func (w Window) Halves() (a, b Window, ok bool) {
	if w.Duration() <= 2*time.Second {
		return w, Window{}, false
	}
	mid := w.Start.Add(w.Duration() / 2).Truncate(time.Second)
	if !mid.After(w.Start) {
		mid = w.Start.Add(time.Second)
	}
	return Window{w.Start, mid}, Window{mid, w.End}, true
}

// Split cuts [since, until) into consecutive windows of at most size, the
// last one shorter. Nothing when until is not after since.
func Split(since, until time.Time, size time.Duration) []Window {
	if size <= 0 {
		size = until.Sub(since)
	}
	var out []Window
	for s := since; s.Before(until); s = s.Add(size) {
		e := s.Add(size)
		if e.After(until) {
			e = until
		}
		out = append(out, Window{s, e})
	}
	return out
}

// ParseTime reads a --since/--until value: an RFC 3339 time, or a duration
// back from now ("365d", "2w", "36h", "90m", or any Go duration).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty time: want RFC 3339 (2025-12-01T00:00:00Z) or a duration back from now (365d)")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	d, err := ParseAgo(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2025-12-01T00:00:00Z) or a duration back from now (365d, 2w, 36h)", s)
	}
	return now.UTC().Add(-d), nil
}

// ParseAgo reads a positive duration with day ("d") and week ("w") units
// besides Go's.
func ParseAgo(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("%q: not a positive whole number of %s", s, suffix)
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: not a positive duration", s)
	}
	return d, nil
}

// Progress is how far a run is: the observer's argument.
type Progress struct {
	Source       string
	WindowsDone  int
	WindowsTotal int
	// Items is how many API items (incidents, log entries, on-call
	// entries, …) have been read so far.
	Items int
	// Window is the window being imported (zero before the first).
	Window Window
}

// Observer is told of progress: after each page of items and each window.
// A terminal progress bar is one; it is called from the importing goroutine.
type Observer interface {
	Progress(p Progress)
}

// ObserverFunc makes a function an Observer.
type ObserverFunc func(Progress)

// Progress calls f.
func (f ObserverFunc) Progress(p Progress) { f(p) }

// Problem is one item that could not be imported as it is: a wrong shape,
// an unknown type. It is also stored as a dead letter with its raw bytes.
type Problem struct {
	Kind   string // "log_entry", "incident", "oncall", "page"
	ID     string // the item's id at the vendor ("" if it had none)
	Reason string // bounded class (event.Reason*)
	Error  string
}

func (p Problem) String() string {
	id := p.ID
	if id == "" {
		id = "(no id)"
	}
	return fmt.Sprintf("%s %s: %s: %s", p.Kind, id, p.Reason, p.Error)
}

// MaxProblems bounds Summary.Problems; ProblemCount counts them all.
const MaxProblems = 100

// Summary is what one run did.
type Summary struct {
	Source       string
	Since, Until time.Time
	// Windows is how many windows the run had to import; WindowsDone how
	// many were stored completely (the cursor moved over them).
	Windows, WindowsDone int
	// Items counts API items read, by kind ("incidents", "log_entries", …).
	Items map[string]int
	// Events is how many canonical events were made; Stored of them were
	// new, Duplicates were stored before (a re-import, a webhook).
	Events, Stored, Duplicates int
	// Skipped counts items with no canonical meaning (as the webhook
	// decoder skips them): notes, snoozes, ….
	Skipped int
	// DeadLettered counts dead letters written; ProblemCount the items
	// reported as problems (Problems holds the first MaxProblems).
	DeadLettered int
	ProblemCount int
	Problems     []Problem
	// Requests and Retries count HTTP requests and the retries among them
	// (429, 5xx, timeouts).
	Requests, Retries int
	// Cursor is the end of the completely imported range after the run;
	// Pending the items left to read again on the next run.
	Cursor  time.Time
	Pending int
	Elapsed time.Duration
}

// AddProblem records p.
func (s *Summary) AddProblem(p Problem) {
	s.ProblemCount++
	if len(s.Problems) < MaxProblems {
		s.Problems = append(s.Problems, p)
	}
}

// AddItems counts n items of kind.
func (s *Summary) AddItems(kind string, n int) {
	if s.Items == nil {
		s.Items = map[string]int{}
	}
	s.Items[kind] += n
}

// TotalItems is the sum of Items.
func (s *Summary) TotalItems() int {
	n := 0
	for _, v := range s.Items {
		n += v
	}
	return n
}

// String is the one-line summary printed at the end of a run.
func (s Summary) String() string {
	// PagerDuty's kinds in their order, then any other vendor's, sorted.
	known := []string{"incidents", "log_entries", "oncalls", "users"}
	kinds := slices.Clone(known)
	for _, k := range slices.Sorted(maps.Keys(s.Items)) {
		if !slices.Contains(known, k) {
			kinds = append(kinds, k)
		}
	}
	var items []string
	for _, k := range kinds {
		if n, ok := s.Items[k]; ok {
			items = append(items, fmt.Sprintf("%d %s", n, strings.ReplaceAll(k, "_", " ")))
		}
	}
	line := fmt.Sprintf("%s import %s..%s: %d/%d windows, %s; %d events: %d new, %d already stored, %d skipped; %d problems (%d dead letters); %d requests, %d retries; cursor %s",
		s.Source, s.Since.UTC().Format(time.RFC3339), s.Until.UTC().Format(time.RFC3339),
		s.WindowsDone, s.Windows, strings.Join(items, ", "), s.Events, s.Stored, s.Duplicates, s.Skipped,
		s.ProblemCount, s.DeadLettered, s.Requests, s.Retries, s.Cursor.UTC().Format(time.RFC3339))
	if s.Pending > 0 {
		line += fmt.Sprintf(", %d open incidents to read again", s.Pending)
	}
	return line + fmt.Sprintf(" (%s)", s.Elapsed.Round(time.Millisecond))
}

// ReadToken reads an API token file: its content without surrounding
// space, one line. Errors name the file and the source, never the content.
func ReadToken(source, path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s: no token file given (--token-file)", source)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: token file: %w", source, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("%s: token file %s is empty", source, path)
	}
	if strings.ContainsAny(tok, "\r\n") {
		return "", fmt.Errorf("%s: token file %s holds more than one line", source, path)
	}
	return tok, nil
}

// Range resolves a run's [since, until) as every importer reads it: in UTC
// whole seconds (the vendors' APIs and the id rules count in seconds),
// until at most now (and now when unset); since must come before until.
// clock is the run's clock (nil: time.Now); now is returned in the same
// form, for the run's own use.
func Range(source string, since, until time.Time, clock func() time.Time) (from, to, now time.Time, err error) {
	if clock == nil {
		clock = time.Now
	}
	now = clock().UTC().Truncate(time.Second)
	if until.IsZero() || until.After(now) {
		until = now
	}
	from, to = since.UTC().Truncate(time.Second), until.UTC().Truncate(time.Second)
	if from.IsZero() || !from.Before(to) {
		return from, to, now, fmt.Errorf("%s: since %s is not before until %s", source, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, now, nil
}
