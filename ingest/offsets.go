package ingest

// Offsets: what a written batch commits, and the commit with its retries.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// commitOffsets returns the offsets that commit a batch: per partition, the
// last message's + 1 (Kafka's offset is the next one to read).
func commitOffsets(msgs []kafka.Message) map[string]map[int]int64 {
	offsets := map[string]map[int]int64{}
	for i := range msgs {
		m := &msgs[i]
		byPart := offsets[m.Topic]
		if byPart == nil {
			byPart = map[int]int64{}
			offsets[m.Topic] = byPart
		}
		if m.Offset+1 > byPart[m.Partition] {
			byPart[m.Partition] = m.Offset + 1
		}
	}
	return offsets
}

// commit commits the batch's offsets with gen even when ctx was cancelled
// (graceful stop), with a bounded wait so that a vanished broker cannot hang
// shutdown.
func (c *Consumer) commit(ctx context.Context, gen *kafka.Generation, offsets map[string]map[int]int64) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	bo := backoff{min: 100 * time.Millisecond, max: 2 * time.Second}
	for {
		err := gen.CommitOffsets(offsets)
		if err == nil || !retriableCommit(err) {
			if err != nil {
				return fmt.Errorf("commit offsets (generation %d): %w", gen.ID, err)
			}
			return nil
		}
		select {
		case <-cctx.Done():
			return fmt.Errorf("commit offsets (generation %d): %w", gen.ID, err)
		case <-time.After(bo.next()):
		}
	}
}

// retriableCommit tells transient commit errors from those that mean the
// generation is over (retrying those cannot succeed).
func retriableCommit(err error) bool {
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.RebalanceInProgress, kafka.FencedInstanceID:
			return false
		}
		return ke.Temporary()
	}
	return true // network errors
}
