package meshmap

import (
	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// Conn is how a broker client connects with the NATS settings of the worker
// contract (NATS_URL and its credentials).
func Conn(n workerenv.NATS) broker.ConnConfig {
	return broker.ConnConfig{
		URL: n.URL, User: n.User, Password: n.Password, Token: n.Token, Creds: n.Creds, NKey: n.NKey,
		CA: n.CA, Cert: n.Cert, Key: n.Key, TLSFirst: n.TLSFirst,
	}
}
