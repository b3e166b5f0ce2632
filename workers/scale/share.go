package scale

// Peers is what the Scaler of one node of a cluster knows about the other
// nodes that scale the same functions. With Peers (WithPeers) the Scaler
// decides the mesh's total count from the backlog, which every node reads
// from the same consumer, counting the replicas of every node as the
// current count; it then runs only this node's Share of that total. The
// nodes thus run together what one node would run, and when a node leaves
// the live set the others' shares grow at their next poll.
type Peers interface {
	// Place returns this node's index among the live nodes (0-based, in
	// an order every node agrees on) and their number (at least 1, this
	// node included).
	Place() (index, nodes int)
	// Replicas returns how many replicas of fn the other live nodes run,
	// as they last reported.
	Replicas(fn string) int
}

// WithPeers makes the Scaler one of several that scale the same functions
// on the nodes of a cluster (see Peers). Nil: the Scaler runs the whole
// count itself (the default).
func WithPeers(p Peers) Option { return func(o *Options) { o.Peers = p } }

// Share is the part of total replicas that node index of nodes runs:
// total/nodes, and one more for the first total%nodes nodes. The shares of
// all nodes add up to total. Out-of-range arguments count as one node.
func Share(total, index, nodes int) int {
	if total <= 0 {
		return 0
	}
	if nodes < 1 || index < 0 || index >= nodes {
		return total
	}
	n := total / nodes
	if index < total%nodes {
		n++
	}
	return n
}

// place is this node's place among the live nodes, (0, 1) without Peers.
func (s *Scaler) place() (index, nodes int) {
	if s.peers == nil {
		return 0, 1
	}
	index, nodes = s.peers.Place()
	if nodes < 1 || index < 0 || index >= nodes {
		return 0, 1
	}
	return index, nodes
}

// others is how many replicas of fn the other nodes run.
func (s *Scaler) others(fn string) int {
	if s.peers == nil {
		return 0
	}
	return max(s.peers.Replicas(fn), 0)
}
