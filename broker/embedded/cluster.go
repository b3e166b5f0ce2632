package embedded

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Defaults of ClusterConfig.
const (
	// DefaultClusterAddr is the route listener of a cluster node: every
	// interface, NATS's usual cluster port.
	DefaultClusterAddr = "0.0.0.0:6222"
	// DefaultServerName names a single server (no cluster). A cluster node
	// defaults to the machine's host name.
	DefaultServerName = "fnmesh"
	// routeUser is the user routes authenticate as when a secret is set.
	routeUser = "fnmesh-route"
)

// metaPoll is how often WaitJetStream looks for a JetStream meta leader.
const metaPoll = 100 * time.Millisecond

// ClusterConfig makes the embedded server one node of a NATS cluster: the
// nodes connect with routes and run JetStream's RAFT groups among
// themselves (nats-server's own clustering; fnmesh adds nothing to it).
type ClusterConfig struct {
	// Name is the cluster's name, the same on every node. Empty: the
	// server runs alone and the other fields must be empty.
	Name string
	// Addr is the host:port the route listener binds; port 0 picks a free
	// port. Default DefaultClusterAddr.
	Addr string
	// Routes are the route URLs of the other nodes
	// (nats-route://host:port). The same list may be given to every node:
	// a URL of the node itself is recognised (see Nodes) and the server
	// ignores its own route.
	Routes []string
	// Secret, when set, is the password every route presents and requires
	// (user "fnmesh-route"); every node must be given the same. Without it
	// anyone who reaches Addr can join the cluster.
	Secret string
}

// Clustered reports whether c makes the server a cluster node.
func (c ClusterConfig) Clustered() bool { return c.Name != "" }

// clusterErrors reports every cluster setting of cfg (ServerName and
// Cluster) that breaks a rule; each error names the field.
func (cfg Config) clusterErrors() []error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("embedded server: %s: %s", field, fmt.Sprintf(format, a...)))
	}
	if strings.ContainsFunc(cfg.ServerName, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		bad("ServerName", "must not contain white space or control characters, got %q", cfg.ServerName)
	}
	c := cfg.Cluster
	if c.Name == "" {
		if c.Addr != "" || len(c.Routes) > 0 || c.Secret != "" {
			bad("Cluster.Name", "required when a cluster address, routes or a secret are set")
		}
		return errs
	}
	if strings.ContainsFunc(c.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		bad("Cluster.Name", "must not contain white space or control characters, got %q", c.Name)
	}
	if c.Addr != "" {
		if _, _, err := splitAddr(c.Addr); err != nil {
			bad("Cluster.Addr", "%q: %v", c.Addr, err)
		}
	}
	for i, r := range c.Routes {
		if _, err := routeURL(r); err != nil {
			bad(fmt.Sprintf("Cluster.Routes[%d]", i), "%q: %v", r, err)
		}
	}
	return errs
}

// routeURL parses one route URL: nats-route://, nats:// or tls:// with a
// host and a port.
func routeURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("must be a URL such as nats-route://host:6222")
	}
	switch {
	case !slices.Contains([]string{"nats-route", "nats", "tls"}, u.Scheme):
		return nil, errors.New("scheme must be nats-route, nats or tls")
	case u.Hostname() == "" || u.Port() == "":
		return nil, errors.New("must name a host and a port")
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return nil, errors.New("port must be a number between 1 and 65535")
	}
	return u, nil
}

// Nodes is the size of the cluster c describes: this node plus every
// distinct route that does not lead back to it (1 without a cluster). A
// route leads back to this node when its port is the port of Addr and its
// host is Addr's host, or any local address when Addr listens on every
// interface.
func (c ClusterConfig) Nodes() int {
	if !c.Clustered() {
		return 1
	}
	host, port, err := splitAddr(cmp.Or(c.Addr, DefaultClusterAddr))
	if err != nil {
		return 1
	}
	seen := map[string]bool{}
	for _, r := range c.Routes {
		u, err := routeURL(r)
		if err != nil {
			continue
		}
		hp := net.JoinHostPort(strings.ToLower(u.Hostname()), u.Port())
		if seen[hp] || (u.Port() == strconv.Itoa(port) && isSelf(host, u.Hostname())) {
			continue
		}
		seen[hp] = true
	}
	return 1 + len(seen)
}

