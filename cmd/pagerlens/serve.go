package main

import (
	"github.com/spf13/cobra"

	"github.com/pagerlens/pagerlens/internal/app"
)

func newServeCmd() *cobra.Command {
	var o *overrides
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Consume Kafka topics and/or receive webhooks into the store; serve /metrics, /healthz, /readyz",
		Long: `serve consumes the configured Kafka topics with a consumer group, writes each
batch to the DuckDB file in one transaction (skipping events already stored),
commits the offsets only after that, and serves HTTP on --listen: /metrics,
/healthz, /readyz and POST /webhooks/<source> for the sources listed under
webhooks: in --config (PagerDuty, Alertmanager, Grafana, Opsgenie, OnCall,
incident.io, canonical; docs/webhooks.md).

Without Kafka: list webhook sources in --config and give no brokers, e.g.

  webhooks:
    alertmanager: {bearer_token_file: /etc/pagerlens/am.token}

In direct mode (webhooks.mode, the default) each request is decoded and written
to the store before it is answered. With brokers as well, both run.

--web.config.file (web_config_file) is an exporter-toolkit web config: TLS and
basic auth for every path, the webhooks included.

Settings come from flags, else PAGERLENS_<FLAG> environment variables
(PAGERLENS_BROKERS, PAGERLENS_DB, ...), else --config (YAML), else defaults.
--topics takes name or name:format (format: canonical, pagerduty, alertmanager,
grafana, opsgenie, oncall, incidentio, auto).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			// The values flags and variables set are checked as the file's
			// were, all problems at once.
			cfg, err := o.resolve(cmd)
			if err != nil {
				return err
			}
			return app.Serve(cmd.Context(), cfg)
		},
	}
	o = bindOverrides(cmd.Flags(), "YAML config file", serveOverrides)
	return cmd
}
