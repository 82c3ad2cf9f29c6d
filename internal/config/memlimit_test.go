package config

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"512MiB": 512 << 20, "1GiB": 1 << 30, "1GB": 1e9, "64KB": 64e3, "1048576": 1 << 20,
		"1.5GiB": 3 << 29, "off": 0, "": 0, "0": 0, " 256 MiB ": 256 << 20,
	} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "-1GiB", "12XB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): no error", in)
		}
	}
}

// TestApplyGoMemoryLimit: the configured limit is applied unless GOMEMLIMIT
// is set, which the runtime applied at start and which must win.
func TestApplyGoMemoryLimit(t *testing.T) {
	const before = 777 << 20 // a limit in place before the call
	for _, tc := range []struct {
		name, gomemlimit, limit string
		want                    int64
		wantErr                 bool
	}{
		{name: "default", limit: DefaultGoMemoryLimit, want: 512 << 20},
		{name: "bytes", limit: "1GiB", want: 1 << 30},
		{name: "off", limit: "off", want: math.MaxInt64},
		{name: "GOMEMLIMIT wins", gomemlimit: "1GiB", limit: "256MiB", want: before},
		{name: "GOMEMLIMIT wins over a bad size", gomemlimit: "1GiB", limit: "lots", want: before},
		{name: "bad size", limit: "lots", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			prev := debug.SetMemoryLimit(before)
			t.Cleanup(func() { debug.SetMemoryLimit(prev) })
			got, err := ApplyGoMemoryLimit(tc.limit)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ApplyGoMemoryLimit(%q): no error", tc.limit)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inEffect := debug.SetMemoryLimit(-1); got != tc.want || inEffect != tc.want {
				t.Errorf("ApplyGoMemoryLimit(%q) = %d, in effect %d; want %d", tc.limit, got, inEffect, tc.want)
			}
		})
	}
}
