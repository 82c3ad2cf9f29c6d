package main

import (
	"os"
	"strings"
	"testing"
)

// README.md's command table has a row for every command `pagerlens --help`
// lists, so that a new command is not left for readers to stumble on.
func TestReadmeListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "| `pagerlens "); ok {
			name, _, _ := strings.Cut(rest, " ")
			rows[strings.TrimSuffix(name, "`")] = true
		}
	}
	var n int
	for _, c := range newRootCmd().Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		n++
		if !rows[c.Name()] {
			t.Errorf("README.md's command table has no row for `pagerlens %s` (%s)", c.Name(), c.Short)
		}
	}
	if n < 10 {
		t.Fatalf("only %d commands: is the root command built?", n)
	}
}
