package importers

import (
	"reflect"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/store"
)

// TestNewPlan: what a run reads, from the stored range [origin, cursor).
// Days of March 2026, windows of 2 days.
func TestNewPlan(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }
	w := func(a, b int) Window { return Window{Start: d(a), End: d(b)} }
	tests := []struct {
		name         string
		state        store.ImportState
		have         bool
		since, until int
		want         Plan
	}{
		{
			name:  "first run: everything forward",
			since: 1, until: 6,
			want: Plan{Since: d(1), Origin: d(1), Cursor: d(1), Fwd: []Window{w(1, 3), w(3, 5), w(5, 6)}},
		},
		{
			// Stored [3, 5): nothing older is asked for; read on from 5.
			name:  "resume from the cursor",
			state: store.ImportState{Origin: d(3), Cursor: d(5), Pending: []string{"P1"}}, have: true,
			since: 4, until: 8,
			want: Plan{Since: d(4), Origin: d(3), Cursor: d(5), Fwd: []Window{w(5, 7), w(7, 8)}, Pending: []string{"P1"}},
		},
		{
			// Stored [3, 5), asked from 1: [1, 3) back, then [5, 6) on.
			name:  "older part first",
			state: store.ImportState{Origin: d(3), Cursor: d(5)}, have: true,
			since: 1, until: 6,
			want: Plan{Since: d(1), Origin: d(3), Cursor: d(5), Back: []Window{w(1, 3)}, Fwd: []Window{w(5, 6)}},
		},
		{
			// Stored [1, 2), asked from 4: the gap [2, 4) is not asked
			// for, so the complete range starts anew at 4.
			name:  "a gap after the stored range",
			state: store.ImportState{Origin: d(1), Cursor: d(2)}, have: true,
			since: 4, until: 7,
			want: Plan{Since: d(4), Origin: d(4), Cursor: d(4), Fwd: []Window{w(4, 6), w(6, 7)}},
		},
		{
			// Stored [3, 5), asked [1, 2): only the older part, up to until.
			name:  "until before the origin",
			state: store.ImportState{Origin: d(3), Cursor: d(5)}, have: true,
			since: 1, until: 2,
			want: Plan{Since: d(1), Origin: d(3), Cursor: d(5), Back: []Window{w(1, 2)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewPlan(tt.state, tt.have, d(tt.since), d(tt.until), 48*time.Hour)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewPlan =\n%+v\nwant\n%+v", got, tt.want)
			}
			if got.Windows() != len(tt.want.Back)+len(tt.want.Fwd) {
				t.Errorf("Windows() = %d", got.Windows())
			}
		})
	}
}
