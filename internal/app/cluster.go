package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/app/nodes"
	"github.com/fnmesh/fnmesh/internal/config"
)

// DefaultClusterWait bounds how long a node of an embedded cluster waits
// at start for a JetStream meta leader that knows enough nodes to place
// the streams (a majority of the nodes must be running), and then for the
// streams to be declared.
const DefaultClusterWait = 2 * time.Minute

// declareRetry is the pause between two attempts at declaring the streams
// while a young cluster cannot place them yet.
const declareRetry = 500 * time.Millisecond

// declareAttempt bounds one attempt at declaring the mesh on a cluster.
const declareAttempt = 10 * time.Second

// clusterConfig is the embedded server's cluster settings from the
// environment and flags; the secret comes from FNMESH_CLUSTER_SECRET or
// the file FNMESH_CLUSTER_SECRET_FILE names, never from a flag.
func clusterConfig(env config.Env) (embedded.ClusterConfig, error) {
	c := embedded.ClusterConfig{
		Name: env.ClusterName, Addr: env.ClusterAddr, Secret: env.ClusterSecret,
	}
	for _, r := range env.ClusterRoutes {
		if r = strings.TrimSpace(r); r != "" {
			c.Routes = append(c.Routes, r)
		}
	}
	if env.ClusterSecretFile != "" {
		if env.ClusterSecret != "" {
			return c, errors.New("app: FNMESH_CLUSTER_SECRET and FNMESH_CLUSTER_SECRET_FILE: set one, not both")
		}
		b, err := os.ReadFile(env.ClusterSecretFile)
		if err != nil {
			return c, fmt.Errorf("app: FNMESH_CLUSTER_SECRET_FILE: %w", err)
		}
		if c.Secret = strings.TrimSpace(string(b)); c.Secret == "" {
			return c, fmt.Errorf("app: FNMESH_CLUSTER_SECRET_FILE %s: the file is empty", env.ClusterSecretFile)
		}
	}
	return c, nil
}

// clusterErrors reports the cluster settings that cannot work with the
// rest of cfg.
func (c *Config) clusterErrors() []error {
	if c.Env.ClusterName == "" {
		return nil
	}
	if c.NATS.URL != "" {
		return []error{errors.New("app: FNMESH_CLUSTER_NAME: an embedded cluster needs the embedded server; unset NATS_URL (or join the external cluster through NATS_URL alone)")}
	}
	return nil
}

// clusterReplicas is the number of copies the streams need the meta group
// to know servers for: min(3, nodes).
func clusterReplicas(nodes int) int { return min(config.ClusterReplicas, nodes) }

// waitCluster waits, within Config.ClusterWait, until the embedded
// server's JetStream has a meta leader and knows at least as many servers
// as the streams keep copies, so that they can be declared.
func (a *App) waitCluster(ctx context.Context, c embedded.ClusterConfig) error {
	if !c.Clustered() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ClusterWait)
	defer cancel()
	need := clusterReplicas(c.Nodes())
	a.log.Info("cluster: waiting for a JetStream meta leader", "cluster", c.Name, "nodes", c.Nodes(), "bound", a.cfg.ClusterWait)
	t := time.NewTicker(declareRetry)
	defer t.Stop()
	for {
		err := a.emb.WaitJetStream(ctx)
		ci := a.emb.Cluster()
		if err == nil && len(ci.Peers) >= need {
			a.log.Info("cluster: JetStream ready", "meta_leader", ci.MetaLeader, "peers", len(ci.Peers))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("app: cluster %s: no JetStream meta leader knowing %d servers after %s (meta leader %q, %d known): a majority of the %d nodes must run and reach each other on their routes (FNMESH_CLUSTER_ROUTES, FNMESH_CLUSTER_ADDR)",
				c.Name, need, a.cfg.ClusterWait, ci.MetaLeader, len(ci.Peers), c.Nodes())
		case <-t.C:
		}
	}
}

