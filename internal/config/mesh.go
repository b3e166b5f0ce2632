package config

import (
	"time"
)

// APIVersion is the only mesh file apiVersion this release understands.
const APIVersion = "fnmesh.dev/v1alpha1"

// Kind is the only mesh file kind.
const Kind = "Mesh"

// Mesh is the whole mesh file: the streams that store events, the triggers
// that turn the outside world into CloudEvents and the functions that consume
// them.
type Mesh struct {
	// APIVersion must be "fnmesh.dev/v1alpha1".
	APIVersion string `yaml:"apiVersion" json:"apiVersion" jsonschema:"enum=fnmesh.dev/v1alpha1"`
	// Kind must be "Mesh".
	Kind string `yaml:"kind" json:"kind" jsonschema:"enum=Mesh"`
	// Metadata names the mesh.
	Metadata Metadata `yaml:"metadata,omitempty" json:"metadata,omitempty"`
	// SubjectPrefix is the first token of every event subject: an event of type T
	// is stored on "<subjectPrefix>.<T>". Default "events".
	SubjectPrefix string `yaml:"subjectPrefix,omitempty" json:"subjectPrefix,omitempty"`
	// Streams are the JetStream streams created or updated at start-up. When
	// empty, one stream "EVENTS" on "<subjectPrefix>.>" is declared.
	Streams []Stream `yaml:"streams,omitempty" json:"streams,omitempty"`
	// DeadLetter configures the stream that holds events no function could process.
	DeadLetter DeadLetterStream `yaml:"deadLetter,omitempty" json:"deadLetter,omitempty"`
	// History configures the run history (a record of every delivery attempt).
	History History `yaml:"history,omitempty" json:"history,omitempty"`
	// Ingest configures the CloudEvents HTTP endpoint (POST /events).
	Ingest Ingest `yaml:"ingest,omitempty" json:"ingest,omitempty"`
	// Triggers turn HTTP requests, schedules and webhooks into CloudEvents.
	Triggers []Trigger `yaml:"triggers,omitempty" json:"triggers,omitempty"`
	// Functions consume events.
	Functions []Function `yaml:"functions,omitempty" json:"functions,omitempty"`
	// EventSchemas registers JSON Schemas for the data of event types; an event
	// whose type has a schema is validated at ingest.
	EventSchemas []EventSchema `yaml:"eventSchemas,omitempty" json:"eventSchemas,omitempty"`

	// File is the path the mesh was loaded from (not part of the file).
	File string `yaml:"-" json:"-"`
}

