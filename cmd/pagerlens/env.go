package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// applyEnv sets every flag of cmd that was not given on the command line from
// its PAGERLENS_* environment variable (--wait-for-brokers ←
// PAGERLENS_WAIT_FOR_BROKERS). Precedence: flag > environment > config file >
// default; a value set this way counts as given.
func applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		key := "PAGERLENS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(key)
		if !ok {
			return
		}
		if serr := cmd.Flags().Set(f.Name, v); serr != nil {
			err = usageErrorf("%s=%q: %v", key, v, serr)
		}
	})
	return err
}

// changed reports whether flag name was given (on the command line or by env).
func changed(cmd *cobra.Command, name string) bool { return cmd.Flags().Changed(name) }

func splitList(s []string) []string {
	var out []string
	for _, v := range s {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
