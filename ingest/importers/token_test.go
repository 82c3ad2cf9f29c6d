package importers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want, err string
	}{
		{name: "surrounding space dropped", path: file("ok", "  s3cret-ok\n"), want: "s3cret-ok"},
		{name: "no file given", path: "", err: "pagerduty: no token file given (--token-file)"},
		{name: "missing", path: filepath.Join(dir, "nope"), err: "pagerduty: token file: open "},
		{name: "empty", path: file("empty", " \n"), err: "is empty"},
		{name: "two lines", path: file("two", "s3cret-a\ns3cret-b\n"), err: "holds more than one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadToken("pagerduty", tt.path)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ReadToken = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err %v; want one containing %q", err, tt.err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}
