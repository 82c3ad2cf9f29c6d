package synth

import (
	"math/rand/v2"

	"github.com/pagerlens/pagerlens/event"
)

// delivery imitates an at-least-once, not-quite-ordered transport between
// the generator and the consumer: some events twice (same id), some late.
type delivery struct {
	rng    *rand.Rand
	dup    float64
	dis    float64
	window int64
	emit   func(event.Event) error

	pos  int64     // events handed to the reorder buffer so far
	held []delayed // min-heap on (due, pos)
}

// delayed is an event held back until the stream has moved past due.
type delayed struct {
	due, pos int64
	e        event.Event
}

func (d *delivery) send(e event.Event) error {
	if err := d.one(e); err != nil {
		return err
	}
	if d.dup > 0 && d.rng.Float64() < d.dup {
		return d.one(e)
	}
	return nil
}

// one passes e on, or, with probability dis, holds it back by 1..window
// positions. Released events leave in (due, pos) order, so no event is ever
// more than window positions late and the rest keep their order.
func (d *delivery) one(e event.Event) error {
	if d.dis == 0 {
		return d.emit(e)
	}
	due := d.pos
	if d.rng.Float64() < d.dis {
		due += 1 + d.rng.Int64N(d.window)
	}
	d.push(delayed{due: due, pos: d.pos, e: e})
	d.pos++
	for len(d.held) > 0 && d.held[0].due < d.pos {
		if err := d.emit(d.pop().e); err != nil {
			return err
		}
	}
	return nil
}

// flush releases everything still held, at the end of the stream.
func (d *delivery) flush() error {
	for len(d.held) > 0 {
		if err := d.emit(d.pop().e); err != nil {
			return err
		}
	}
	return nil
}

func (a *delayed) less(b *delayed) bool { return a.due < b.due || (a.due == b.due && a.pos < b.pos) }

func (d *delivery) push(x delayed) {
	h := append(d.held, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].less(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	d.held = h
}

func (d *delivery) pop() delayed {
	h := d.held
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = delayed{}
	h = h[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].less(&h[l]) {
			m = r
		}
		if !h[m].less(&h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	d.held = h
	return top
}
