package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/fnmesh/fnmesh/internal/app"
)

// printCluster writes the cluster part of a status as tables: the nodes
// with the replicas each runs, then each stream's leader and followers.
// Nothing is written for a single server.
func printCluster(w io.Writer, c *app.ClusterStatus) error {
	if c == nil {
		return nil
	}
	if c.Name == "" {
		// `up` processes sharing an external server: the nodes are
		// theirs, the servers the operator's.
		fmt.Fprintf(w, "\nNODES sharing the external server (this node %s)\n", c.Server)
	} else {
		fmt.Fprintf(w, "\nCLUSTER %s (this node %s, meta leader %s)\n", c.Name, c.Server, orDash(c.MetaLeader))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tHTTP\tJETSTREAM\tREPLICAS")
	live := map[string]bool{}
	for _, n := range c.Nodes {
		live[n.Node] = true
		fns := make([]string, 0, len(n.Replicas))
		for fn, r := range n.Replicas {
			fns = append(fns, fmt.Sprintf("%s=%d", fn, r))
		}
		slices.Sort(fns)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n.Node, orDash(n.HTTP), peerState(c, n.Node), orDash(strings.Join(fns, " ")))
	}
	for _, p := range c.Peers {
		if !live[p.Name] {
			fmt.Fprintf(tw, "%s\t-\t%s\t(no fnmesh node)\n", p.Name, peerState(c, p.Name))
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "STREAM\tLEADER\tFOLLOWERS\tMESSAGES")
	for _, s := range c.Streams {
		var fs []string
		for _, r := range s.Replicas {
			st := "current"
			switch {
			case r.Offline:
				st = "offline"
			case !r.Current:
				st = fmt.Sprintf("lag %d", r.Lag)
			}
			fs = append(fs, r.Server+" ("+st+")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", s.Stream, orDash(s.Leader), orDash(strings.Join(fs, ", ")), s.Messages)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range c.Errors {
		fmt.Fprintln(w, "warning:", e)
	}
	return nil
}

// peerState is how the meta group sees server name.
func peerState(c *app.ClusterStatus, name string) string {
	for _, p := range c.Peers {
		if p.Name != name {
			continue
		}
		switch {
		case name == c.MetaLeader:
			return "meta leader"
		case p.Offline:
			return "offline"
		case p.Current:
			return "current"
		default:
			return "catching up"
		}
	}
	if c.Name == "" {
		return "external"
	}
	return "unknown"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
