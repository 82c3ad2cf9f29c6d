package store

import "context"

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
