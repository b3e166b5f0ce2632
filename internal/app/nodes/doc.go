// Package nodes is how the `fnmesh up` processes of a cluster know each
// other: each node keeps a record (its name, HTTP address and the
// replicas it runs) in a JetStream key-value bucket whose entries expire
// (Bucket, TTL), writes it again every Heartbeat, and reads the others'.
// A node that stops cleanly deletes its record; one that dies drops out
// when its record expires.
//
// The live set orders the nodes by name, which gives every node its
// place: a Registry is the scale.Peers of the node's scalers, so that the
// scalers of all nodes together run the replica count one node would run
// (scale.Share), and a dead node's share is taken over once its record
// has expired. The registry uses JetStream's own replication (the bucket
// keeps the replicas of the mesh's streams), not a mechanism of its own;
// it elects nobody.
package nodes
