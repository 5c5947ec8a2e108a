{{/*
Names and labels. A service's resources are named <fullname>-<service> and
carry app.kubernetes.io/component: <service>; migration and re-encryption
pods carry component <service>-migrate and member-reencrypt, so that no
Service or NetworkPolicy of a service ever selects them.
*/}}

{{- define "gongjian.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gongjian.fullname" -}}
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

{{/*
"gongjian.componentName" (dict "root" $ "component" "member") is
<fullname>-member, the prefix cut to 35 characters so that every name fits
its limit (63 for a Service or a Job, 52 for a CronJob).
*/}}
{{- define "gongjian.componentName" -}}
{{- printf "%s-%s" (include "gongjian.fullname" .root | trunc 35 | trimSuffix "-") .component }}
{{- end }}

{{- define "gongjian.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gongjian.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "gongjian.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gongjian.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: gongjian
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* "gongjian.image" .Values.member.image: repository:tag, or repository@digest. */}}
{{- define "gongjian.image" -}}
{{- if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository (required "image.tag is required: the release of the service to deploy" .tag) }}
{{- end }}
{{- end }}

{{/*
"gongjian.goMemLimit" "512Mi" is 90% of the quantity in bytes: the Go
runtime collects harder near it instead of being killed at the limit.
GOMAXPROCS is not set: the Go runtime follows the cgroup's CPU limit itself.
*/}}
{{- define "gongjian.goMemLimit" -}}
{{- $q := toString . }}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- $num := regexFind "^[0-9]+" $q }}
{{- $unit := trimPrefix $num $q }}
{{- if not (hasKey $units $unit) }}
{{- fail (printf "memory limit %q: write it as an integer with one of the suffixes Ki, Mi, Gi, Ti, k, M, G, T" $q) }}
{{- end }}
{{- div (mul (atoi $num) (get $units $unit) 9) 10 }}
{{- end }}

{{/* "gongjian.commonEnv" (dict "root" $ "svc" .Values.member): what every container is told. */}}
{{- define "gongjian.commonEnv" -}}
- name: LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: GOMEMLIMIT
  value: {{ include "gongjian.goMemLimit" .svc.resources.limits.memory | quote }}
{{- with .root.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/* "gongjian.serviceEnv" (dict "root" $ "svc" .Values.member "component" "member"): a gRPC service's settings. */}}
{{- define "gongjian.serviceEnv" -}}
{{- $root := .root -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .svc.database.existingSecret | default (include "gongjian.componentName" .) }}
      key: {{ .svc.database.key }}
- name: NATS_URL
  value: {{ $root.Values.nats.url | quote }}
- name: CITY_TIME_ZONE
  value: {{ $root.Values.cityTimeZone | quote }}
- name: SHUTDOWN_TIMEOUT
  value: {{ printf "%ds" (int .svc.shutdownTimeoutSeconds) | quote }}
- name: AUTH_ISSUER
  value: {{ $root.Values.auth.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ $root.Values.auth.audience | quote }}
- name: AUTH_LEEWAY
  value: {{ $root.Values.auth.leeway | quote }}
{{- if $root.Values.auth.jwksUrl }}
- name: AUTH_JWKS_URL
  value: {{ $root.Values.auth.jwksUrl | quote }}
{{- else }}
- name: AUTH_KEYS_FILE
  value: {{ printf "/etc/gongjian/auth/%s" $root.Values.auth.keys.key | quote }}
{{- end }}
{{- if $root.Values.tls.enabled }}
- name: TLS_CERT_FILE
  value: /etc/gongjian/tls/tls.crt
- name: TLS_KEY_FILE
  value: /etc/gongjian/tls/tls.key
- name: TLS_CLIENT_CA_FILE
  value: /etc/gongjian/tls/ca.crt
{{- end }}
{{- end }}

{{/* "gongjian.memberKeysEnv" (dict "root" $ "svc" .Values.member "component" "member"): the keys of national ID numbers. */}}
{{- define "gongjian.memberKeysEnv" -}}
{{- $secret := .svc.idKeys.existingSecret | default (include "gongjian.componentName" .) -}}
- name: MEMBER_ID_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .svc.idKeys.keysKey }}
- name: MEMBER_ID_HASH_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .svc.idKeys.hashKeyKey }}
{{- end }}

