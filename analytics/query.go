package analytics

import (
	"fmt"
	"strings"
	"time"
)

// Helpers for the SQL of the analytics sections. Values (names, time zones,
// timestamps) always travel as positional parameters, never spliced into SQL
// text; only numbers the code computed itself are formatted into it.

// queryArgs collects positional parameters.
type queryArgs struct{ vals []any }

// add appends v and returns its placeholder.
func (a *queryArgs) add(v any) string {
	a.vals = append(a.vals, v)
	return fmt.Sprintf("$%d", len(a.vals))
}

// ts appends t (UTC) and returns a TIMESTAMP-typed placeholder expression.
func (a *queryArgs) ts(t time.Time) string { return "CAST(" + a.add(t.UTC()) + " AS TIMESTAMP)" }

// str appends s and returns a VARCHAR-typed placeholder expression.
func (a *queryArgs) str(s string) string { return "CAST(" + a.add(s) + " AS VARCHAR)" }

// winValues returns the CTE win(window_idx, window_name, win_start) of
// cfg.Windows, each (Now − duration, Now], and the earliest start. A row
// belongs to a window by "time > win_start AND time <= now".
func winValues(cfg Config, a *queryArgs) (string, time.Time) {
	lo := cfg.Now.UTC()
	rows := make([]string, len(cfg.Windows))
	for i, w := range cfg.Windows {
		start := cfg.Now.UTC().Add(-w.Duration)
		if start.Before(lo) {
			lo = start
		}
		rows[i] = fmt.Sprintf("(%d, %s, %s)", i, a.str(w.Name), a.ts(start))
	}
	return "win AS (SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") v(window_idx, window_name, win_start)),\n", lo
}

// strList renders names as a parameter list for IN (…); with no names, the
// empty string literal (never equal to a stored value: the store writes
// empty strings as NULL).
func (a *queryArgs) strList(names []string) string {
	if len(names) == 0 {
		return "''"
	}
	ps := make([]string, len(names))
	for i, n := range names {
		ps[i] = a.str(n)
	}
	return strings.Join(ps, ", ")
}
