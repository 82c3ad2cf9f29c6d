package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// subcommands lists every subcommand; each is built in its own file.
func subcommands() []*cobra.Command {
	return []*cobra.Command{
		newServeCmd(),
		newIngestCmd(), newImportCmd(),
		newSQLCmd(),
		newBackupCmd(),
		newMetricsCmd(),
		newReportCmd(),
		newTuneCmd(),
		newExportCmd(),
		newRebuildCmd(),
		newSynthCmd(),
		newDemoCmd(),
		withShardMode(newDashboardsCmd()), newMergeCmd(),
		newBenchCmd(),
		newHealthcheckCmd(),
		newVersionCmd(),
	}
}

func usageErrorf(format string, args ...any) error {
	return exitError{code: 2, err: fmt.Errorf(format, args...)}
}
