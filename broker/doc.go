// Package broker is fnmesh's view of NATS JetStream: a connection to a
// server or cluster, the streams and durable consumers that store and
// deliver events, publishing with de-duplication, and the dead-letter
// queue. The CloudEvent <-> NATS message codec is internal/cebind's;
// EncodeMsg, DecodeMsg, Subject and DedupID forward to it. The embedded server lives in
// broker/embedded, so a program that only connects does not build against
// nats-server.
//
// The package takes its own configuration (Config, StreamSpec,
// DeadLetterConfig), never the mesh file's types: each has defaults for
// its empty fields and a Validate method, run by the constructor, whose
// errors wrap ErrInvalid and name the field. The rules of a field are
// exported one function each (CheckSubject, CheckReplicas, ...), so a file
// that declares streams reports them at its own positions.
//
// Events travel in the CloudEvents NATS binding's binary mode: attributes as
// "ce-" headers, datacontenttype as Content-Type and data as the payload. An
// event of type T is stored on "<prefix>.<T>" (see Subject for the escape of
// characters NATS forbids) with Nats-Msg-Id = DedupID(source, id), so the
// same event published twice within the stream's duplicate window is stored
// once. Publish returns only after the server's PubAck: an event that was
// acknowledged is stored.
package broker
