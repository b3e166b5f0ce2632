package config

// ClusterEnv makes the embedded server of `fnmesh up` one node of a NATS
// cluster: three or more `up` processes, one per machine, whose servers
// connect with routes (see docs/CLUSTER.md). Every setting is also a flag
// of `up` (--cluster-name, ...). Without FNMESH_CLUSTER_NAME the server
// runs alone.
type ClusterEnv struct {
	// ClusterName is the cluster's name, the same on every node.
	// FNMESH_CLUSTER_NAME, default empty: no cluster.
	ClusterName string `envconfig:"FNMESH_CLUSTER_NAME"`
	// ClusterAddr is the host:port the route listener binds.
	// FNMESH_CLUSTER_ADDR, default 0.0.0.0:6222.
	ClusterAddr string `envconfig:"FNMESH_CLUSTER_ADDR"`
	// ClusterRoutes are the route URLs of the nodes, comma-separated
	// (nats-route://host:6222,...); the same list may be given to every
	// node. FNMESH_CLUSTER_ROUTES.
	ClusterRoutes []string `envconfig:"FNMESH_CLUSTER_ROUTES"`
	// ClusterSecret is the password routes present and require; every
	// node sets the same. FNMESH_CLUSTER_SECRET, default empty: routes
	// are not authenticated.
	ClusterSecret string `envconfig:"FNMESH_CLUSTER_SECRET"`
	// ClusterSecretFile is a file holding the secret instead (white space
	// at either end is dropped). FNMESH_CLUSTER_SECRET_FILE.
	ClusterSecretFile string `envconfig:"FNMESH_CLUSTER_SECRET_FILE"`
	// ServerName names this node's NATS server and this node in `fnmesh
	// status`; the nodes need distinct names. FNMESH_SERVER_NAME, default
	// the host name on a cluster node. With NATS_URL it names this `up` in
	// the node registry the `up` processes of one mesh share (default the
	// host name and the process id).
	ServerName string `envconfig:"FNMESH_SERVER_NAME"`
}
