package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pagerlens/pagerlens/internal/apiclient"
	"github.com/pagerlens/pagerlens/internal/app"
	"github.com/pagerlens/pagerlens/store"
)

// urlFlags are the flags of the commands that can ask a running serve
// (sql, metrics, report fatigue, export) instead of opening --db, which
// serve holds (docs/operations.md, "HTTP API").
type urlFlags struct {
	url, user, passwordFile, caFile string
}

func (u *urlFlags) register(f *pflag.FlagSet) {
	f.StringVar(&u.url, "url", "", "ask the serve running at this URL (e.g. http://localhost:9464) instead of opening --db")
	f.StringVar(&u.user, "basic-auth-user", "", "--url: basic-auth user of serve's web config")
	f.StringVar(&u.passwordFile, "basic-auth-password-file", "", "--url: file holding that user's password")
	f.StringVar(&u.caFile, "ca-file", "", "--url: CA certificate (PEM) that signed serve's TLS certificate")
}

// client is nil without --url. --url with --db (or --merge) is a usage
// error: the command would read one and ignore the other.
func (u *urlFlags) client(cmd *cobra.Command) (*apiclient.Client, error) {
	if u.url == "" {
		for _, f := range []string{"basic-auth-user", "basic-auth-password-file", "ca-file"} {
			if changed(cmd, f) {
				return nil, usageErrorf("--%s needs --url", f)
			}
		}
		return nil, nil
	}
	for _, f := range []string{"db", "merge"} {
		// Set on the command line, not by a PAGERLENS_* variable (a
		// shell's PAGERLENS_DB does not clash with a given --url).
		if fl := cmd.Flags().Lookup(f); fl != nil && fl.Changed && fl.Annotations[envAnnotation] == nil {
			return nil, usageErrorf("--url and --%s: give one (--url asks a running serve, --%s reads files)", f, f)
		}
	}
	c, err := apiclient.New(apiclient.Options{URL: u.url, User: u.user, PasswordFile: u.passwordFile, CAFile: u.caFile})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return c, nil
}

// servedHint adds to a store-in-use error the --url of the serve that
// holds db, when it left one (app.ServeFile).
func servedHint(db string, err error) error {
	if !errors.Is(err, store.ErrInUse) {
		return err
	}
	if url, _ := app.ServedURL(db); url != "" {
		return fmt.Errorf("%w\npagerlens serve is running on %s: ask it instead with --url %s", err, db, url)
	}
	return err
}