// isSelf reports whether a route to host reaches a listener bound to
// listen on this machine.
func isSelf(listen, host string) bool {
	if strings.EqualFold(listen, host) {
		return true
	}
	ip := net.ParseIP(listen)
	if listen != "" && (ip == nil || !ip.IsUnspecified()) {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if name, err := os.Hostname(); err == nil && strings.EqualFold(host, name) {
		return true
	}
	hip := net.ParseIP(host)
	if hip == nil {
		return false
	}
	if hip.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(hip) {
			return true
		}
	}
	return false
}

// serverName is the name the server runs under: cfg's, or for a cluster
// node the host name (names must differ between the nodes).
func serverName(cfg Config) string {
	if cfg.ServerName != "" {
		return cfg.ServerName
	}
	if cfg.Cluster.Clustered() {
		if h, err := os.Hostname(); err == nil && h != "" {
			return h
		}
	}
	return DefaultServerName
}

// applyCluster sets the route listener, the routes and their
// authentication of c on opts.
func applyCluster(opts *server.Options, c ClusterConfig) {
	if !c.Clustered() {
		return
	}
	host, port, _ := splitAddr(cmp.Or(c.Addr, DefaultClusterAddr)) // checked by Validate
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts.Cluster.Name, opts.Cluster.Host, opts.Cluster.Port = c.Name, host, port
	// Clients of a node are its own workers, with its own credentials:
	// the other nodes' client URLs are not advertised to them.
	opts.Cluster.NoAdvertise = true
	if c.Secret != "" {
		opts.Cluster.Username, opts.Cluster.Password = routeUser, c.Secret
	}
	for _, r := range c.Routes {
		u, _ := routeURL(r) // checked by Validate
		if c.Secret != "" && u.User == nil {
			u.User = url.UserPassword(routeUser, c.Secret)
		}
		opts.Routes = append(opts.Routes, u)
	}
}

// ClusterInfo is what a node knows about its cluster.
type ClusterInfo struct {
	// Name is the cluster's name ("" for a single server).
	Name string `json:"name,omitempty"`
	// Server is this node's server name.
	Server string `json:"server"`
	// MetaLeader is the server name of the JetStream meta leader ("" while
	// none is elected).
	MetaLeader string `json:"metaLeader,omitempty"`
	// Peers are the JetStream peers the meta group knows, this node
	// included, sorted by name.
	Peers []Peer `json:"peers,omitempty"`
}

// Peer is one JetStream server of the cluster.
type Peer struct {
	// Name is the server name.
	Name string `json:"name"`
	// Current is true when the peer is caught up with the meta leader.
	Current bool `json:"current"`
	// Offline is true when the peer has not been seen recently.
	Offline bool `json:"offline,omitempty"`
}

// Cluster reports the JetStream meta group as this node sees it.
func (s *Server) Cluster() ClusterInfo {
	ci := ClusterInfo{Name: s.srv.ClusterName(), Server: s.srv.Name()}
	if !s.srv.JetStreamIsClustered() {
		ci.Name = ""
		return ci
	}
	jsi, err := s.srv.Jsz(&server.JSzOptions{})
	if err != nil || jsi.Meta == nil {
		return ci
	}
	ci.MetaLeader = jsi.Meta.Leader
	peers := []Peer{{Name: s.srv.Name(), Current: ci.MetaLeader != "", Offline: false}}
	for _, p := range jsi.Meta.Replicas {
		if p != nil && p.Name != s.srv.Name() {
			peers = append(peers, Peer{Name: p.Name, Current: p.Current, Offline: p.Offline})
		}
	}
	slices.SortFunc(peers, func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	ci.Peers = peers
	return ci
}

// ClusterAddr is the address the route listener is bound to, or nil for a
// single server.
func (s *Server) ClusterAddr() net.Addr {
	if a := s.srv.ClusterAddr(); a != nil {
		return a
	}
	return nil
}

// WaitJetStream waits until JetStream can take requests: at once for a
// single server; on a cluster once a meta leader is elected (which needs
// a majority of the nodes) and this node has caught up with it. It
// returns ctx's error if ctx ends first.
func (s *Server) WaitJetStream(ctx context.Context) error {
	t := time.NewTicker(metaPoll)
	defer t.Stop()
	for {
		if !s.srv.JetStreamIsClustered() || (s.Cluster().MetaLeader != "" && s.srv.JetStreamIsCurrent()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedded server: no JetStream meta leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}
