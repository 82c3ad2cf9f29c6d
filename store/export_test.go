package store

// FillEventRowForBench exposes the row layout to the bare-Appender benchmark,
// so that the limit it measures writes exactly what WriteBatch writes.
var FillEventRowForBench = fillEventRow
