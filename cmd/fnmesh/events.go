package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/history"
)

// tailRetry is how long `events tail` waits before it reconnects a run
// stream that ended.
const tailRetry = time.Second

func newEventsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "What happened to events: one event with its runs, or the runs as they happen (from a running `fnmesh up`)"}
	var base string
	cmd.PersistentFlags().StringVar(&base, "addr", envOr("FNMESH_ADDR", "http://127.0.0.1:8080"), "base URL of the running mesh (env FNMESH_ADDR)")
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show an event: its attributes and data, and every run of it by every function",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v api.EventView
			if err := apiCall(cmd.Context(), g, base, "/api/v1/events/"+url.PathEscape(args[0]), &v); err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(v)
			}
			out := cmd.OutOrStdout()
			for _, s := range v.Stored {
				fmt.Fprintf(out, "stored in %s at seq %d (%s), %s\n", s.Stream, s.Seq, s.Subject, s.Time.Format(time.RFC3339Nano))
				var pretty bytes.Buffer
				_ = json.Indent(&pretty, s.Event, "", "  ")
				fmt.Fprintf(out, "%s\n", pretty.Bytes())
			}
			fmt.Fprintln(out)
			return printRuns(out, v.Runs)
		},
	}
	var fn, outcome, typ, cesql string
	tail := &cobra.Command{
		Use:   "tail",
		Short: "Print runs as they are recorded (follows the mesh's run stream), until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"function": fn, "outcome": outcome, "type": typ, "cesql": cesql} {
				if v != "" {
					q.Set(k, v)
				}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			return tailRuns(cmd.Context(), g, base, q, func(r history.Record) {
				if g.output == "json" {
					_ = enc.Encode(r)
				} else {
					fmt.Fprintln(cmd.OutOrStdout(), runLine(r))
				}
			})
		},
	}
	tail.Flags().StringVar(&fn, "function", "", "only this function's runs")
	tail.Flags().StringVar(&outcome, "outcome", "", "only runs with this outcome: ok, retry or deadletter")
	tail.Flags().StringVar(&typ, "type", "", "only runs of events of this type")
	tail.Flags().StringVar(&cesql, "cesql", "", "only runs of events this CloudEvents SQL expression selects (evaluated by the mesh on the stored event)")
	cmd.AddCommand(get, tail, newReplayCmd(g))
	addScheduledCmds(cmd, g, &base)
	return cmd
}

func newReplayCmd(g *globals) *cobra.Command {
	var fn, since, until, cesql string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Send stored events of a time range again to one function (the others do not handle them again)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, m, closeFn, err := connectMesh(cmd, g)
			if err != nil {
				return err
			}
			defer closeFn()
			body, _ := json.Marshal(map[string]any{"function": fn, "since": since, "until": until, "cesql": cesql, "dryRun": dryRun})
			fns, err := app.APIFunctions(m)
			if err != nil {
				return err
			}
			spec, err := api.ParseReplay(bytes.NewReader(body), fns, time.Now())
			if err != nil {
				return fmt.Errorf("--%w", err)
			}
			errOut := cmd.ErrOrStderr()
			last := time.Now()
			spec.Progress = func(n int) {
				if time.Since(last) >= time.Second {
					fmt.Fprintf(errOut, "\r%d events", n)
					last = time.Now()
				}
			}
			n, err := c.Replay(cmd.Context(), spec)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(api.Replayed{Count: n, DryRun: dryRun, Function: fn})
			}
			verb := "replayed"
			if dryRun {
				verb = "dry run: would replay"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "\r%s %d events to %s\n", verb, n, fn)
			return err
		},
	}
	cmd.Flags().StringVar(&fn, "function", "", "the one function that handles the events again (required)")
	cmd.Flags().StringVar(&since, "since", "", "events stored since: a duration back from now (1h) or an RFC 3339 time (required)")
	cmd.Flags().StringVar(&until, "until", "", "events stored before: a duration back from now or an RFC 3339 time")
	cmd.Flags().StringVar(&cesql, "cesql", "", "only events this CloudEvents SQL expression selects")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count the events, send nothing")
	return cmd
}

func printRuns(w io.Writer, runs []history.Record) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tFUNCTION\tATTEMPT\tOUTCOME\tDURATION\tREPLICA\tTRACE\tERROR")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Time.Format(time.RFC3339Nano), r.Function, r.Attempt, r.Outcome, r.Duration, r.Replica, r.TraceID, r.Error)
	}
	return tw.Flush()
}

func runLine(r history.Record) string {
	s := fmt.Sprintf("%s  %-20s %-10s #%d %-8s %-12s %s", r.Time.Format(time.RFC3339Nano), r.Function, r.Outcome, r.Attempt, r.Duration, r.EventID, r.Type)
	if r.Error != "" {
		s += "  error: " + r.Error
	}
	return s
}

// apiCall GETs path of the mesh's API into v; an error answer becomes an
// error naming the field at fault.
func apiCall(ctx context.Context, g *globals, base, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := strings.TrimSuffix(base, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if token := g.env.OperationsToken(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w (is `fnmesh up` running?)", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("get %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e api.Error
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			if e.Field != "" {
				return fmt.Errorf("%s: %s", e.Field, e.Error)
			}
			return errors.New(e.Error)
		}
		return fmt.Errorf("get %s: %s", u, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("get %s: %w", u, err)
	}
	return nil
}

// tailRuns follows GET /api/v1/stream with q and calls show for every run,
// until ctx ends. A stream that breaks is reconnected after the last run
// it sent (Last-Event-ID); bad input is an error naming its flag.
func tailRuns(ctx context.Context, g *globals, base string, q url.Values, show func(history.Record)) error {
	u := strings.TrimSuffix(base, "/") + "/api/v1/stream?" + q.Encode()
	last := ""
	for {
		err := followStream(ctx, g, u, &last, show)
		if ctx.Err() != nil {
			return nil
		}
		var fe *api.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("--%s: %s", fe.Field, fe.Rule)
		}
		if err != nil && last == "" {
			return err // never connected: say why
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(tailRetry):
		}
	}
}

// followStream reads one connection of the run stream; *last is the id of
// the last batch seen.
func followStream(ctx context.Context, g *globals, u string, last *string, show func(history.Record)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if *last != "" {
		req.Header.Set("Last-Event-ID", *last)
	}
	if token := g.env.OperationsToken(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w (is `fnmesh up` running?)", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e api.Error
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			if e.Field != "" {
				return &api.FieldError{Field: e.Field, Rule: e.Error}
			}
			return errors.New(e.Error)
		}
		return fmt.Errorf("get %s: %s", u, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var name, data, id string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if name == "run" {
				var r history.Record
				if json.Unmarshal([]byte(data), &r) == nil {
					show(r)
				}
			}
			if id != "" {
				*last = id
			}
			name, data, id = "", "", ""
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		}
	}
	return sc.Err()
}
