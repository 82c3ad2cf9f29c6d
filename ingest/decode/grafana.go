package decode

// Grafana Alerting's webhook contact point sends the Alertmanager webhook
// shape with version "1" and a few extra fields (orgId, state, title,
// message, per-alert values and URLs) that carry nothing the canonical model
// holds, so it shares the Alertmanager decoder; only the version, the source
// name, the id prefix and the mapping differ.
func init() {
	Register(Grafana, func(o Options) Decoder { return newAMDecoder(Grafana, "1", o) })
}