// Metadata names the mesh.
type Metadata struct {
	// Name of the mesh, used in logs and as the default service namespace.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// Stream declares a JetStream stream.
type Stream struct {
	// Name of the stream (letters, digits, '-' and '_').
	Name string `yaml:"name" json:"name"`
	// Subjects the stream captures, e.g. ["events.>"].
	Subjects []string `yaml:"subjects" json:"subjects"`
	// MaxAge is how long a message is kept (Go duration; 0 = forever).
	MaxAge Duration `yaml:"maxAge,omitempty" json:"maxAge,omitempty"`
	// MaxBytes caps the stream size in bytes (0 = unlimited).
	MaxBytes int64 `yaml:"maxBytes,omitempty" json:"maxBytes,omitempty"`
	// MaxMsgs caps the number of messages (0 = unlimited).
	MaxMsgs int64 `yaml:"maxMsgs,omitempty" json:"maxMsgs,omitempty"`
	// MaxMsgsPerSubject caps the messages kept per subject, that is per
	// event type (0 = unlimited).
	MaxMsgsPerSubject int64 `yaml:"maxMsgsPerSubject,omitempty" json:"maxMsgsPerSubject,omitempty"`
	// Discard is what the stream does at maxMsgs, maxBytes or
	// maxMsgsPerSubject: "new" refuses new events (ingest answers 429 with
	// Retry-After; acknowledging does not make room, expiry does), "old"
	// removes the oldest event whether every function processed it or
	// not. Default: new when a limit is set; an existing stream keeps the
	// policy it has unless this is set.
	Discard string `yaml:"discard,omitempty" json:"discard,omitempty" jsonschema:"enum=old,enum=new"`
	// Replicas is the number of copies on a NATS cluster (1..5). Default 1.
	Replicas int `yaml:"replicas,omitempty" json:"replicas,omitempty" jsonschema:"minimum=1,maximum=5"`
	// Storage is "file" (default) or "memory".
	Storage string `yaml:"storage,omitempty" json:"storage,omitempty" jsonschema:"enum=file,enum=memory"`
	// DuplicateWindow is how long JetStream remembers message ids for
	// de-duplication. Default 2m, or MaxAge when that is shorter; never longer
	// than MaxAge.
	DuplicateWindow Duration `yaml:"duplicateWindow,omitempty" json:"duplicateWindow,omitempty"`
	// Sync is "always" to fsync every message before it is acknowledged (the
	// durable choice: an acknowledged event survives a power cut) or
	// "default" to let the server flush on its own interval.
	Sync string `yaml:"sync,omitempty" json:"sync,omitempty" jsonschema:"enum=default,enum=always"`
	// Schedules lets events of this stream carry "deliverat" (RFC 3339):
	// each is stored at once as a JetStream message schedule and delivered
	// at that time. Needs discard: old. Once on, it stays on (JetStream
	// cannot turn it off).
	Schedules bool `yaml:"schedules,omitempty" json:"schedules,omitempty"`
	// MaxDelay bounds how far ahead a deliverat may be (Go duration; 0 =
	// up to maxAge, or no bound). Only with schedules.
	MaxDelay Duration `yaml:"maxDelay,omitempty" json:"maxDelay,omitempty"`

	// replicasDefaulted records that Replicas was not given (see
	// Mesh.WithClusterReplicas).
	replicasDefaulted bool
}

// DeadLetterStream configures where dead letters are kept.
type DeadLetterStream struct {
	// Stream is the stream name. Default "DEADLETTER".
	Stream string `yaml:"stream,omitempty" json:"stream,omitempty"`
	// SubjectPrefix: a dead letter of function F is stored on "<subjectPrefix>.F". Default "deadletter".
	SubjectPrefix string `yaml:"subjectPrefix,omitempty" json:"subjectPrefix,omitempty"`
	// MaxAge is how long dead letters are kept. Default 720h (30 days).
	MaxAge Duration `yaml:"maxAge,omitempty" json:"maxAge,omitempty"`
	// Replicas is the number of copies of the dead-letter stream on a NATS
	// cluster (1..5). Default: the most replicas among the streams, so dead
	// letters survive what the events survive.
	Replicas int `yaml:"replicas,omitempty" json:"replicas,omitempty" jsonschema:"minimum=1,maximum=5"`

	// replicasDefaulted records that Replicas was not given.
	replicasDefaulted bool
}

// Ingest configures POST /events.
type Ingest struct {
	// Path of the CloudEvents endpoint. Default "/events".
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// MaxBodyBytes is the largest accepted request body. Default 1 MiB, minimum 64 KiB.
	MaxBodyBytes int64 `yaml:"maxBodyBytes,omitempty" json:"maxBodyBytes,omitempty" jsonschema:"minimum=65536"`
	// TokenRef, when set, requires "Authorization: Bearer <token>" on ingest.
	TokenRef *SecretRef `yaml:"tokenRef,omitempty" json:"tokenRef,omitempty"`
	// MaxInFlight bounds concurrent publishes; above it requests get 429. Default 1024.
	MaxInFlight int `yaml:"maxInFlight,omitempty" json:"maxInFlight,omitempty"`
}

// SecretRef points at a secret without writing it in the file. Exactly one of
// Env, File or Value is set.
type SecretRef struct {
	// Env names an environment variable holding the secret.
	Env string `yaml:"env,omitempty" json:"env,omitempty"`
	// File is a path to a file holding the secret (trailing newline
	// trimmed), relative to the mesh file.
	File string `yaml:"file,omitempty" json:"file,omitempty"`
	// Value is the secret itself (for tests and examples only).
	Value string `yaml:"value,omitempty" json:"value,omitempty"`
}

// Trigger turns something from the outside world into CloudEvents. Exactly one
// of HTTP, Cron or Webhook is set.
type Trigger struct {
	// Name identifies the trigger; unique in the mesh (letters, digits, '-'
	// and '_', at most 63).
	Name string `yaml:"name" json:"name"`
	// HTTP maps requests on a path to events.
	HTTP *HTTPTrigger `yaml:"http,omitempty" json:"http,omitempty"`
	// Cron emits an event on a schedule.
	Cron *CronTrigger `yaml:"cron,omitempty" json:"cron,omitempty"`
	// Webhook verifies provider webhooks and emits them as events.
	Webhook *WebhookTrigger `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	// Emit sets attributes of the emitted events.
	Emit Emit `yaml:"emit,omitempty" json:"emit,omitempty"`
}

// Emit sets the attributes of events a trigger emits.
type Emit struct {
	// Type of the emitted events (required for http and cron triggers; for
	// webhooks the default is "<provider>.<provider event type>").
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// Source of the emitted events. Default "/fnmesh/triggers/<name>".
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// Subject attribute of the emitted events, if any.
	Subject string `yaml:"subject,omitempty" json:"subject,omitempty"`
	// Extensions are fixed extension attributes added to every event.
	Extensions map[string]string `yaml:"extensions,omitempty" json:"extensions,omitempty"`
}

// HTTPTrigger maps HTTP requests to events.
type HTTPTrigger struct {
	// Path the trigger listens on, e.g. "/orders"; unique among triggers and
	// different from the ingest path, /livez, /readyz and /metrics.
	Path string `yaml:"path" json:"path"`
	// Method accepted. Default POST.
	Method string `yaml:"method,omitempty" json:"method,omitempty" jsonschema:"enum=DELETE,enum=GET,enum=PATCH,enum=POST,enum=PUT"`
	// Headers maps request header names to extension attribute names.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Query maps query parameter names to extension attribute names.
	Query map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	// Reply makes the request wait for the event a function returns in answer.
	Reply *Reply `yaml:"reply,omitempty" json:"reply,omitempty"`
	// TokenRef, when set, requires "Authorization: Bearer <token>".
	TokenRef *SecretRef `yaml:"tokenRef,omitempty" json:"tokenRef,omitempty"`
}

// Reply configures request/response over an HTTP trigger.
type Reply struct {
	// Timeout is how long to wait for the answer before 504. Default 30s.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// CronTrigger emits an event on a schedule.
type CronTrigger struct {
	// Schedule is a 5-field cron expression or a descriptor such as
	// "@hourly" or "@every 5m".
	Schedule string `yaml:"schedule" json:"schedule"`
	// Timezone is an IANA zone name. Default UTC.
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	// Jitter delays each tick by a random duration up to this value.
	Jitter Duration `yaml:"jitter,omitempty" json:"jitter,omitempty"`
	// MissedRuns is "skip" (default) or "catchUp" for ticks that fell while
	// nothing was running.
	MissedRuns string `yaml:"missedRuns,omitempty" json:"missedRuns,omitempty" jsonschema:"enum=skip,enum=catchUp"`
	// MaxCatchUp bounds how many missed ticks are replayed. Default 10.
	MaxCatchUp int `yaml:"maxCatchUp,omitempty" json:"maxCatchUp,omitempty"`
	// Data is the event data, encoded as JSON unless ContentType says otherwise
	// and it is a string.
	Data any `yaml:"data,omitempty" json:"data,omitempty"`
	// ContentType of the data. Default application/json.
	ContentType string `yaml:"contentType,omitempty" json:"contentType,omitempty"`
}

// WebhookTrigger receives signed webhooks.
type WebhookTrigger struct {
	// Provider is one of github, stripe, standardwebhooks, slack, hmac.
	Provider string `yaml:"provider" json:"provider" jsonschema:"enum=github,enum=stripe,enum=standardwebhooks,enum=slack,enum=hmac"`
	// Path the webhook is received on.
	Path string `yaml:"path" json:"path"`
	// SecretRef is the signing secret.
	SecretRef *SecretRef `yaml:"secretRef,omitempty" json:"secretRef,omitempty"`
	// SecretRefs lists several secrets at once, for rotation.
	SecretRefs []SecretRef `yaml:"secretRefs,omitempty" json:"secretRefs,omitempty"`
	// Tolerance for timestamped schemes. Default 5m.
	Tolerance Duration `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// HMAC configures the generic hmac provider.
	HMAC *HMACScheme `yaml:"hmac,omitempty" json:"hmac,omitempty"`
	// BodyDedupWindow, when set, answers a delivery whose body is identical
	// to one stored within this window as a duplicate, whatever its delivery
	// id and headers: for providers that do not sign the delivery id
	// (github; hmac without {id} in signedContent), whose signed bodies can
	// otherwise be replayed under a new id. At most 72h. Default: off.
	BodyDedupWindow Duration `yaml:"bodyDedupWindow,omitempty" json:"bodyDedupWindow,omitempty"`
}

// HMACScheme describes a generic HMAC signature.
type HMACScheme struct {
	// Header carrying the signature.
	Header string `yaml:"header" json:"header"`
	// Algorithm: sha1, sha256 (default) or sha512.
	Algorithm string `yaml:"algorithm,omitempty" json:"algorithm,omitempty" jsonschema:"enum=sha1,enum=sha256,enum=sha512"`
	// Encoding of the signature: hex (default) or base64.
	Encoding string `yaml:"encoding,omitempty" json:"encoding,omitempty" jsonschema:"enum=hex,enum=base64"`
	// Prefix before the signature, e.g. "sha256=".
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// TimestampHeader, when set, is signed as "<timestamp>.<body>" and checked against Tolerance.
	TimestampHeader string `yaml:"timestampHeader,omitempty" json:"timestampHeader,omitempty"`
	// IDHeader carries the delivery id used for de-duplication.
	IDHeader string `yaml:"idHeader,omitempty" json:"idHeader,omitempty"`
	// SignedContent is the layout of the signed bytes: {body} once, and
	// {timestamp}, {id} and {header:Name} for the values of timestampHeader,
	// idHeader and any other header; anything else literally. Default
	// "{timestamp}.{body}" with a timestampHeader, "{body}" without. Only
	// what it names is authenticated.
	SignedContent string `yaml:"signedContent,omitempty" json:"signedContent,omitempty"`
}

// Function consumes events.
type Function struct {
	// Name identifies the function; it names its durable consumer (letters,
	// digits, '-' and '_', at most 63).
	Name string `yaml:"name" json:"name"`
	// Stream the function consumes from. Default: the first stream whose
	// subjects capture "<subjectPrefix>.>", else the first stream.
	Stream string `yaml:"stream,omitempty" json:"stream,omitempty"`
	// Filters select the events the function receives (all must match).
	Filters []Filter `yaml:"filters,omitempty" json:"filters,omitempty"`
	// Run says how the function runs.
	Run Run `yaml:"run" json:"run"`
	// Concurrency is the number of events in flight per replica. Default 1.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty" jsonschema:"minimum=0,maximum=10000"`
	// Timeout is the handler deadline per event (at most 24h). Default 30s.
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// AckWait is how long the server waits for an ack before redelivering.
	// Default 30s; long work is kept alive with progress heartbeats.
	AckWait Duration `yaml:"ackWait,omitempty" json:"ackWait,omitempty"`
	// Delivery configures retries and dead letters.
	Delivery Delivery `yaml:"delivery,omitempty" json:"delivery,omitempty"`
	// StartFrom is where the function starts reading its stream when it is
	// first deployed: "new" (default) for the events stored from then on,
	// "all" for every event the stream holds, or an RFC 3339 time
	// ("2026-01-02T15:04:05Z") for those stored from that moment on. A
	// function that already exists keeps its position: changing startFrom
	// later has no effect without a replay (up and apply warn).
	StartFrom string `yaml:"startFrom,omitempty" json:"startFrom,omitempty"`
	// Scaling configures the backlog autoscaler.
	Scaling Scaling `yaml:"scaling,omitempty" json:"scaling,omitempty"`
	// RateLimit bounds the events the function starts, all replicas on all
	// nodes together. Events over the limit wait in the stream; they are
	// not failed, retried or counted as attempts. The scaler runs no more
	// replicas than the limit keeps busy. With batch it counts events, not
	// batches; with ordering each start (and retry) takes a token, and
	// events wait for theirs in the receiving replica's hands.
	RateLimit *RateLimit `yaml:"rateLimit,omitempty" json:"rateLimit,omitempty"`
	// Ordering handles the events of one key one at a time, in stream
	// order, across all replicas; different keys run in parallel up to
	// concurrency. One replica receives at a time; the others stand by.
	// Combines with rateLimit (each start takes a token) and with batch
	// (a batch then holds at most one event per key).
	Ordering *Ordering `yaml:"ordering,omitempty" json:"ordering,omitempty"`
	// Batch hands the handler up to maxEvents events at once: a Go
	// functions.BatchHandler, run.http in CloudEvents batch mode
	// (application/cloudevents-batch+json), run.exec a JSON array on
	// stdin. Concurrency counts batches. Results, retries and dead letters
	// stay per event. Combines with rateLimit (which counts events) and
	// with ordering (at most one event per key in a batch).
	Batch *Batch `yaml:"batch,omitempty" json:"batch,omitempty"`
	// Env is extra environment for the function's worker processes.
	Env map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	// SecretEnv sets environment variables of the function's local workers
	// (process and docker runtimes) from secrets: a variable of `up`'s own
	// environment, a file or a value. A worker gets these and its env, the
	// worker contract and OTEL_*, never the rest of `up`'s environment. A
	// name may not also be in env.
	SecretEnv map[string]SecretRef `yaml:"secretEnv,omitempty" json:"secretEnv,omitempty"`
	// Kubernetes says how `fnmesh deploy render` runs the function on
	// Kubernetes: the image of a run.command or run.exec function, the
	// container's resources, and environment from Secrets.
	Kubernetes *KubernetesFunction `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
}

// RateLimit is a global rate limit: at most Events per Per.
type RateLimit struct {
	// Events is the number of events per period (at least 1).
	Events int `yaml:"events" json:"events" jsonschema:"minimum=1"`
	// Per is the period, e.g. 1s or 1m (1ms..24h).
	Per Duration `yaml:"per" json:"per"`
}

// Batch says how events are grouped for a batch handler.
type Batch struct {
	// MaxEvents is the most events of one batch (1..10000).
	MaxEvents int `yaml:"maxEvents" json:"maxEvents" jsonschema:"minimum=1,maximum=10000"`
	// MaxWait is how long a batch waits for more events after its first
	// (1ms..1m).
	MaxWait Duration `yaml:"maxWait" json:"maxWait"`
}

// Ordering says what orders events.
type Ordering struct {
	// Key is an attribute or extension name (subject, customerid) or a
	// CloudEvents SQL expression (CONCAT(source, '/', subject)) whose value
	// is the ordering key. Events without it share the empty key.
	Key string `yaml:"key" json:"key"`
}

// Filter is one Knative-style filter. Exactly one field is set.
type Filter struct {
	// Exact matches attributes by equality.
	Exact map[string]string `yaml:"exact,omitempty" json:"exact,omitempty"`
	// Prefix matches attributes by prefix.
	Prefix map[string]string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// Suffix matches attributes by suffix.
	Suffix map[string]string `yaml:"suffix,omitempty" json:"suffix,omitempty"`
	// All matches when every nested filter matches.
	All []Filter `yaml:"all,omitempty" json:"all,omitempty"`
	// Any matches when at least one nested filter matches.
	Any []Filter `yaml:"any,omitempty" json:"any,omitempty"`
	// Not matches when the nested filter does not.
	Not *Filter `yaml:"not,omitempty" json:"not,omitempty"`
	// CESQL is a CloudEvents SQL expression.
	CESQL string `yaml:"cesql,omitempty" json:"cesql,omitempty"`
}

// Run says how a function runs. Exactly one of Command, Image, HTTP or Exec is set.
type Run struct {
	// Command is a worker program that connects to NATS itself (a Go program
	// calling functions.Serve), started as a local process.
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Image is a container image holding a worker program (docker and
	// kubernetes runtimes).
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// HTTP delivers each event to an HTTP endpoint in CloudEvents binary mode.
	HTTP *HTTPTarget `yaml:"http,omitempty" json:"http,omitempty"`
	// Exec runs a program per event with the event JSON on stdin.
	Exec []string `yaml:"exec,omitempty" json:"exec,omitempty"`
	// Runtime: process, docker or kubernetes. Default process, or docker
	// when Image is set. docker and kubernetes run Image.
	Runtime string `yaml:"runtime,omitempty" json:"runtime,omitempty" jsonschema:"enum=process,enum=docker,enum=kubernetes"`
	// Dir is the working directory of local processes (relative to the mesh
	// file). Default: the mesh file's directory.
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
}

// HTTPTarget is an HTTP endpoint that handles events.
type HTTPTarget struct {
	// URL events are POSTed to.
	URL string `yaml:"url" json:"url"`
}

// Delivery configures retries and dead letters (Knative names).
type Delivery struct {
	// Retry is the number of retries after the first attempt (0..100). Default 3.
	Retry *int `yaml:"retry,omitempty" json:"retry,omitempty" jsonschema:"minimum=0,maximum=100"`
	// BackoffPolicy is exponential (default) or linear.
	BackoffPolicy string `yaml:"backoffPolicy,omitempty" json:"backoffPolicy,omitempty" jsonschema:"enum=exponential,enum=linear"`
	// BackoffDelay is the first retry delay. Default 1s.
	BackoffDelay Duration `yaml:"backoffDelay,omitempty" json:"backoffDelay,omitempty"`
	// BackoffMax caps the retry delay; at least BackoffDelay. Default 1m, or
	// BackoffDelay when that is longer.
	BackoffMax Duration `yaml:"backoffMax,omitempty" json:"backoffMax,omitempty"`
	// DeadLetter sends events that exhaust their retries to the dead-letter
	// stream. Default true.
	DeadLetter *bool `yaml:"deadLetter,omitempty" json:"deadLetter,omitempty"`
}

// Scaling configures the backlog autoscaler (KEDA names).
type Scaling struct {
	// MinReplicaCount is the fewest replicas. Default 0.
	MinReplicaCount *int `yaml:"minReplicaCount,omitempty" json:"minReplicaCount,omitempty"`
	// MaxReplicaCount is the most replicas (at least 1). Default 10, or
	// MinReplicaCount when that is higher.
	MaxReplicaCount int `yaml:"maxReplicaCount,omitempty" json:"maxReplicaCount,omitempty"`
	// LagThreshold is the backlog one replica is expected to handle. Default 100.
	LagThreshold int `yaml:"lagThreshold,omitempty" json:"lagThreshold,omitempty"`
	// ActivationLagThreshold is the backlog above which scaling from zero starts. Default 0.
	ActivationLagThreshold int `yaml:"activationLagThreshold,omitempty" json:"activationLagThreshold,omitempty"`
	// CooldownPeriod is how long the backlog must stay below target before scaling down. Default 30s.
	CooldownPeriod Duration `yaml:"cooldownPeriod,omitempty" json:"cooldownPeriod,omitempty"`
	// PollingInterval is how often the backlog is read. Default 1s.
	PollingInterval Duration `yaml:"pollingInterval,omitempty" json:"pollingInterval,omitempty"`
}

// EventSchema registers a JSON Schema for the data of one event type.
type EventSchema struct {
	// Type is the CloudEvents type.
	Type string `yaml:"type" json:"type"`
	// Schema is a path to a JSON Schema file (relative to the mesh file).
	Schema string `yaml:"schema" json:"schema"`
}

// Duration is a Go duration written as a string ("30s", "5m", "168h").
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
