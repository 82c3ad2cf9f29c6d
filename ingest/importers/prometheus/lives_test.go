package prometheus

import (
	"reflect"
	"testing"
)

// history is one ALERTS firing series as the TSDB holds it: firing samples
// and staleness markers, in Unix ms.
type history struct {
	samples, stale []int64
}

// evals returns the evaluation times from + k·every for k in [a, b].
func evals(from, every int64, a, b int) []int64 {
	var out []int64
	for k := a; k <= b; k++ {
		out = append(out, from+int64(k)*every)
	}
	return out
}

// points evaluates timestamp(series) at step points from..to as PromQL does
// for an instant vector selector: the newest sample or marker in (t -
// lookback, t]; a marker, or nothing, means absent.
func (h history) points(from, to, step, lookback int64) []point {
	var out []point
	for t := from; t <= to; t += step {
		best, stale := int64(-1<<62), false
		for _, s := range h.samples {
			if s <= t && s > t-lookback && s > best {
				best, stale = s, false
			}
		}
		for _, s := range h.stale {
			if s <= t && s > t-lookback && s >= best {
				best, stale = s, true
			}
		}
		if best > -1<<62 && !stale {
			out = append(out, point{t: t, v: best})
		}
	}
	return out
}

const (
	sec      = int64(1000)
	lookback = 5 * 60 * sec // Prometheus's default lookback delta
)

