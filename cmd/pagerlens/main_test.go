package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pagerlens/pagerlens/internal/fixtures"
)

// TestMain lets the scripts run `pagerlens` as a real process: testscript
// re-executes this test binary as the command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pagerlens": main,
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	fixturesDir := fixtures.Dir(t, "")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixturesDir)
			b, err := os.ReadFile(filepath.Join(fixturesDir, "canonical", "incident-lifecycle.jsonl"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "events.jsonl"), b, 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// sleep DURATION: give a background process time to start.
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: sleep duration")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
		},
	})
}
