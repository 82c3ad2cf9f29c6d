package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/internal/server"
)

// defaultHealthURL is serve's /healthz on its default listen address, as
// seen from inside the same container or host.
var defaultHealthURL = "http://127.0.0.1" + server.DefaultListen + "/healthz"

// newHealthcheckCmd is the probe a container's HEALTHCHECK runs: a minimal
// image has no curl or wget, and the probe must speak the TLS and basic
// auth that a web config puts on every path, /healthz included.
func newHealthcheckCmd() *cobra.Command {
	var (
		url, caFile, certFile, keyFile, serverName, user, passFile string
		insecure                                                   bool
		timeout                                                    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Probe a running serve's /healthz (or any URL): exit 0 on 200, 1 otherwise with the reason",
		Long: `healthcheck GETs --url and exits 0 when it answers 200, else 1 with the status
and the first line of the body, or the connection error. It is the HEALTHCHECK of
the container image, which has no curl or wget.

When serve has a web config (--web.config.file), give the probe what it needs:
--ca-file for the server's certificate (or --insecure-skip-verify),
--cert-file/--key-file when client certificates are required, and
--username/--password-file for basic auth.`,
		Example: "  pagerlens healthcheck\n  pagerlens healthcheck --url https://127.0.0.1:9464/readyz --ca-file ca.pem --username probe --password-file probe.pass",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
				return usageErrorf("--url %q: want an http:// or https:// URL", url)
			}
			if (certFile == "") != (keyFile == "") {
				return usageErrorf("--cert-file and --key-file go together")
			}
			tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName, InsecureSkipVerify: insecure}
			if caFile != "" {
				pem, err := os.ReadFile(caFile)
				if err != nil {
					return usageErrorf("--ca-file: %v", err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return usageErrorf("--ca-file %s: no PEM certificate in it", caFile)
				}
				tlsCfg.RootCAs = pool
			}
			if certFile != "" {
				c, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return usageErrorf("--cert-file/--key-file: %v", err)
				}
				tlsCfg.Certificates = []tls.Certificate{c}
			}
			var pass string
			if passFile != "" {
				b, err := os.ReadFile(passFile)
				if err != nil {
					return usageErrorf("--password-file: %v", err)
				}
				pass = strings.TrimRight(string(b), "\r\n")
			}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, url, nil)
			if err != nil {
				return usageErrorf("--url %q: %v", url, err)
			}
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
			client := &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: tlsCfg}} // no proxy: the target is local
			resp, err := client.Do(req)
			if err != nil {
				// The error names the URL but never the password (it is
				// not part of the URL).
				return fmt.Errorf("healthcheck: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s answered %s: %s", url, resp.Status, first)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s\n", url, resp.Status, first)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", defaultHealthURL, "URL to GET (e.g. /readyz for readiness)")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	f.StringVar(&caFile, "ca-file", "", "PEM CA bundle that signed serve's TLS certificate")
	f.StringVar(&certFile, "cert-file", "", "client certificate, when the web config requires one")
	f.StringVar(&keyFile, "key-file", "", "key of --cert-file")
	f.StringVar(&serverName, "server-name", "", "name to check in serve's certificate (default: the URL's host)")
	f.BoolVar(&insecure, "insecure-skip-verify", false, "do not check serve's certificate")
	f.StringVar(&user, "username", "", "basic auth user")
	f.StringVar(&passFile, "password-file", "", "file holding the basic auth password (trailing newline stripped)")
	return cmd
}