// TestCutter: the lives cut from one series, worked out by hand. The rule
// group evaluates every 15 s at 7.25 s past the step grid, so sample k is
// at 907.25 s + 15 s·k; the grid is every step from 900 s (gridStart) to
// 1,500 s.
func TestCutter(t *testing.T) {
	const (
		base  = 900 * sec
		iv    = 15 * sec
		first = base + 7250
		end   = 1_500 * sec
	)
	tests := []struct {
		name     string
		h        history
		step     int64
		chunkPts int // points per chunk fed to the cutter; 0 = all at once
		want     []run
	}{
		{
			// Samples 0..9 then a staleness marker at the 10th evaluation
			// (the resolve): one life from sample 0 to sample 9, so it ends
			// at 907.25 + 150 = 1,057.25 s.
			name: "resolved with a staleness marker",
			h:    history{samples: evals(first, iv, 0, 9), stale: []int64{first + 10*iv}},
			step: iv,
			want: []run{{first: first, last: first + 9*iv}},
		},
		{
			// for: 0 alert resolving at evaluation 5 and firing again at 6:
			// the marker at 5 is seen by the step point in [5, 6): two lives.
			name: "resolve and refire one evaluation later, with a marker",
			h:    history{samples: append(evals(first, iv, 0, 4), evals(first, iv, 6, 9)...), stale: []int64{first + 5*iv, first + 10*iv}},
			step: iv,
			want: []run{{first: first, last: first + 4*iv}, {first: first + 6*iv, last: first + 9*iv}},
		},
		{
			// The same without markers (backfilled blocks): samples 4 and 6
			// are 30 s apart = max(step, interval) + interval, which is also
			// one missed evaluation: one life. The documented blind spot.
			name: "one missing evaluation without a marker is not a resolve",
			h:    history{samples: append(evals(first, iv, 0, 4), evals(first, iv, 6, 9)...)},
			step: iv,
			want: []run{{first: first, last: first + 9*iv}},
		},
		{
			// Two evaluations missing (samples 4 and 7, 45 s apart > 30 s):
			// two lives, although the series never vanishes from the
			// range query (the 5-minute lookback bridges the gap).
			name: "two missing evaluations without a marker end a life",
			h:    history{samples: append(evals(first, iv, 0, 4), evals(first, iv, 7, 9)...)},
			step: iv,
			want: []run{{first: first, last: first + 4*iv}, {first: first + 7*iv, last: first + 9*iv}},
		},
		{
			// Samples 0..9 with no marker and nothing after: the series is
			// still visible for 5 minutes, then absent; the life ends one
			// interval after sample 9 all the same.
			name: "end without a marker",
			h:    history{samples: evals(first, iv, 0, 9)},
			step: iv,
			want: []run{{first: first, last: first + 9*iv}},
		},
		{
			// Firing through the end of the range: still open.
			name: "still firing at the end",
			h:    history{samples: evals(first, iv, 0, 40)},
			step: iv,
			want: []run{{first: first, last: first + 39*iv, open: true}},
		},
		{
			// Last sample 1,417.25 s (k = 34), range end 1,500 s: 82.75 s
			// without the sample that was due every 15 s: ended, although
			// the series is still visible by lookback.
			name: "stopped shortly before the end, no marker",
			h:    history{samples: evals(first, iv, 0, 34)},
			step: iv,
			want: []run{{first: first, last: first + 34*iv}},
		},
		{
			// Firing since 802.25 s, before the range: the run touches the
			// first step point, which sees the sample at 892.25 s.
			name: "firing at the start of the range",
			h:    history{samples: evals(first, iv, -7, 3), stale: []int64{first + 4*iv}},
			step: iv,
			want: []run{{first: first - iv, last: first + 3*iv, fromEdge: true}},
		},
		{
			// Fed in chunks of 7 points: lives cross chunk boundaries
			// unharmed.
			name: "chunked",
			h:    history{samples: append(evals(first, iv, 0, 12), evals(first, iv, 20, 30)...), stale: []int64{first + 13*iv, first + 31*iv}},
			step: iv, chunkPts: 7,
			want: []run{{first: first, last: first + 12*iv}, {first: first + 20*iv, last: first + 30*iv}},
		},
		{
			// A coarser step (60 s) than the interval sees every 4th sample;
			// gap = 60 + 15 = 75 s holds the life together. Samples 4..35
			// (967.25 .. 1,432.25 s), marker at 36 (1,447.25 s). The point at
			// 960 s sees nothing; 1,020 s sees sample 7 (1,012.25 s): the
			// start is 45 s late (< a step). 1,440 s sees sample 35, 1,500 s
			// the marker: the end, 1,432.25 + 15, is the true one.
			name: "step coarser than the interval",
			h:    history{samples: evals(first, iv, 4, 35), stale: []int64{first + 36*iv}},
			step: 60 * sec,
			want: []run{{first: first + 7*iv, last: first + 35*iv}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := ceilTo(base, tt.step)
			ge := end / tt.step * tt.step
			pts := tt.h.points(gs, ge, tt.step, lookback)
			c := newCutter(tt.step, iv, gs)
			var got []run
			n := len(pts)
			if tt.chunkPts > 0 {
				n = tt.chunkPts
			}
			for i := 0; i < len(pts); i += n {
				for _, p := range pts[i:min(i+n, len(pts))] {
					if !c.add(p) {
						t.Errorf("point %+v refused", p)
					}
				}
				got = append(got, c.take()...)
			}
			got = append(got, c.finish(ge)...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lives:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCutterRefusesBadPoints(t *testing.T) {
	c := newCutter(15*sec, 15*sec, 0)
	if c.add(point{t: 15 * sec, v: 16 * sec}) {
		t.Error("a sample newer than its step point was taken")
	}
	if !c.add(point{t: 30 * sec, v: 29 * sec}) {
		t.Fatal("good point refused")
	}
	// Absent at 45 s, back at 60 s with an older sample: not a new life.
	if c.add(point{t: 60 * sec, v: 28 * sec}) {
		t.Error("an old sample after an absence was taken")
	}
	if got := c.finish(60 * sec); !reflect.DeepEqual(got, []run{{first: 29 * sec, last: 29 * sec}}) {
		t.Errorf("lives %+v", got)
	}
}

// TestBackTrace: a life firing at the start of the range is followed back
// chunk by chunk (10 points each) to its first sample.
func TestBackTrace(t *testing.T) {
	const iv = 15 * sec
	tests := []struct {
		name      string
		h         history
		wantFirst int64
		wantFound bool
		chunks    int // chunks looked at
	}{
		{
			// Fired at 3,000 s - 40 evaluations (2,400 s); a marker before
			// it (an earlier life) at 2,300 s. 600 s back = 40 points = 4
			// chunks, the 5th shows the absence.
			name:      "earlier life ended with a marker",
			h:         history{samples: append([]int64{2_200 * sec}, evals(2_400*sec, iv, 0, 40)...), stale: []int64{2_300 * sec}},
			wantFirst: 2_400 * sec, wantFound: true, chunks: 5,
		},
		{
			// No marker before it but 2,200 s → 2,400 s is far more than a
			// gap: the run breaks there.
			name:      "sample jump",
			h:         history{samples: append([]int64{2_200 * sec}, evals(2_400*sec, iv, 0, 40)...)},
			wantFirst: 2_400 * sec, wantFound: true, chunks: 5,
		},
		{
			// Firing since before the lookback limit (1,500 s back from
			// 3,000 s): the start is not found; first is the oldest sample
			// seen, 1,495 s, by the point at the limit.
			name:      "beyond the lookback",
			h:         history{samples: evals(1_000*sec, iv, 0, 134)},
			wantFirst: 1_495 * sec, wantFound: false, chunks: 10,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const gridStart = 3_000 * sec
			const limit = 1_500 * sec
			const pts = 10
			start := tt.h.points(gridStart, gridStart, iv, lookback)
			if len(start) != 1 {
				t.Fatalf("not firing at the grid start: %+v", start)
			}
			b := &backTrace{step: iv, gap: 2 * iv, next: gridStart, first: start[0].v}
			chunks := 0
			for next := gridStart; !b.found; {
				to := next - iv
				if to < limit {
					break
				}
				from := max(limit, to-(pts-1)*iv)
				chunks++
				b.chunk(from, tt.h.points(from, to, iv, lookback))
				next = from
			}
			if b.first != tt.wantFirst || b.found != tt.wantFound || chunks != tt.chunks {
				t.Errorf("first %d found %v after %d chunks, want %d %v %d", b.first, b.found, chunks, tt.wantFirst, tt.wantFound, tt.chunks)
			}
		})
	}
}
