package store

import (
	"context"
	"fmt"
)

// Counts are the sizes of the store's tables.
type Counts struct {
	Events      int64
	DeadLetters int64
}

// Count returns the number of stored events and dead letters.
func (s *Store) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM dead_letters)`).Scan(&c.Events, &c.DeadLetters)
	if err != nil {
		return Counts{}, fmt.Errorf("count %s: %w", s.path, err)
	}
	return c, nil
}
