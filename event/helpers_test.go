package event_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/pagerlens/pagerlens/event"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// decodeMatchesStd fails t unless Decode gives exactly what its
// encoding/json path gives for b: the same event, or the same error. It
// returns that path's result.
func decodeMatchesStd(t *testing.T, b []byte, lim event.Limits) (event.Event, error) {
	t.Helper()
	got, gerr := event.Decode(b, lim)
	want, werr := event.DecodeStd(b, lim)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("%q:\nDecode error %v\n   std error %v", b, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nDecode %+v\n   std %+v", b, got, want)
	}
	return want, werr
}
