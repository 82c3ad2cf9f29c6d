package prometheus

import "slices"

// This file cuts one ALERTS series into alert lives. It works on plain
// numbers so that the rules can be tested point by point; the range queries
// that feed it are in query.go.
//
// The input is the range query timestamp(ALERTS{alertstate="firing"}) at a
// step no longer than the rule group's evaluation interval: at every step
// point t the series is either absent or carries v, the timestamp of the
// newest firing sample at or before t. Prometheus writes one firing sample
// per evaluation while the alert fires, at the evaluation time (which is
// also the alert's FiredAt on the first one, the startsAt Alertmanager
// gets); the evaluation that finds the alert resolved writes no firing
// sample but a staleness marker, after which the series is absent.
//
// A life is a run of firing samples. It ends where
//   - the series is absent at a step point (a staleness marker, or no sample
//     within the server's lookback delta), or
//   - two consecutive samples are further apart than gap = max(step,
//     interval) + interval: at least one evaluation wrote no firing sample
//     and the step grid did not happen to see a staleness marker (data
//     without markers: blocks backfilled with promtool, a server that was
//     killed). One missed evaluation (a gap of two intervals) does not end a
//     life when step ≤ interval, as Prometheus itself keeps the alert firing
//     through it.
//
// The life starts at its first sample and ends one interval after its last
// one: the next evaluation, which found the alert resolved (ResolvedAt, the
// endsAt Alertmanager gets).

// point is one step point of a series: the step time t and the firing
// sample's timestamp v, both in Unix milliseconds.
type point struct{ t, v int64 }

// run is one life of a series, in sample timestamps (Unix ms): first and
// last firing sample. end is last + the series's interval.
type run struct {
	first, last int64
	// open: still firing at the end of the queried range (no resolve yet).
	open bool
	// fromEdge: the run was already firing at the first step point of
	// the range, so first is only the oldest sample seen, not the start.
	fromEdge bool
}

// cutter cuts the points of one series, fed chunk by chunk in time order.
type cutter struct {
	step, interval int64 // ms
	gridStart      int64 // first step point of the whole range
	cur            *run
	lastPoint      int64 // step time where cur was last present
	done           []run
}

func newCutter(step, interval, gridStart int64) *cutter {
	return &cutter{step: step, interval: interval, gridStart: gridStart}
}

// gap is the largest distance between two samples of one life.
func (c *cutter) gap() int64 { return max(c.step, c.interval) + c.interval }

// add takes the next point of the series (t increasing). It reports false
// for a point it cannot use (a sample newer than its step point: bad
// data), which it skips.
func (c *cutter) add(p point) bool {
	if p.v > p.t {
		return false
	}
	if c.cur != nil {
		if p.t-c.lastPoint <= c.step && p.v-c.cur.last <= c.gap() {
			c.cur.last = max(c.cur.last, p.v)
			c.lastPoint = p.t
			return true
		}
		prev := c.cur.last
		c.close()
		if p.v <= prev {
			// After an absence the series can only come back with a
			// newer sample; an old one is not a new life.
			return false
		}
	}
	c.cur = &run{first: p.v, last: p.v, fromEdge: p.t == c.gridStart}
	c.lastPoint = p.t
	return true
}

func (c *cutter) close() {
	c.done = append(c.done, *c.cur)
	c.cur = nil
}

// take returns the lives finished so far and forgets them.
func (c *cutter) take() []run {
	out := c.done
	c.done = nil
	return out
}

// finish ends the range at step point gridEnd: the current life is closed
// if the series was absent there, or its newest sample is older than a gap
// (an evaluation was due and wrote nothing); otherwise it is still firing.
func (c *cutter) finish(gridEnd int64) []run {
	if c.cur != nil {
		if c.lastPoint < gridEnd || gridEnd-c.cur.last > c.gap() {
			c.close()
		} else {
			c.cur.open = true
			c.close()
		}
	}
	return c.take()
}

// backTrace follows a life that was firing at the first step point of the
// range back in time, one earlier chunk at a time (newest chunk first).
type backTrace struct {
	step, gap int64
	next      int64 // step time of the oldest point of the run seen so far
	first     int64 // oldest sample of the run seen so far
	found     bool  // the run's start is known
}

// chunk takes the points of the series in the chunk [from, to] (to = next
// - step), in time order, and reports whether the run's start is now
// known: the run is absent at a step point of the chunk, or its samples
// jump by more than a gap.
func (b *backTrace) chunk(from int64, pts []point) bool {
	if b.found {
		return true
	}
	pts = slices.DeleteFunc(slices.Clone(pts), func(p point) bool { return p.v > p.t })
	for i := len(pts) - 1; i >= 0; i-- {
		p := pts[i]
		if b.next-p.t > b.step || b.first-p.v > b.gap {
			b.found = true
			return true
		}
		b.first = min(b.first, p.v)
		b.next = p.t
	}
	// Absent at the chunk's first point: the run starts inside it.
	if b.next > from {
		b.found = true
	}
	return b.found
}
