package bench

import (
	"math"
	"testing"
	"time"
)

// TestSoakLevels checks the figures the soak rows are judged by, on RSS
// series whose growth and slope are known.
func TestSoakLevels(t *testing.T) {
	series := func(n int, f func(min float64) float64) soakRun {
		var s soakRun
		for i := 0; i < n; i++ {
			at := time.Duration(i) * time.Second
			s.samples = append(s.samples, rssSample{at: at, rss: int64(f(at.Minutes()) * (1 << 20))})
		}
		s.took = time.Duration(n) * time.Second
		return s
	}
	for _, tc := range []struct {
		name        string
		run         soakRun
		peakMiB     float64
		growthMiB   float64 // mean of the last tenth of the 2nd half minus that of its first tenth
		slopePerMin float64
	}{
		// 600 samples, flat at 100 MiB after a warm-up.
		{"levels off", series(600, func(m float64) float64 { return math.Min(100, 50+50*m) }), 100, 0, 0},
		// 2.7 MiB/s = 162 MiB/min from 68 MiB over 10 min: the 2nd half
		// runs 5:00-9:59; its tenths are 5:00-5:29 and 9:30-9:59, means
		// 5:14.5 and 9:44.5 apart by 4.5 min: 729 MiB.
		{"leak", series(600, func(m float64) float64 { return 68 + 162*m }), 68 + 162*599.0/60, 729, 162},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peak, growth, slope := tc.run.levels()
			mib := func(b int64) float64 { return float64(b) / (1 << 20) }
			if math.Abs(mib(peak)-tc.peakMiB) > 0.5 || math.Abs(mib(growth)-tc.growthMiB) > 0.5 || math.Abs(slope-tc.slopePerMin) > 0.5 {
				t.Fatalf("levels() = peak %.1f MiB, growth %.1f MiB, slope %.2f MiB/min; want %.1f, %.1f, %.2f",
					mib(peak), mib(growth), slope, tc.peakMiB, tc.growthMiB, tc.slopePerMin)
			}
		})
	}
}
