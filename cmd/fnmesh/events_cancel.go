package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/app/api"
)

// addScheduledCmds adds `events cancel ID` and `events scheduled` to the
// events command; base is its --addr.
func addScheduledCmds(events *cobra.Command, g *globals, base *string) {
	var source string
	cancel := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a scheduled event (one posted with deliverat) before its time",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/scheduled/" + url.PathEscape(args[0])
			if source != "" {
				path += "?" + url.Values{"source": {source}}.Encode()
			}
			var res struct {
				ID        string `json:"id"`
				Cancelled int    `json:"cancelled"`
			}
			if err := apiDo(cmd.Context(), g, http.MethodDelete, *base, path, &res); err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "cancelled %d scheduled event(s) with id %s\n", res.Cancelled, res.ID)
			return err
		},
	}
	cancel.Flags().StringVar(&source, "source", "", "only the event of this source (default: every source with this id)")
	var limit int
	list := &cobra.Command{
		Use:   "scheduled",
		Short: "List the events waiting for their deliverat time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res struct {
				Scheduled []struct {
					ID        string    `json:"id"`
					Source    string    `json:"source"`
					Type      string    `json:"type"`
					DeliverAt time.Time `json:"deliverat"`
					Subject   string    `json:"subject"`
				} `json:"scheduled"`
			}
			if err := apiDo(cmd.Context(), g, http.MethodGet, *base, fmt.Sprintf("/api/v1/scheduled?limit=%d", limit), &res); err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			for _, s := range res.Scheduled {
				fmt.Fprintf(cmd.OutOrStdout(), "%s  %s  %s  %s  %s\n", s.DeliverAt.Format(time.RFC3339), s.ID, s.Type, s.Source, s.Subject)
			}
			return nil
		},
	}
	list.Flags().IntVar(&limit, "limit", 100, "at most this many")
	events.AddCommand(cancel, list)
}

// apiDo calls the API with method and decodes a 200 answer into v.
func apiDo(ctx context.Context, g *globals, method, base, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := strings.TrimSuffix(base, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	if token := g.env.OperationsToken(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w (is `fnmesh up` running?)", method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e api.Error
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, u, resp.Status)
	}
	return json.Unmarshal(body, v)
}
