package nodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/workers/scale"
)

// Bucket is the key-value bucket the records live in.
const Bucket = "fnmesh_nodes"

// Timing of the records.
const (
	// TTL is how long a record lives after its last write: a node that
	// died is out of the live set, and its share taken over, at most TTL
	// plus one Heartbeat after its last write. It is well under the
	// scalers' default cooldown.
	TTL = 5 * time.Second
	// Heartbeat is how often a node writes its record and reads the
	// others'.
	Heartbeat = time.Second
)

// Store is the key-value API a Registry uses; jetstream.KeyValue is one.
type Store interface {
	Put(ctx context.Context, key string, value []byte) (uint64, error)
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
	ListKeys(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyLister, error)
}

// Record is what a node says about itself.
type Record struct {
	// Node is the node's name (its NATS server name on an embedded
	// cluster).
	Node string `json:"node"`
	// HTTP is the address its triggers listen on.
	HTTP string `json:"http,omitempty"`
	// Replicas is the number of replicas each function runs on the node.
	Replicas map[string]int `json:"replicas"`
	// Started is when the node started.
	Started time.Time `json:"started"`
	// Written is when the record was last stored (the server's clock).
	Written time.Time `json:"written,omitzero"`
}

// Config is one node's part in the registry.
type Config struct {
	// Node names this node; names are unique within the cluster. Required.
	Node string
	// HTTP is the address its triggers listen on (shown by status).
	HTTP string
	// Replicas reports the replicas each function runs on this node; it
	// is called before every write. Nil reports none.
	Replicas func() map[string]int
	// Heartbeat is how often the record is written. Default Heartbeat;
	// it must stay well under the bucket's TTL.
	Heartbeat time.Duration
}

// Registry is this node's view of the live nodes. It is safe for
// concurrent use; Run keeps it current.
type Registry struct {
	kv    Store
	cfg   Config
	key   string
	log   *slog.Logger
	start time.Time

	mu     sync.Mutex
	others map[string]Record // by node name, without this node
	err    error             // of the last refresh
}

var _ scale.Peers = (*Registry)(nil)

// New builds the registry of cfg.Node on kv (the Bucket, created with TTL
// as its max age). log nil discards.
func New(kv Store, cfg Config, log *slog.Logger) (*Registry, error) {
	if kv == nil {
		return nil, errors.New("nodes: store is nil")
	}
	if strings.TrimSpace(cfg.Node) == "" {
		return nil, errors.New("nodes: Node: required")
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = Heartbeat
	}
	if cfg.Heartbeat < 0 {
		return nil, fmt.Errorf("nodes: Heartbeat: must be positive, got %s", cfg.Heartbeat)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{kv: kv, cfg: cfg, key: Key(cfg.Node), log: log, start: time.Now(), others: map[string]Record{}}, nil
}

// invalidKey matches what a key-value key may not hold.
var invalidKey = regexp.MustCompile(`[^A-Za-z0-9_=/-]`)

// Key is the key of node's record: its name with every byte a key may not
// hold replaced by '_' (dots would make a hierarchy).
func Key(node string) string { return invalidKey.ReplaceAllString(node, "_") }

// Run writes this node's record and reads the others' every Heartbeat
// until ctx ends, then deletes the record so that the others take over at
// once. It returns nil; failures are logged and retried.
func (r *Registry) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Heartbeat)
	defer t.Stop()
	var failing bool
	for {
		err := r.Refresh(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil && !failing:
			r.log.Warn("nodes: cannot reach the node registry; keeping the last view", "err", err)
		case err == nil && failing:
			r.log.Info("nodes: node registry reachable again", "nodes", r.names())
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), r.cfg.Heartbeat)
			defer cancel()
			if err := r.kv.Delete(dctx, r.key); err != nil {
				r.log.Debug("nodes: record not deleted; it expires", "err", err)
			}
			return nil
		case <-t.C:
		}
	}
}

// Refresh writes this node's record and reads the others' once. Run calls
// it every Heartbeat; call it before the scalers start, so that a node
// joining a cluster knows its place before it runs anything.
func (r *Registry) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Heartbeat)
	defer cancel()
	b, err := json.Marshal(r.self())
	if err != nil {
		return fmt.Errorf("nodes: encode record: %w", err)
	}
	if _, err := r.kv.Put(ctx, r.key, b); err != nil {
		return fmt.Errorf("nodes: write record: %w", err)
	}
	others, err := r.read(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	if err != nil {
		return err
	}
	if added, gone := diff(r.others, others); len(added)+len(gone) > 0 {
		r.log.Info("nodes: live set changed", "joined", added, "left", gone, "nodes", len(others)+1)
	}
	r.others = others
	return nil
}

// read lists the records the bucket holds, without this node's.
func (r *Registry) read(ctx context.Context) (map[string]Record, error) {
	kl, err := r.kv.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return map[string]Record{}, nil
		}
		return nil, fmt.Errorf("nodes: list records: %w", err)
	}
	defer func() { _ = kl.Stop() }()
	out := map[string]Record{}
	for key := range kl.Keys() {
		if key == r.key {
			continue
		}
		e, err := r.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired or deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("nodes: read record %s: %w", key, err)
		}
		var rec Record
		if err := json.Unmarshal(e.Value(), &rec); err != nil || rec.Node == "" {
			r.log.Debug("nodes: ignoring a record that does not decode", "key", key, "err", err)
			continue
		}
		rec.Written = e.Created()
		out[rec.Node] = rec
	}
	return out, ctx.Err()
}

func diff(before, after map[string]Record) (added, gone []string) {
	for n := range after {
		if _, ok := before[n]; !ok {
			added = append(added, n)
		}
	}
	for n := range before {
		if _, ok := after[n]; !ok {
			gone = append(gone, n)
		}
	}
	slices.Sort(added)
	slices.Sort(gone)
	return added, gone
}

// self is this node's record now.
func (r *Registry) self() Record {
	rec := Record{Node: r.cfg.Node, HTTP: r.cfg.HTTP, Started: r.start, Replicas: map[string]int{}}
	if r.cfg.Replicas != nil {
		rec.Replicas = maps.Clone(r.cfg.Replicas())
	}
	return rec
}

// Node is this node's name.
func (r *Registry) Node() string { return r.cfg.Node }

// Nodes are the live nodes, this one included, sorted by name.
func (r *Registry) Nodes() []Record {
	r.mu.Lock()
	out := slices.Collect(maps.Values(r.others))
	r.mu.Unlock()
	out = append(out, r.self())
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Node, b.Node) })
	return out
}

// Err is the error of the last refresh (nil when it succeeded): the view
// is then the last one read.
func (r *Registry) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Registry) names() []string {
	var out []string
	for _, n := range r.Nodes() {
		out = append(out, n.Node)
	}
	return out
}

// Place is this node's index among the live nodes sorted by name, and
// their number.
func (r *Registry) Place() (index, nodes int) {
	names := r.names()
	return slices.Index(names, r.cfg.Node), len(names)
}

// Replicas is the number of replicas of fn the other live nodes reported.
func (r *Registry) Replicas(fn string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.others {
		n += rec.Replicas[fn]
	}
	return n
}
