package config

import (
	"slices"

	"github.com/fnmesh/fnmesh/broker"
)

// ClusterReplicas is how many copies a stream keeps by default on a
// cluster of three or more nodes: a majority (two) survives the loss of
// any one node.
const ClusterReplicas = 3

// WithClusterReplicas returns m as it runs on a cluster of nodes servers:
// with three or more, every stream whose file does not set replicas keeps
// ClusterReplicas copies, and so does the dead-letter stream unless it
// sets its own (it takes the most replicas of the streams). The key-value
// buckets follow StreamReplicas. With fewer nodes it returns m itself.
// m is not modified.
func (m *Mesh) WithClusterReplicas(nodes int) *Mesh {
	if nodes < ClusterReplicas {
		return m
	}
	mc := *m
	mc.Streams = slices.Clone(m.Streams)
	for i := range mc.Streams {
		if mc.Streams[i].replicasDefaulted {
			mc.Streams[i].Replicas = min(ClusterReplicas, broker.MaxReplicas)
		}
	}
	if mc.DeadLetter.replicasDefaulted {
		mc.DeadLetter.Replicas = mc.StreamReplicas()
	}
	if mc.History.replicasDefaulted {
		mc.History.Replicas = mc.StreamReplicas()
	}
	return &mc
}
