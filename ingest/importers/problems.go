package importers

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// Problems records the items of a run that cannot be imported as they are
// (a wrong shape, an unknown type): in the run's summary by id and, given a
// batch, as a dead letter with the raw bytes under Topic and Format.
type Problems struct {
	Source string // named in each dead letter's error
	Topic  string // the dead letters' topic, e.g. import/pagerduty
	Format string // the dead letters' format, e.g. pagerduty-api
	seen   map[int64]bool
}

// Add records one problem in sum and, when b is not nil, dead-letters raw
// in b. The same item met again (listed by two windows, read again as
// pending, or by two halves of a split listing) is one problem and one dead
// letter: its offset is a hash of the item (kind, id, message, and the raw
// bytes when there is no id), so a later run does not dead-letter it twice
// either.
func (p *Problems) Add(sum *Summary, b *Batch, kind, id string, reason event.Reason, msg string, raw []byte) {
	h := fnv.New64a()
	h.Write([]byte(kind + "\x00" + id + "\x00" + msg))
	if id == "" {
		h.Write(raw)
	}
	off := int64(h.Sum64() & math.MaxInt64)
	if p.seen == nil {
		p.seen = map[int64]bool{}
	}
	if p.seen[off] {
		return
	}
	p.seen[off] = true
	sum.AddProblem(Problem{Kind: kind, ID: id, Reason: string(reason), Error: msg})
	if b == nil {
		return
	}
	b.DeadLetters = append(b.DeadLetters, store.DeadLetter{
		Raw: raw, Topic: p.Topic, Offset: off, Format: p.Format,
		Reason: string(reason), Error: fmt.Sprintf("%s %s %s: %s", p.Source, kind, id, msg),
	})
}
