package cebind

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// DedupID is the Nats-Msg-Id for an event: the lower-case hex SHA-256 (64
// characters) of
//
//	uvarint(len(source)) || source || uvarint(len(id)) || id
//
// CloudEvents identify an event by (source, id), so the same event published
// twice gets the same id and JetStream stores it once within the stream's
// duplicate window. The length prefixes keep the pair unambiguous:
// ("a", "bc") and ("ab", "c") hash differently.
func DedupID(source, id string) string {
	var stack [256]byte
	buf := stack[:0]
	if n := len(source) + len(id) + 2*binary.MaxVarintLen64; n > len(stack) {
		buf = make([]byte, 0, n)
	}
	buf = binary.AppendUvarint(buf, uint64(len(source)))
	buf = append(buf, source...)
	buf = binary.AppendUvarint(buf, uint64(len(id)))
	buf = append(buf, id...)
	sum := sha256.Sum256(buf)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}
