package synth

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/pagerlens/pagerlens/event"
)

// How it works: a discrete-event simulation over one priority queue ordered
// by (time, push order). The queue holds two kinds of entries: pending events
// and process ticks (a team's weekly handoff, a service's next incident, a
// rule's next firing). When a tick leaves the queue, its process draws the
// whole life of what happens then (an incident's trigger, pages, ack,
// escalation, resolve, status updates, retrospective…) and pushes those
// events, all at or after the tick's time, then schedules its next tick. So
// events leave the queue in time order, and the queue holds only what is in
// flight, never the whole stream. Queue entries are small (24 bytes); the
// events themselves sit in a slab with a free list so nothing moves them.
//
// Determinism: one PCG source drives the world in queue order, which is
// fully determined by the seed; delivery effects (duplicates, disorder) draw
// from a second source, so turning them on does not change the events.

// Generate produces the stream described by cfg (after WithDefaults) in time
// order (unless cfg.Disorder is set) and calls emit for every event. It stops
// at the first error emit returns and returns it.
//
// Emitted events share their Labels maps: treat them as read-only.
func Generate(cfg Config, emit func(event.Event) error) error {
	g, err := newGen(cfg, emit)
	if err != nil {
		return err
	}
	return g.run()
}

var errStop = errors.New("synth: stop")

// Events returns the stream of cfg as an iterator; breaking out of the loop
// stops the generator. The error reports an invalid Config.
func Events(cfg Config) (iter.Seq[event.Event], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	return func(yield func(event.Event) bool) {
		_ = Generate(cfg, func(e event.Event) error {
			if !yield(e) {
				return errStop
			}
			return nil
		})
	}, nil
}

type item struct {
	at  int64  // unix seconds
	seq uint64 // push order: ties in time keep causal order
	ref int32  // ≥ 0: event slot; < 0: ^proc index
}

type gen struct {
	cfg        Config
	rng        *rand.Rand
	start, end int64

	teams      []team
	services   []service
	rules      []rule
	responders []responder
	procs      []proc
	sevCum     []float64 // cumulative severity weights

	queue   []item
	seq     uint64
	slab    []event.Event
	free    []int32
	dropped event.Event // where events past End are written and forgotten

	n        uint64 // events emitted so far
	idBuf    []byte // "syn-<seed>-" followed by room for the number
	idPrefix int
	incN     uint64
	incBase  string // "inc-<seed>-"

	out delivery
}

func newGen(cfg Config, emit func(event.Event) error) (*gen, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	seed := uint64(cfg.Seed)
	g := &gen{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(seed, 0x5eed_0f_5a9e71e5)),
		start:   cfg.Start.Unix(),
		end:     cfg.End.Unix(),
		incBase: "inc-" + strconv.FormatInt(cfg.Seed, 10) + "-",
		out: delivery{
			rng:    rand.New(rand.NewPCG(seed, 0xde11_7e55)),
			dup:    cfg.Duplicates,
			dis:    cfg.Disorder,
			window: int64(cfg.DisorderWindow),
			emit:   emit,
		},
	}
	g.idBuf = append(g.idBuf, "syn-"...)
	g.idBuf = strconv.AppendInt(g.idBuf, cfg.Seed, 10)
	g.idBuf = append(g.idBuf, '-')
	g.idPrefix = len(g.idBuf)
	sum := 0.0
	for _, s := range cfg.Severities {
		sum += s.Weight
		g.sevCum = append(g.sevCum, sum)
	}
	if err := g.buildWorld(g.rng); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	g.schedulePrime()
	return g, nil
}

