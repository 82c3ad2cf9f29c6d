package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/dashboards"
)

func newDashboardsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dashboards",
		Short: "Write or push the pagerlens Grafana dashboards",
		Args:  cobra.NoArgs,
	}
	var agg string
	cmd.PersistentFlags().StringVar(&agg, "aggregation", string(dashboards.AggregationMax),
		"how copies of a series from several instances merge: max (HA replicas) or sum (shards)")
	opts := func() dashboards.Options {
		return dashboards.Options{Aggregation: dashboards.Aggregation(agg)}
	}
	cmd.AddCommand(newDashboardsWriteCmd(opts), newDashboardsPushCmd(opts))
	return cmd
}

func newDashboardsWriteCmd(opts func() dashboards.Options) *cobra.Command {
	var out, promURL, path string
	cmd := &cobra.Command{
		Use:   "write --dir DIR",
		Short: "Write a Grafana provisioning tree: data source, dashboard provider and dashboard JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErrorf("dashboards write: --dir is required")
			}
			o := opts()
			o.PrometheusURL = promURL
			o.ProvisionedPath = path
			if err := dashboards.WriteProvisioning(out, o); err != nil {
				return fmt.Errorf("dashboards write: %w", err)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "wrote %s, %s and %s/*.json under %s\n",
				dashboards.ProviderFile, dashboards.DatasourceFile, dashboards.DashboardsDir, out)
			return err
		},
	}
	dirFlag(cmd.Flags(), &out, "", "directory to write the tree into")
	cmd.Flags().StringVar(&promURL, "prometheus-url", "http://localhost:9090", "URL of the Prometheus that scrapes pagerlens, as Grafana reaches it")
	cmd.Flags().StringVar(&path, "provisioned-path", "", "where Grafana sees the dashboards folder (default: its absolute path here)")
	return cmd
}

func newDashboardsPushCmd(opts func() dashboards.Options) *cobra.Command {
	var grafanaURL, tokenFile string
	var retries int
	cmd := &cobra.Command{
		Use:   "push --grafana-url URL",
		Short: "Create the folder if missing and upsert every dashboard through Grafana's HTTP API",
		Long: "Create the folder if missing and upsert every dashboard through Grafana's HTTP API.\n" +
			"The token (a service-account token with the Editor role) is read from --token-file,\n" +
			"else from the GRAFANA_TOKEN environment variable; it is never printed or logged.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if grafanaURL == "" {
				return usageErrorf("dashboards push: --grafana-url is required")
			}
			token, err := grafanaToken(tokenFile)
			if err != nil {
				return fmt.Errorf("dashboards push: %w", err)
			}
			c := dashboards.Client{URL: grafanaURL, Token: token, Retries: retries}
			if retries <= 0 {
				c.Retries = -1 // the library reads 0 as "default"; the flag means none
			}
			results, err := dashboards.Push(cmd.Context(), c, opts())
			for _, r := range results {
				fmt.Fprintf(cmd.OutOrStdout(), "%-9s %s (%s) version %d\n", r.Action, r.Title, r.UID, r.Version)
			}
			if err != nil {
				return fmt.Errorf("dashboards push to %s: %w", grafanaURL, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&grafanaURL, "grafana-url", "", "Grafana root URL, including any sub-path")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the Grafana token (default: $GRAFANA_TOKEN)")
	cmd.Flags().IntVar(&retries, "retries", 3, "retries on 5xx answers and network errors, with backoff")
	return cmd
}

// grafanaToken reads the token from file, else GRAFANA_TOKEN. An empty
// token is allowed (Grafana with anonymous Editor access, e.g. a demo).
func grafanaToken(file string) (string, error) {
	if file == "" {
		return os.Getenv("GRAFANA_TOKEN"), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
