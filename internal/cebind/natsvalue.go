package cebind

import "github.com/nats-io/nats.go"

// NATS header values travel raw, as the CloudEvents NATS binding writes
// them and sdk-go's nats_jetstream binding reads them: no percent-encoding,
// so "%41" stays "%41". Two things a NATS header cannot carry unchanged:
// CR and LF (nats.go turns them into spaces, they would end the header
// line), and white space at either end (nats.go and the server trim it).
// EncodeMsg refuses such values with an *AttributeError rather than store
// something other than what was given; DecodeMsg refuses them too, so
// whatever it returns can be encoded again.

// natsValueProblem says why v cannot travel as a NATS header value
// unchanged, or "" when it can.
func natsValueProblem(v string) string {
	if v == "" {
		return ""
	}
	if c := v[0]; c == ' ' || c == '\t' {
		return "must not start with white space: a NATS header trims it"
	}
	if c := v[len(v)-1]; c == ' ' || c == '\t' {
		return "must not end with white space: a NATS header trims it"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\r' || c == '\n' {
			return "must not contain CR or LF: a NATS header cannot carry them"
		}
	}
	return ""
}

// valueDecoder returns how the "ce-" values of a message with headers h
// are read. Messages marked Fnmesh-Codec and messages of other producers
// (sdk-go's nats_jetstream binding sets no Nats-Msg-Id) are raw. A message
// with a Nats-Msg-Id but no Fnmesh-Codec was written by an fnmesh before
// the mark existed, when values were percent-encoded as on HTTP: its
// values are percent-decoded, as they were then.
func valueDecoder(h nats.Header) func(string) string {
	_, marked := h[hdrCodec]
	_, hasID := h[hdrMsgID]
	if !marked && hasID {
		return UnescapeHTTPValue
	}
	return raw
}

func raw(v string) string { return v }