// declareOnCluster declares the mesh and the node registry, trying again
// within ClusterWait while a young cluster cannot place them yet (three
// nodes creating the same R3 streams at once can take seconds).
func (a *App) declareOnCluster(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ClusterWait)
	defer cancel()
	for {
		// Each attempt has its own bound: a request made while the routes'
		// interest is still spreading may go unanswered.
		actx, acancel := context.WithTimeout(ctx, declareAttempt)
		applied, err := Apply(actx, a.client, a.m)
		if err == nil {
			a.applied = applied
			err = a.startNodes(actx, a.emb.Cluster().Server)
		}
		acancel()
		if err == nil {
			return nil
		}
		a.log.Warn("cluster: streams not declared yet; trying again", "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("app: declare on the cluster within %s: %w", a.cfg.ClusterWait, err)
		case <-time.After(declareRetry):
		}
	}
}

// startNodes registers this node in the node registry of the cluster so
// that the scalers of all nodes share the replica count. It writes the
// first record and reads the others' before any scaler is built.
func (a *App) startNodes(ctx context.Context, node string) error {
	kv, err := a.client.KeyValue(ctx, meshmap.KV(a.m, broker.KVConfig{
		Bucket: nodes.Bucket, Description: "live fnmesh nodes", TTL: nodes.TTL, Memory: true,
	}))
	if err != nil {
		return fmt.Errorf("app: node registry: %w", err)
	}
	reg, err := nodes.New(kv, nodes.Config{Node: node, HTTP: a.cfg.Env.HTTPAddr, Replicas: a.localReplicas}, a.log)
	if err != nil {
		return err
	}
	if err := reg.Refresh(ctx); err != nil {
		a.log.Warn("cluster: node registry not read yet", "err", err)
	}
	a.nodes = reg
	return nil
}

// runsFunctions reports whether this `up` runs the mesh's functions.
func (a *App) runsFunctions() bool { return !a.cfg.NoFunctions && len(a.m.Functions) > 0 }

// nodeName names this `up` in the node registry of an external server:
// FNMESH_SERVER_NAME when set, else the host name and the process id, so
// that two `up` on one machine are two nodes.
func (a *App) nodeName() string {
	if a.cfg.Env.ServerName != "" {
		return a.cfg.Env.ServerName
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "fnmesh"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// localReplicas is the number of replicas each function runs on this node.
func (a *App) localReplicas() map[string]int {
	out := map[string]int{}
	for _, sc := range a.scalers {
		for _, f := range sc.Status() {
			out[f.Function] = f.NodeActual
		}
	}
	return out
}

// ClusterStatus is the cluster part of GET /status.
type ClusterStatus struct {
	// Name is the cluster's name.
	Name string `json:"name"`
	// Server is this node's server name.
	Server string `json:"server"`
	// MetaLeader is the server that leads the JetStream meta group.
	MetaLeader string `json:"metaLeader,omitempty"`
	// Peers are the JetStream servers of the cluster.
	Peers []embedded.Peer `json:"peers"`
	// Nodes are the live `fnmesh up` nodes and the replicas each runs.
	Nodes []nodes.Record `json:"nodes"`
	// Streams are the streams of the mesh with their leader and followers.
	Streams []broker.StreamPlacement `json:"streams"`
	// Errors are the parts that could not be read (a stream without a
	// leader during an election).
	Errors []string `json:"errors,omitempty"`
}

// clusterStatus reads the cluster as this node sees it; nil without an
// embedded cluster.
func (a *App) clusterStatus(ctx context.Context) *ClusterStatus {
	if a.nodes == nil {
		return nil
	}
	st := &ClusterStatus{Nodes: a.nodes.Nodes(), Streams: []broker.StreamPlacement{}}
	if a.emb != nil {
		ci := a.emb.Cluster()
		st.Name, st.Server, st.MetaLeader, st.Peers = ci.Name, ci.Server, ci.MetaLeader, ci.Peers
	} else {
		// An external server: this `up` is a node of the registry, and
		// the servers are the operator's.
		st.Server = a.nodes.Node()
	}
	if err := a.nodes.Err(); err != nil {
		st.Errors = append(st.Errors, "nodes: "+err.Error())
	}
	for _, s := range a.applied.Streams {
		p, err := a.client.StreamPlacement(ctx, s)
		if err != nil {
			st.Errors = append(st.Errors, err.Error())
			p = broker.StreamPlacement{Stream: s}
		}
		st.Streams = append(st.Streams, p)
	}
	return st
}
