package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/store"
)

// DirectConfig configures a Direct writer.
type DirectConfig struct {
	// Topics map each message's Topic (e.g. "webhook/pagerduty") to its
	// decode format; a topic not listed is decoded as canonical.
	Topics []Topic
	// BatchWait is how long the first of a group of concurrent submissions
	// waits for others to join its transaction (default 2 ms). One DuckDB
	// commit costs far more than that, so under load grouping raises
	// throughput; alone, a request pays only the wait.
	BatchWait time.Duration
	// BatchSize caps the messages of one transaction (default 1000).
	BatchSize int
	// WriteTimeout bounds the retries of a failing store write (default
	// 30 s); the submitters then get an error instead of waiting forever.
	WriteTimeout time.Duration
	Decode       decode.Options
	Observer     Observer
	Logger       *slog.Logger
}

// Direct writes messages that did not come through Kafka (webhook requests)
// to the store through the same decode, dead-letter and write path as a
// Kafka batch: one transaction, events already stored skipped, undecodable
// messages dead-lettered. Submit returns only after the DuckDB commit.
//
// Concurrent submissions are grouped into one transaction (group commit).
type Direct struct {
	cfg DirectConfig
	w   writer
	// decs decode for the store write and report warnings; check decodes
	// the same messages again, silently, to tell each submitter which of
	// its messages were dead-lettered and why.
	decs, check decoders

	mu   sync.Mutex
	open *directGroup // the group new submissions join, nil if none
	sem  chan struct{}
}

// directGroup is the messages of one future transaction.
type directGroup struct {
	raws  []raw
	full  chan struct{} // closed when the group reached BatchSize
	done  chan struct{} // closed after the write, with stats and err set
	stats BatchStats
	err   error
	dead  map[deadKey]bool // the dead letters in raws
}

type deadKey struct {
	topic  string
	offset int64
}

// DirectResult is what became of one submission.
type DirectResult struct {
	// Events is the number of events the submission decoded to; each is
	// now stored, either by this submission or before it (a redelivery).
	Events int
	// DeadLetters lists, per message that did not decode, why; those
	// messages are in the dead_letters table.
	DeadLetters []DeadLetterInfo
	// Batch is the whole transaction the submission was committed in,
	// shared with the submissions grouped with it.
	Batch BatchStats
}

// DeadLetterInfo is why one message was dead-lettered.
type DeadLetterInfo struct {
	Reason string // bounded class, e.g. invalid_json
	Error  string // the decoder's message
}

// NewDirect builds the decoders of cfg.Topics.
func NewDirect(cfg DirectConfig, s *store.Store) (*Direct, error) {
	if s == nil {
		return nil, errors.New("direct ingest: no store")
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = 2 * time.Millisecond
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	cfg.Observer, cfg.Logger, cfg.Decode = pipelineDefaults(cfg.Observer, cfg.Logger, cfg.Decode)
	obs := cfg.Observer
	opts := observedWarnings(obs, cfg.Decode)
	silent := cfg.Decode
	silent.Warn = nil
	decs, err := buildDecoders(cfg.Topics, opts)
	if err != nil {
		return nil, fmt.Errorf("direct ingest: %w", err)
	}
	check, err := buildDecoders(cfg.Topics, silent)
	if err != nil {
		return nil, fmt.Errorf("direct ingest: %w", err)
	}
	return &Direct{
		cfg:   cfg,
		w:     writer{store: s, obs: obs, log: cfg.Logger},
		decs:  decs,
		check: check,
		sem:   make(chan struct{}, 1),
	}, nil
}

// Submit decodes msgs, writes their events and dead letters to the store and
// returns after the commit. If ctx ends first it returns ctx's error: the
// write may still complete, and a retry of the same messages then stores
// nothing twice.
//
// A message has no Kafka offset, so its offset is derived from its topic and
// value (a hash): a redelivered undecodable message is dead-lettered once,
// like a replayed Kafka offset. Headers and key are left out because a
// sender's retry carries a new signature and timestamp.
func (d *Direct) Submit(ctx context.Context, msgs []decode.Message) (DirectResult, error) {
	if len(msgs) == 0 {
		return DirectResult{}, nil
	}
	raws := make([]raw, len(msgs))
	for i, m := range msgs {
		raws[i] = raw{Message: m, offset: contentOffset(m)}
	}
	var res DirectResult
	b := buildBatch(raws, d.check)
	res.Events = len(b.Rows)
	dead := make(map[deadKey]bool, len(b.DeadLetters))
	for _, dl := range b.DeadLetters {
		res.DeadLetters = append(res.DeadLetters, DeadLetterInfo{Reason: dl.Reason, Error: dl.Error})
		dead[deadKey{dl.Topic, dl.Offset}] = true
	}

	g, leader := d.join(raws, dead)
	if leader {
		// In its own goroutine so that the leader, too, stops waiting
		// when its ctx ends; the others' write goes on.
		go d.lead(ctx, g)
	}
	select {
	case <-g.done:
	case <-ctx.Done():
		return res, fmt.Errorf("direct ingest: not confirmed stored: %w", ctx.Err())
	}
	if g.err != nil {
		return res, g.err
	}
	res.Batch = g.stats
	return res, nil
}

// join adds raws to the open group, or opens a new one (and then leads it)
// when there is none or the open one has no room left. A message that will
// be dead-lettered is left out if the group already holds the same one: the
// store ignores a replayed dead letter only across transactions.
func (d *Direct) join(raws []raw, dead map[deadKey]bool) (g *directGroup, leader bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g = d.open
	if g == nil || len(g.raws)+len(raws) > d.cfg.BatchSize {
		g = &directGroup{full: make(chan struct{}), done: make(chan struct{}), dead: map[deadKey]bool{}}
		d.open = g
		leader = true
	}
	for _, r := range raws {
		k := deadKey{r.Topic, r.offset}
		if dead[k] {
			if g.dead[k] {
				continue
			}
			g.dead[k] = true
		}
		g.raws = append(g.raws, r)
	}
	if len(g.raws) >= d.cfg.BatchSize && !leader {
		close(g.full)
	}
	return g, leader
}

// lead waits briefly for more submissions, then for the previous write to
// finish (submissions keep joining meanwhile), closes the group and writes
// it. Its own ctx does not cut the write short: other submitters depend on it.
func (d *Direct) lead(ctx context.Context, g *directGroup) {
	t := time.NewTimer(d.cfg.BatchWait)
	select {
	case <-t.C:
	case <-g.full:
		t.Stop()
	}
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	d.mu.Lock()
	if d.open == g {
		d.open = nil
	}
	raws := g.raws
	d.mu.Unlock()

	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.WriteTimeout)
	defer cancel()
	g.stats, g.err = d.w.write(wctx, raws, d.decs)
	if g.err != nil {
		g.err = fmt.Errorf("direct ingest: %w", g.err)
	}
	close(g.done)
}

// contentOffset is a stable, non-negative stand-in for a Kafka offset.
func contentOffset(m decode.Message) int64 {
	h := sha256.New()
	writeField := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	writeField([]byte(m.Topic))
	writeField(m.Value)
	sum := h.Sum(nil)
	return int64(binary.BigEndian.Uint64(sum[:8]) &^ (1 << 63))
}
