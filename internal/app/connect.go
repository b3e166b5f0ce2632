package app

import (
	"context"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

// connect starts the embedded server, or connects to the external one at
// cfg.NATS.URL, and builds the broker client on that connection.
func (a *App) connect(ctx context.Context) error {
	if a.cfg.NATS.URL != "" {
		nc, err := broker.Connect(ctx, meshmap.Conn(a.cfg.NATS), "fnmesh-up")
		if err != nil {
			return err
		}
		a.nc, a.natsURL = nc, a.cfg.NATS.URL
		for _, s := range a.m.Streams {
			if s.Sync == "always" {
				a.log.Warn("stream sync: always applies to the embedded server only; on an external server set sync_interval: always in its JetStream config", "stream", s.Name)
			}
		}
	} else {
		env := a.cfg.Env
		emb, err := embedded.Start(embedded.Config{
			DataDir: env.DataDir, Host: env.NATSHost, Port: env.NATSPort, SyncAlways: meshmap.SyncAlways(a.m),
			MonitorAddr: env.NATSMonitorAddr,
		}, a.log)
		if err != nil {
			return err
		}
		a.emb = emb
		nc, err := emb.Connect("fnmesh-up")
		if err != nil {
			return err
		}
		a.nc, a.natsURL = nc, emb.ClientURL()
	}
	c, err := broker.New(a.nc, meshmap.Broker(a.m), broker.WithLogger(a.log),
		broker.WithHooks(broker.PublishHooks{Before: a.tel.BeforePublish}))
	if err != nil {
		return err
	}
	a.client = c
	return nil
}

// declare creates or updates the streams of the mesh and its dead-letter
// stream.
func (a *App) declare(ctx context.Context) error {
	return a.client.EnsureStreams(ctx, meshmap.Streams(a.m)...)
}
