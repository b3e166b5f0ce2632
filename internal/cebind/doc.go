// Package cebind is fnmesh's one CloudEvents binding: every place that
// turns an event into bytes on a wire, or bytes into an event, goes through
// it, so each rule is written once.
//
//   - Attribute and name rules (CheckName, CheckString, ParseURIRef, ...),
//     applied as strictly as a Rules value asks: Strict for events from
//     outside (ingest), Lenient for what is already stored, what other
//     SDKs send and what functions answer.
//   - The NATS binding (EncodeMsg, DecodeMsg): binary mode with "ce-"
//     headers, structured JSON accepted on input, the event type mapped to
//     a subject (Subject, EscapeType) and the de-duplication id (DedupID).
//   - The HTTP binding's binary mode (ReadBinary, WriteBinary) and its
//     header value codec (EscapeHTTPValue, UnescapeHTTPValue).
//   - The JSON format (ParseJSON, ParseJSONBatch).
//   - The names of the extensions fnmesh sets (CausationID, CorrelationID).
//
// Errors about an event wrap ErrMalformedEvent; those about one attribute
// are *AttributeError values naming it and the rule it breaks.
package cebind