{{/*
"gongjian.extraEnv" (dict "svc" .Values.member "component" "member"): the
operator's own variables. A secret the services read may not be written in
plain text.
*/}}
{{- define "gongjian.extraEnv" -}}
{{- $secrets := list "DATABASE_URL" "MEMBER_ID_KEYS" "MEMBER_ID_HASH_KEY" }}
{{- range .svc.extraEnv }}
{{- if and (has .name $secrets) (not .valueFrom) }}
{{- fail (printf "%s.extraEnv: %s is a secret; give it with valueFrom.secretKeyRef, never as a value" $.component .name) }}
{{- end }}
{{- end }}
{{- with .svc.extraEnv }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/* The volumes of a gRPC service: the JWK set and, with TLS, its certificate. */}}
{{- define "gongjian.serviceVolumes" -}}
{{- $root := .root }}
{{- if not $root.Values.auth.jwksUrl }}
- name: auth-keys
  {{- $name := $root.Values.auth.keys.name | default (printf "%s-auth-keys" (include "gongjian.fullname" $root)) }}
  {{- if eq $root.Values.auth.keys.kind "Secret" }}
  secret:
    secretName: {{ $name }}
  {{- else }}
  configMap:
    name: {{ $name }}
  {{- end }}
{{- end }}
{{- include "gongjian.tlsVolume" . }}
{{- end }}

{{- define "gongjian.serviceVolumeMounts" -}}
{{- if not .root.Values.auth.jwksUrl }}
- name: auth-keys
  mountPath: /etc/gongjian/auth
  readOnly: true
{{- end }}
{{- include "gongjian.tlsVolumeMount" . }}
{{- end }}

{{- define "gongjian.tlsVolume" -}}
{{- if .root.Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ .svc.tlsSecret | default (printf "%s-tls" (include "gongjian.componentName" .)) }}
{{- end }}
{{- end }}

{{- define "gongjian.tlsVolumeMount" -}}
{{- if .root.Values.tls.enabled }}
- name: tls
  mountPath: /etc/gongjian/tls
  readOnly: true
{{- end }}
{{- end }}

{{/* Probes of a gRPC service: native gRPC health checks, or TCP with TLS (the kubelet's gRPC probe speaks no TLS). */}}
{{- define "gongjian.grpcProbe" -}}
{{- if .root.Values.tls.enabled -}}
tcpSocket:
  port: grpc
{{- else -}}
grpc:
  port: {{ .port }}
  {{- with .healthService }}
  service: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "gongjian.grpcProbes" -}}
startupProbe:
  {{- include "gongjian.grpcProbe" . | nindent 2 }}
  periodSeconds: 2
  failureThreshold: 90
readinessProbe:
  {{- include "gongjian.grpcProbe" . | nindent 2 }}
  periodSeconds: 5
  failureThreshold: 2
{{- /* Liveness asks a name that stays SERVING while the process serves:
       a database outage makes a pod unready, never restarts it. */}}
livenessProbe:
  {{- include "gongjian.grpcProbe" (merge (dict "healthService" "gongjian.liveness") .) | nindent 2 }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
{{- end }}

{{/* What every pod of the chart runs with. */}}
{{- define "gongjian.podSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.runAsUser }}
  runAsGroup: {{ .Values.runAsUser }}
  fsGroup: {{ .Values.runAsUser }}
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "gongjian.containerSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{/* "gongjian.deploymentPod" (dict "root" $ "svc" … "component" …): the pod settings of a service's Deployment. */}}
{{- define "gongjian.deploymentPod" -}}
serviceAccountName: {{ if .root.Values.serviceAccount.create }}{{ include "gongjian.componentName" . }}{{ else }}default{{ end }}
automountServiceAccountToken: false
terminationGracePeriodSeconds: {{ add .svc.shutdownTimeoutSeconds .root.Values.preStopSleepSeconds 10 }}
{{- include "gongjian.podSecurityContext" .root | nindent 0 }}
affinity:
{{- if .root.Values.affinity }}
  {{- toYaml .root.Values.affinity | nindent 2 }}
{{- else }}
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "gongjian.selectorLabels" . | nindent 14 }}
{{- end }}
{{- end }}

{{/* The lifecycle of a serving container: keep serving while endpoints forget the pod. */}}
{{- define "gongjian.lifecycle" -}}
{{- if gt (int .Values.preStopSleepSeconds) 0 -}}
lifecycle:
  preStop:
    sleep:
      seconds: {{ .Values.preStopSleepSeconds }}
{{- end }}
{{- end }}

{{/* "gongjian.podAnnotations" $: the operator's pod annotations. */}}
{{- define "gongjian.podAnnotations" -}}
{{- with .Values.podAnnotations -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The gRPC services of the platform, each with its port and the weight of its
migration Job (the organisation service's schema first): the one list a new
service joins. Use: include "gongjian.services" . | fromYaml
*/}}
{{- define "gongjian.services" -}}
organisation: {port: 9101, migrateWeight: "-10"}
member: {port: 9102, migrateWeight: "-5"}
cobuilding: {port: 9103, migrateWeight: "-4"}
supervision: {port: 9104, migrateWeight: "-3"}
{{- end }}

{{/* The components with a Deployment: every service and the gateway. */}}
{{- define "gongjian.components" -}}
{{- $names := keys (include "gongjian.services" . | fromYaml) | sortAlpha }}
{{- append $names "gateway" | toJson }}
{{- end }}
