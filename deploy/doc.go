// Package deploy holds no code: its tests check the deployment files beside
// it against the product. The compose file's references and its pagerlens
// config (internal/config), the Helm chart's copies of the dashboards and
// rules (`make deploy-files` rewrites them), the chart's default config and
// memory limit, the systemd unit (systemd-analyze verify) and the
// Dockerfile. The chart itself is rendered and linted by the Go module in
// deploy/helm, kept apart so that Helm's dependencies stay out of go.mod.
package deploy