// schedulePrime starts every process: the rotations as of Start, and each
// service's and rule's first arrival.
func (g *gen) schedulePrime() {
	for ti := range g.teams {
		t := &g.teams[ti]
		// The last Monday 09:00 (home time) at or before Start; the rotation
		// position counts weeks from the epoch, so it does not depend on Start.
		base := int64(firstMonday+handoffOffset) - t.offset
		k := floorDiv(g.start-base, week)
		h0 := base + k*week
		n := int64(len(t.responders))
		t.rot = int(((k % n) + n) % n)
		t.onCall = t.responders[t.rot]
		g.shift(g.start, event.ShiftStarted, t, t.onCall)
		g.schedule(h0+week, t.handoff)
	}
	for pi, p := range g.procs {
		switch p.kind {
		case procIncidents:
			s := &g.services[p.idx]
			g.schedule(g.nextArrival(g.start, g.cfg.IncidentsPerServiceDay, g.teams[s.team].offset), pi)
		case procRule:
			g.schedule(g.nextRuleArrival(&g.rules[p.idx], g.start), pi)
		}
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (g *gen) run() error {
	for len(g.queue) > 0 {
		it := g.pop()
		if it.ref < 0 {
			g.runProc(int(^it.ref), it.at)
			continue
		}
		e := g.slab[it.ref]
		g.free = append(g.free, it.ref)
		g.n++
		g.idBuf = strconv.AppendUint(g.idBuf[:g.idPrefix], g.n, 10)
		e.ID = string(g.idBuf)
		e.Source = g.cfg.Source
		if err := g.out.send(e); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	err := g.out.flush()
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func (g *gen) runProc(pi int, at int64) {
	p := g.procs[pi]
	switch p.kind {
	case procHandoff:
		g.handoff(&g.teams[p.idx], at)
	case procShiftStart:
		t := &g.teams[p.idx]
		t.onCall = t.responders[t.rot]
		g.shift(at, event.ShiftStarted, t, t.onCall)
	case procIncidents:
		g.incident(p.idx, at)
		s := &g.services[p.idx]
		g.schedule(g.nextArrival(at, g.cfg.IncidentsPerServiceDay, g.teams[s.team].offset), pi)
	case procRule:
		r := &g.rules[p.idx]
		busy := g.fire(r, at)
		g.schedule(g.nextRuleArrival(r, busy), pi)
	}
}

// newEvent allocates an event at unix second at, queues it and returns it
// for the caller to fill in before the next newEvent (the slab may move).
// Events at or after End are not queued: the stream ends there, like a
// backfill taken "now".
func (g *gen) newEvent(at int64, typ event.Type) *event.Event {
	if at >= g.end {
		g.dropped = event.Event{}
		return &g.dropped
	}
	var slot int32
	if n := len(g.free); n > 0 {
		slot = g.free[n-1]
		g.free = g.free[:n-1]
	} else {
		slot = int32(len(g.slab))
		g.slab = append(g.slab, event.Event{})
	}
	e := &g.slab[slot]
	*e = event.Event{Type: typ, Time: time.Unix(at, 0).UTC()}
	g.push(item{at: at, seq: g.seq, ref: slot})
	g.seq++
	return e
}

func (g *gen) schedule(at int64, pi int) {
	if at >= g.end {
		return
	}
	g.push(item{at: at, seq: g.seq, ref: ^int32(pi)})
	g.seq++
}

// The queue: a binary min-heap on (at, seq), hand-written to keep
// container/heap's interface calls off the per-event path.

func (a item) less(b item) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) }

func (g *gen) push(it item) {
	q := append(g.queue, it)
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
	g.queue = q
}

func (g *gen) pop() item {
	q := g.queue
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(q[l]) {
			m = r
		}
		if !q[m].less(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	g.queue = q
	return top
}

// Random draws. Every draw comes from g.rng in queue order.

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// between returns a uniform integer in [lo, hi].
func (g *gen) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.Int64N(hi-lo+1)
}

// lognormal returns median·e^(σ·N(0,1)) in whole seconds, at least 1.
func (g *gen) lognormal(median time.Duration, sigma float64) int64 {
	s := math.Round(median.Seconds() * math.Exp(sigma*g.rng.NormFloat64()))
	// Cap the tail at a year so that no time leaves the valid range.
	return int64(min(max(s, 1), 365*24*3600))
}

// nextArrival draws the next arrival after from of a Poisson process with
// mean rate perDay modulated by the diurnal pattern in a zone offset by off
// (thinning: candidates at the peak rate, kept in proportion to the local
// rate). It returns a time ≥ End when there is none before End.
func (g *gen) nextArrival(from int64, perDay float64, off int64) int64 {
	if perDay <= 0 {
		return math.MaxInt64
	}
	peak := perDay / 86400 * diurnalMax
	t := float64(from)
	for {
		t += g.rng.ExpFloat64() / peak
		if t >= float64(g.end) {
			return g.end
		}
		if g.rng.Float64()*diurnalMax < diurnal[hourOfWeek(int64(t)+off)] {
			return int64(t)
		}
	}
}

func (g *gen) nextRuleArrival(r *rule, from int64) int64 {
	perDay := g.cfg.Rates.QuietPerDay
	switch r.class {
	case ruleTransient:
		perDay = g.cfg.Rates.TransientPerDay
	case ruleNoisy:
		perDay = g.cfg.Rates.NoisyPerDay
	case ruleFlapping:
		perDay = g.cfg.Rates.FlapEpisodesPerDay
	}
	return g.nextArrival(from, perDay, g.teams[g.services[r.svc].team].offset)
}
