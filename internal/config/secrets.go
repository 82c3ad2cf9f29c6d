package config

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/pagerlens/pagerlens/ingest/webhook"
)

// SecretFile is a file named by the configuration whose content is a
// credential.
type SecretFile struct {
	Key  string // the YAML key that names it, e.g. kafka.sasl.password_file
	Path string
}

// SecretFiles lists the credential files cfg names: the SASL password, the
// TLS client key, the webhook secrets and the exports' delivery
// credentials.
func (c Config) SecretFiles() []SecretFile {
	var out []SecretFile
	add := func(key, path string) {
		if path != "" {
			out = append(out, SecretFile{Key: key, Path: path})
		}
	}
	add("kafka.sasl.password_file", c.Kafka.SASL.PasswordFile)
	add("kafka.tls.key_file", c.Kafka.TLS.KeyFile)
	for _, s := range []struct {
		name string
		src  *webhook.Source
	}{
		{webhook.PagerDuty, c.Webhooks.PagerDuty}, {webhook.Alertmanager, c.Webhooks.Alertmanager},
		{webhook.Grafana, c.Webhooks.Grafana}, {webhook.Opsgenie, c.Webhooks.Opsgenie},
		{webhook.OnCall, c.Webhooks.OnCall}, {webhook.IncidentIO, c.Webhooks.IncidentIO},
		{webhook.Canonical, c.Webhooks.Canonical},
	} {
		if s.src == nil {
			continue
		}
		prefix := "webhooks." + s.name + "."
		add(prefix+"secret_file", s.src.SecretFile)
		add(prefix+"bearer_token_file", s.src.BearerTokenFile)
		if s.src.BasicAuth != nil {
			add(prefix+"basic_auth.password_file", s.src.BasicAuth.PasswordFile)
		}
	}
	for i, j := range c.Exports {
		for k, t := range j.Deliver {
			prefix := fmt.Sprintf("exports[%d].deliver[%d].", i, k)
			switch {
			case t.Email != nil:
				add(prefix+"email.smtp.password_file", t.Email.SMTP.PasswordFile)
			case t.Slack != nil:
				add(prefix+"slack.webhook_url_file", t.Slack.WebhookURLFile)
			case t.Webhook != nil:
				add(prefix+"webhook.bearer_token_file", t.Webhook.BearerTokenFile)
			}
		}
	}
	return out
}

// warnIfExposed warns about permissions that let other users of the host
// change what pagerlens does or read its credentials. It only warns: the
// operator may have reasons (a container with one user), but should know.
// It never logs a secret, only paths and modes.
func warnIfExposed(path string, cfg Config) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	mode := fi.Mode().Perm()
	if mode&0o002 != 0 {
		slog.Warn("config file is world-writable: anyone on the host can change what pagerlens does", "path", path, "mode", mode.String())
	}
	secrets := cfg.SecretFiles()
	if mode&0o004 != 0 && len(secrets) > 0 {
		// The config holds no secret itself, but it maps where they are and
		// usually sits next to them with the same permissions.
		keys := make([]string, len(secrets))
		for i, s := range secrets {
			keys[i] = s.Key
		}
		slog.Warn("config file names secret files and is world-readable; restrict it (chmod 640 or 600)", "path", path, "mode", mode.String(), "secret_keys", keys)
	}
	for _, s := range secrets {
		sfi, err := os.Stat(s.Path)
		if err != nil {
			continue // reading it reports the error where it is used
		}
		if m := sfi.Mode().Perm(); m&0o004 != 0 {
			slog.Warn("secret file is world-readable: anyone on the host can read the credential; chmod 600 it", "key", s.Key, "path", s.Path, "mode", m.String())
		}
	}
}
