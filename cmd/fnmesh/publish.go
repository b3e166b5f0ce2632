package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/propagation"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/triggers"
)

type publishFlags struct {
	typ, source, id, subject, data, dataFile, contentType, dataschema string
	ext                                                               []string
	url, token                                                        string
	direct                                                            bool
	timeout                                                           time.Duration
	at                                                                string
	in                                                                time.Duration
}

func newPublishCmd(g *globals) *cobra.Command {
	var f publishFlags
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish a CloudEvent over HTTP to a running mesh, or straight to NATS",
		Example: `  fnmesh publish --type com.example.order.created --source /shop/api --data '{"order":42}'
  fnmesh publish --type com.example.ping --source /cli --nats   # straight to JetStream (NATS_URL)
  fnmesh publish --type com.example.remind --in 24h               # delivered in 24 hours (deliverat)
  fnmesh publish --type com.example.remind --at 2030-01-02T09:00:00Z

The mesh is found as by every command: FNMESH_URL (HTTP) and NATS_URL
(broker), else the ` + "`fnmesh up`" + ` running on the data directory
(FNMESH_DATA_DIR), else the default addresses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := f.event()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			var res map[string]any
			if f.direct {
				res, err = publishNATS(ctx, g, e)
			} else {
				res, err = publishHTTP(ctx, g.ingestURL(f.url, cmd.ErrOrStderr()), f.token, e)
			}
			if err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			dup := ""
			if d, _ := res["duplicate"].(bool); d {
				dup = " (duplicate: already stored)"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "stored %s %s in %v seq %v%s\n", e.Type(), e.ID(), res["stream"], res["seq"], dup)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "", "event type (required)")
	fl.StringVar(&f.source, "source", "/fnmesh/cli", "event source")
	fl.StringVar(&f.id, "id", "", "event id (default: a new UUID)")
	fl.StringVar(&f.subject, "subject", "", "event subject attribute")
	fl.StringVar(&f.data, "data", "", "event data")
	fl.StringVar(&f.dataFile, "data-file", "", "read event data from a file ('-' for stdin)")
	fl.StringVar(&f.contentType, "content-type", "", "datacontenttype (default application/json when data is JSON, else text/plain)")
	fl.StringVar(&f.dataschema, "dataschema", "", "dataschema URI")
	fl.StringArrayVarP(&f.ext, "ext", "e", nil, "extension attribute name=value (repeatable)")
	fl.StringVar(&f.url, "url", "", "ingest endpoint (default: <FNMESH_URL, else the `fnmesh up` of the data directory, else "+defaultHTTP+">/events)")
	fl.StringVar(&f.token, "token", os.Getenv("FNMESH_TOKEN"), "bearer token for ingest (env FNMESH_TOKEN)")
	fl.BoolVar(&f.direct, "nats", false, "publish straight to JetStream at NATS_URL instead of over HTTP")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long")
	fl.StringVar(&f.at, "at", "", "deliver at this RFC 3339 time (sets the deliverat extension; the stream needs schedules: true)")
	fl.DurationVar(&f.in, "in", 0, "deliver after this long, e.g. 10m (sets deliverat to now + this)")
	cmd.MarkFlagsMutuallyExclusive("at", "in")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

// ingestURL is --url when given; else, with FNMESH_URL unset, the ingest
// endpoint the running `fnmesh up` recorded (its mesh's ingest.path); else
// ingestURL of the HTTP base.
func (g *globals) ingestURL(flag string, stderr io.Writer) string {
	if flag == "" && os.Getenv(envURL) == "" && os.Getenv(envURLOld) == "" && g.found && g.running.Ingest != "" {
		return g.running.Ingest
	}
	return ingestURL(flag, g.httpBase(stderr))
}

// ingestURL is --url when given, else base with the ingest path; a base
// that has a path already (FNMESH_URL as the endpoint itself, as it once
// was) is used as it is.
func ingestURL(flag, base string) string {
	if flag != "" {
		return flag
	}
	if u, err := url.Parse(base); err == nil && strings.Trim(u.Path, "/") != "" {
		return base
	}
	return strings.TrimSuffix(base, "/") + triggers.DefaultIngestPath
}

func (f *publishFlags) event() (*event.Event, error) {
	e := event.New()
	e.SetType(f.typ)
	e.SetSource(f.source)
	if f.id == "" {
		f.id = uuid.NewString()
	}
	e.SetID(f.id)
	e.SetTime(time.Now().UTC())
	if f.subject != "" {
		e.SetSubject(f.subject)
	}
	if f.dataschema != "" {
		e.SetDataSchema(f.dataschema)
	}
	switch {
	case f.at != "":
		t, err := time.Parse(time.RFC3339Nano, f.at)
		if err != nil {
			return nil, fmt.Errorf("--at %q: must be an RFC 3339 time such as 2030-01-02T09:00:00Z", f.at)
		}
		e.SetExtension(broker.DeliverAtExtension, t.UTC().Format(time.RFC3339Nano))
	case f.in < 0:
		return nil, fmt.Errorf("--in %s: must not be negative", f.in)
	case f.in > 0:
		e.SetExtension(broker.DeliverAtExtension, time.Now().Add(f.in).UTC().Format(time.RFC3339Nano))
	}
	for _, kv := range f.ext {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--ext %q: must be name=value", kv)
		}
		if err := e.Context.SetExtension(k, v); err != nil {
			return nil, fmt.Errorf("--ext %q: %w", kv, err)
		}
	}
	data := []byte(f.data)
	switch {
	case f.dataFile == "-":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("--data-file -: %w", err)
		}
		data = b
	case f.dataFile != "":
		b, err := os.ReadFile(f.dataFile)
		if err != nil {
			return nil, fmt.Errorf("--data-file: %w", err)
		}
		data = b
	}
	if len(data) > 0 {
		ct := f.contentType
		if ct == "" {
			ct = "text/plain"
			if json.Valid(data) {
				ct = "application/json"
			}
		}
		e.SetDataContentType(ct)
		e.DataEncoded = data
	} else if f.contentType != "" {
		e.SetDataContentType(f.contentType)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("invalid event: %w", err)
	}
	return &e, nil
}

func publishHTTP(ctx context.Context, url, token string, e *event.Event) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %w", url, err)
	}
	if err := cehttp.WriteRequest(ctx, binding.ToMessage(e), req); err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// Run by an exec function, publish continues the function's trace
	// (TRACEPARENT and TRACESTATE, set by the exec adapter).
	telemetry.EnvPropagator().Inject(telemetry.ContextFromEnv(ctx, os.LookupEnv), propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post %s: %w (is `fnmesh up` running?)", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("post %s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	res := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &res); err != nil {
			return nil, fmt.Errorf("post %s: answer is not JSON: %w", url, err)
		}
	}
	res["status"] = resp.StatusCode
	return res, nil
}

func publishNATS(ctx context.Context, g *globals, e *event.Event) (map[string]any, error) {
	nc, err := broker.Connect(ctx, g.conn, "fnmesh-publish")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	var cfg broker.Config // the default subject prefix without a mesh file
	if m, err := loadMeshIfPresent(g.env.File); err != nil {
		return nil, err
	} else if m != nil {
		cfg = meshmap.Broker(m)
	}
	c, err := broker.New(nc, cfg)
	if err != nil {
		return nil, err
	}
	ack, err := c.Publish(ctx, e)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": e.ID(), "stream": ack.Stream, "seq": ack.Sequence, "duplicate": ack.Duplicate}, nil
}
