package app

import (
	"cmp"
	"context"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// connect starts the embedded server, or connects to the external one at
// cfg.NATS.URL, and builds the broker client on that connection.
func (a *App) connect(ctx context.Context) error {
	if a.cfg.NATS.URL != "" {
		nc, err := broker.Connect(ctx, meshmap.Conn(a.cfg.NATS), "fnmesh-up", a.connEvents()...)
		if err != nil {
			return err
		}
		a.nc, a.natsURL = nc, a.cfg.NATS.URL
		for _, s := range a.m.Streams {
			if s.Sync == "always" {
				a.log.Warn("stream sync: always applies to the embedded server only; on an external server set sync_interval: always in its JetStream config", "stream", s.Name)
			}
		}
	} else if err := a.startEmbedded(ctx); err != nil {
		return err
	}
	c, err := broker.New(a.nc, meshmap.Broker(a.m), broker.WithLogger(a.log),
		broker.WithHooks(broker.PublishHooks{Before: a.tel.BeforePublish}))
	if err != nil {
		return err
	}
	a.client = c
	return nil
}

// startEmbedded starts the embedded server with the credentials of its
// data directory (generated the first time), connects to it in process and
// writes the nats CLI context Env.NATSContext names. A cluster node's
// streams keep min(3, nodes) copies unless the file says otherwise, and
// it waits for the cluster's JetStream before anything is declared.
func (a *App) startEmbedded(ctx context.Context) error {
	env := a.cfg.Env
	cluster, err := clusterConfig(env)
	if err != nil {
		return err
	}
	creds, err := embedded.DataDirCredentials(env.DataDir)
	if err != nil {
		return err
	}
	if cluster.Clustered() {
		a.m = a.m.WithClusterReplicas(cluster.Nodes())
	}
	emb, err := embedded.Start(embedded.Config{
		DataDir: env.DataDir, Host: env.NATSHost, Port: env.NATSPort, SyncAlways: meshmap.SyncAlways(a.m),
		Auth: &creds, TLSCert: env.NATSTLSCert, TLSKey: env.NATSTLSKey, MonitorAddr: env.NATSMonitorAddr,
		ServerName: env.ServerName, Cluster: cluster,
	}, a.log)
	if err != nil {
		return err
	}
	a.emb, a.cluster = emb, cluster
	if err := a.waitCluster(ctx, cluster); err != nil {
		return err
	}
	nc, err := emb.Connect("fnmesh-up", a.connEvents()...)
	if err != nil {
		return err
	}
	a.nc, a.natsURL = nc, emb.ClientURL()
	a.embNATS = workerenv.NATS{URL: a.natsURL, User: creds.User, Password: creds.Password}
	if env.NATSTLSCert != "" {
		a.embNATS.CA = cmp.Or(env.NATSTLSCA, env.NATSTLSCert)
	}
	if env.NATSContext != "" {
		path, err := writeNATSContext(env.NATSContext, env.DataDir, a.embNATS)
		if err != nil {
			return err
		}
		a.log.Info("nats CLI context written", "path", path, "use", "nats --context "+env.NATSContext+" stream ls")
	}
	return nil
}

// connEvents log what happens to up's connection (instead of nats.go
// printing asynchronous errors on stderr).
func (a *App) connEvents() []nats.Option {
	return []nats.Option{
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			a.log.Warn("nats connection", "err", err, "subscription", subject)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				a.log.Warn("nats connection lost; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { a.log.Info("nats connection back", "url", nc.ConnectedUrlRedacted()) }),
	}
}

// declare creates or updates, as `fnmesh apply` does, the streams, the
// trigger buckets and every function's durable consumer before anything
// reads a consumer (a scaler, KEDA, a worker).
func (a *App) declare(ctx context.Context) (err error) {
	switch {
	case a.cluster.Clustered():
		err = a.declareOnCluster(ctx)
	default:
		a.applied, err = Apply(ctx, a.client, a.m)
		// Several `up` against one external server or cluster share the
		// replica count through the node registry, as embedded cluster
		// nodes do; one that runs no functions has no share to take.
		if err == nil && a.emb == nil && a.runsFunctions() {
			err = a.startNodes(ctx, a.nodeName())
		}
	}
	for _, w := range a.applied.Warnings {
		a.log.Warn(w)
	}
	return err
}
