// Package natsguard keeps a NATS client connection alive through the
// protocol errors after which nats.go would give it up for good.
//
// nats.go closes a connection for good, with no reconnect, when the server
// answers "-ERR 'Maximum Control Line Exceeded'" or an error it does not
// know (a parser error, an invalid subject). The server sends most of them
// right before it closes the socket, so a connection that every request
// of a process shares (ingest, routes, webhooks, a worker's consumer) is
// lost to whatever one caller sent. Conn sits between nats.go and the
// socket, reads what the server sends and drops such an error line: after
// a fatal one the server's close is a plain disconnect, which nats.go
// answers by reconnecting; after another one the connection goes on. The
// errors nats.go handles itself (stale connection, permissions,
// authorization, connection and subscription limits, unknown protocol
// operation) pass.
//
// It reads plain NATS only: behind TLS (the server asks for it in its
// INFO, or the client starts with a handshake) and on websockets it lets
// everything pass, and nats.go's own behaviour applies.
package natsguard
