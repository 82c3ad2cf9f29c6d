package store

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
