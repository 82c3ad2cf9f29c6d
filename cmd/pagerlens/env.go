package main

import (
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pagerlens/pagerlens/internal/config"
)

// envKey is the environment variable of a flag: PAGERLENS_ and the flag's
// name in upper case with "-" and "." as "_" (--wait-for-brokers ←
// PAGERLENS_WAIT_FOR_BROKERS, --web.config.file ← PAGERLENS_WEB_CONFIG_FILE:
// a shell cannot set a name with dots).
func envKey(flag string) string {
	return "PAGERLENS_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flag))
}

// legacyEnvKey is the name read before the dots were mapped
// (PAGERLENS_WEB.CONFIG.FILE), still accepted.
func legacyEnvKey(flag string) string {
	return "PAGERLENS_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag of cmd that was not given on the command line from
// its PAGERLENS_* environment variable. Precedence: flag > environment >
// config file > default; a value set this way counts as given.
func applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		for _, key := range []string{envKey(f.Name), legacyEnvKey(f.Name)} {
			// An empty variable sets nothing, as checkEnv reads it.
			v, ok := os.LookupEnv(key)
			if !ok || v == "" {
				continue
			}
			if serr := cmd.Flags().Set(f.Name, v); serr != nil {
				err = usageErrorf("%s=%q: %v", key, v, serr)
				return
			}
			// Configuration problems name the variable (overrides.resolve).
			err = cmd.Flags().SetAnnotation(f.Name, envAnnotation, []string{key})
			return
		}
	})
	return err
}

// envAnnotation is the flag annotation naming the variable that set it.
const envAnnotation = "pagerlens_env"

// otherEnv are PAGERLENS_* variables read other than as a flag.
var otherEnv = []string{"PAGERLENS_KAFKA_SASL_PASSWORD"}

// reservedEnvPrefixes are read by the project's tests and benchmarks, not by
// the binary; a shell that exports them must not make pagerlens refuse to run.
var reservedEnvPrefixes = []string{"PAGERLENS_TEST_", "PAGERLENS_BENCH_"}

// checkEnv refuses a PAGERLENS_* variable that no command reads: a typo in
// PAGERLENS_WEB_CONFIG_FILE must not quietly leave /metrics and the webhooks
// without TLS and auth. It names the closest known variable.
func checkEnv(root *cobra.Command, environ []string) error {
	known := map[string]bool{}
	for _, k := range otherEnv {
		known[k] = true
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			known[envKey(f.Name)] = true
			known[legacyEnvKey(f.Name)] = true
		}
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var unknown []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		// An empty variable sets nothing (an `export X=` left behind).
		if !strings.HasPrefix(k, "PAGERLENS_") || known[k] || v == "" {
			continue
		}
		reserved := false
		for _, p := range reservedEnvPrefixes {
			reserved = reserved || strings.HasPrefix(k, p)
		}
		if !reserved {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	names := make([]string, 0, len(known))
	for k := range known {
		if !strings.Contains(k, ".") { // suggest the form a shell can set
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var msgs []string
	for _, k := range unknown {
		m := "unknown environment variable " + k
		if s := closest(k, names); s != "" {
			m += " (did you mean " + s + "?)"
		}
		msgs = append(msgs, m)
	}
	return usageErrorf("%s; unset it, or see `pagerlens <command> --help`: each flag --x-y is PAGERLENS_X_Y", strings.Join(msgs, "; "))
}

// closest is the name in names nearest to s (config.Closest), compared
// without their common PAGERLENS_.
func closest(s string, names []string) string {
	const prefix = "PAGERLENS_"
	short := make([]string, len(names))
	for i, n := range names {
		short[i] = strings.TrimPrefix(n, prefix)
	}
	if c := config.Closest(strings.TrimPrefix(s, prefix), short); c != "" {
		return prefix + c
	}
	return ""
}

// dirFlag registers --dir, the directory a command writes into, and the
// deprecated --out that named it before --out meant a file everywhere
// (report, merge, bench: --out/-o FILE; export, dashboards write, backup:
// --dir DIR).
func dirFlag(f *pflag.FlagSet, p *string, def, usage string) {
	f.StringVar(p, "dir", def, usage)
	f.StringVar(p, "out", def, usage)
	_ = f.MarkDeprecated("out", "use --dir: --out names a file, --dir a directory")
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
