package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "pagerlens", buildVersion())
			return err
		},
	}
}

// version is set by make build (-ldflags "-X main.version=…", from git
// describe): the build's commit, and -dirty when the tree had changes.
var version string

// buildVersion is make build's version, else the module version of a `go install …@version` build;
// a build from a checkout (make build) has none, so it names the commit
// Go stamped into the binary, and whether the tree had changes, so that a
// bug report can say which build it was.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	var rev, at, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev == "" {
		return "(devel)"
	}
	return fmt.Sprintf("(devel) commit %.12s %s%s", rev, at, modified)
}
