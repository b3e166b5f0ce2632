// Package broker is fnmesh's view of NATS JetStream: an embedded server
// (or a connection to an external cluster), the streams and durable
// consumers a mesh declares, publishing with de-duplication, and dead
// letters. The CloudEvent <-> NATS message codec is internal/cebind's;
// EncodeMsg, DecodeMsg, Subject and DedupID forward to it.
//
// Events travel in the CloudEvents NATS binding's binary mode: attributes as
// "ce-" headers, datacontenttype as Content-Type and data as the payload. An
// event of type T is stored on "<prefix>.<T>" (see Subject for the escape of
// characters NATS forbids) with Nats-Msg-Id = DedupID(source, id), so the
// same event published twice within the stream's duplicate window is stored
// once. Publish returns only after the server's PubAck: an event that was
// acknowledged is stored.
package broker
