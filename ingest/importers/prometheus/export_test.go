package prometheus

import "time"

// SetRetryWait shortens the first wait between retries for a test and
// returns the function that restores it.
func SetRetryWait(d time.Duration) (restore func()) {
	old := retryWait
	retryWait = d
	return func() { retryWait = old }
}
