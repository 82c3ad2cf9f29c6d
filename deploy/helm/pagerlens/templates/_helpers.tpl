{{/* Names and labels, as `helm create` writes them. */}}
{{- define "pagerlens.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pagerlens.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pagerlens.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pagerlens.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pagerlens.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pagerlens.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pagerlens.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The file the config map holds. */}}
{{- define "pagerlens.config" -}}
{{- toYaml .Values.config }}
{{- end }}

{{/* The rules and dashboards of the mode: max merges the full copies of HA
     replicas, sum adds up the parts of shards (docs/scaling.md). */}}
{{- define "pagerlens.aggregation" -}}
{{- if eq .Values.mode "shards" }}sum{{ else }}max{{ end }}
{{- end }}

{{/* Values the chart cannot honour fail the render with the reason. */}}
{{- define "pagerlens.validate" -}}
{{- if not (has .Values.mode (list "ha" "shards")) }}
{{- fail (printf "mode %q: want ha (a consumer group per replica, full copies) or shards (one shared group, a part each)" .Values.mode) }}
{{- end }}
{{- $db := default "" .Values.config.db }}
{{- if not (hasPrefix "/var/lib/pagerlens/" $db) }}
{{- fail (printf "config.db %q: must be a file under /var/lib/pagerlens/, the persistent volume (else the store is lost with the pod)" $db) }}
{{- end }}
{{- if not (hasSuffix (printf ":%d" (int .Values.service.port)) (toString .Values.config.listen)) }}
{{- fail (printf "config.listen %q: must listen on service.port %d, where the probes and the Service look" (toString .Values.config.listen) (int .Values.service.port)) }}
{{- end }}
{{- $kafka := default dict .Values.config.kafka }}
{{- if and (eq .Values.mode "shards") (not $kafka.brokers) }}
{{- fail "mode shards: needs config.kafka.brokers (shards split a consumer group's partitions; webhooks alone cannot be sharded)" }}
{{- end }}
{{- if and .Values.webConfig.probe.username (not .Values.webConfig.existingSecret) }}
{{- fail "webConfig.probe.username: set webConfig.existingSecret too (the Secret holding web.yml and the probe's password)" }}
{{- end }}
{{- if and .Values.webConfig.probe.username (not .Values.webConfig.probe.passwordKey) }}
{{- fail "webConfig.probe.username: set webConfig.probe.passwordKey, the key of the probe's password in webConfig.existingSecret" }}
{{- end }}
{{- end }}

{{/* A probe: GET path over HTTP(S), or, when serve asks for basic auth,
     `pagerlens healthcheck` in the container with the probe's credentials. */}}
{{- define "pagerlens.probe" -}}
{{- $p := .root.Values.webConfig.probe }}
{{- if $p.username }}
exec:
  command:
    - pagerlens
    - healthcheck
    - --url
    - {{ printf "%s://127.0.0.1:%d%s" (ternary "https" "http" .root.Values.webConfig.tls) (int .root.Values.service.port) .path }}
    - --username
    - {{ $p.username }}
    - --password-file
    - /etc/pagerlens/web/{{ $p.passwordKey }}
    {{- if $p.caKey }}
    - --ca-file
    - /etc/pagerlens/web/{{ $p.caKey }}
    {{- else if .root.Values.webConfig.tls }}
    - --insecure-skip-verify
    {{- end }}
    {{- with $p.serverName }}
    - --server-name
    - {{ . }}
    {{- end }}
{{- else }}
httpGet:
  path: {{ .path }}
  port: http
  scheme: {{ ternary "HTTPS" "HTTP" .root.Values.webConfig.tls }}
{{- end }}
{{- end }}
