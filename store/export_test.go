package store

import (
	"context"
	"time"
)

// FillEventRowForBench exposes the row layout to the bare-Appender benchmark,
// so that the limit it measures writes exactly what WriteBatch writes.
var FillEventRowForBench = fillEventRow

// SetCheckpointWAL sets the deriver's checkpoint threshold for a test and
// returns a function that restores it.
func SetCheckpointWAL(n int64) (restore func()) {
	old := checkpointWAL
	checkpointWAL = n
	return func() { checkpointWAL = old }
}

// SetCheckpointSteady sets the deriver's steady-stream checkpoint rule
// (WAL size and time since the last checkpoint) for a test and returns a
// function that restores it.
func SetCheckpointSteady(wal int64, every time.Duration) (restore func()) {
	oldWAL, oldEvery := checkpointSteadyWAL, checkpointSteadyEvery
	checkpointSteadyWAL, checkpointSteadyEvery = wal, every
	return func() { checkpointSteadyWAL, checkpointSteadyEvery = oldWAL, oldEvery }
}

// CheckpointDue exposes the deriver's checkpoint rule.
var CheckpointDue = checkpointDue

// CHeapInUse exposes the C heap in use to the leak test.
var CHeapInUse = cHeapInUse

// AppendPath names the append path this build uses.
const AppendPath = appendPath

// OpenAtVersion opens (creating) a store migrated only to version v, as an
// older pagerlens left it, for the migration tests. Not safe in parallel.
func OpenAtVersion(ctx context.Context, path string, v int) (*Store, error) {
	all := migrations
	migrations = migrations[:v]
	defer func() { migrations = all }()
	return Open(ctx, path, DefaultOptions())
}

// SetReleaseGrowth sets the native memory keeper's release threshold for a
// test and returns a function that restores it.
func SetReleaseGrowth(n uint64) (restore func()) {
	old := releaseGrowth
	releaseGrowth = n
	return func() { releaseGrowth = old }
}

// CheckNativeMemory runs the keeper's periodic check now.
func CheckNativeMemory(ctx context.Context, s *Store) (released bool, err error) {
	return s.keeper.check(ctx)
}
