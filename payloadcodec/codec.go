// Package payloadcodec encrypts every Temporal payload of elkgezin with
// AES-256-GCM: workflow and activity inputs and results, signals, updates,
// queries, memos and (with NewFailureConverter) failure messages, stack
// traces and details. The Temporal server, its database and its raw history
// only ever hold ciphertext; a codec server (NewHandler) decrypts for the
// Temporal Web UI, for supervisors only.
//
// An encrypted payload has metadata encoding "binary/encrypted" and
// "encryption-key-id" (the id of the key in the KeyRing) and data
// nonce(12 bytes)||ciphertext||tag(16 bytes); the plaintext is the whole
// original payload (metadata and data) as protobuf, and the key id is the
// additional authenticated data. Payloads that are not encrypted decode
// unchanged, so histories written before encryption still read.
//
// What it does NOT encrypt: workflow and activity ids and types, task
// queues, search attributes, failure types, timer and retry settings, and
// header values written by context propagators. Keep personal data out of
// those.
package payloadcodec

import (
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	MetadataEncoding      = converter.MetadataEncoding // "encoding"
	EncodingEncrypted     = "binary/encrypted"
	MetadataEncryptionKey = "encryption-key-id"
)

// ErrUnknownKey is wrapped by the error of Decode when a payload is encrypted
// with a key id the KeyRing does not hold (the error names the id).
var ErrUnknownKey = errors.New("payloadcodec: unknown encryption key id")

// ErrDecrypt is wrapped by the error of Decode when a payload does not
// decrypt: wrong key under the right id, or data changed (tampered,
// truncated).
var ErrDecrypt = errors.New("payloadcodec: payload does not decrypt")

// Codec is the converter.PayloadCodec that encrypts with the primary key of
// a KeyRing and decrypts with any of its keys. It is safe for concurrent use.
type Codec struct {
	ring *KeyRing
}

var _ converter.PayloadCodec = (*Codec)(nil)

// NewCodec returns the Codec of ring. It panics if ring is nil: running
// without keys must be a deliberate choice, not an accident.
func NewCodec(ring *KeyRing) *Codec {
	if ring == nil {
		panic("payloadcodec.NewCodec: nil KeyRing")
	}
	return &Codec{ring: ring}
}

// Encode implements converter.PayloadCodec: it encrypts every payload with
// the primary key. A nil payload stays nil.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.ring.primary
	aead := c.ring.aeads[id]
	aad := []byte(id)
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil {
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("payloadcodec: marshal payload %d: %w", i, err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding:      []byte(EncodingEncrypted),
				MetadataEncryptionKey: []byte(id),
			},
			Data: aead.Seal(nil, nil, plain, aad),
		}
		clear(plain)
	}
	return out, nil
}

// Decode implements converter.PayloadCodec: it decrypts every payload whose
// encoding is binary/encrypted and passes the others through unchanged.
// Errors name the key id and the payload's position, never its content.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil || string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		raw, ok := p.GetMetadata()[MetadataEncryptionKey]
		if !ok || len(raw) == 0 {
			return payloads, fmt.Errorf("%w: payload %d is encrypted but has no %s", ErrUnknownKey, i, MetadataEncryptionKey)
		}
		id := string(raw)
		aead, ok := c.ring.aeads[id]
		if !ok {
			return payloads, fmt.Errorf("%w %q (payload %d); the key ring holds %v", ErrUnknownKey, id, i, c.ring.ids)
		}
		plain, err := aead.Open(nil, nil, p.GetData(), []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("%w: payload %d with key %q: authentication failed (wrong key or changed data)", ErrDecrypt, i, id)
		}
		var decoded commonpb.Payload
		err = proto.Unmarshal(plain, &decoded)
		clear(plain)
		if err != nil {
			return payloads, fmt.Errorf("%w: payload %d with key %q: decrypted data is not a payload", ErrDecrypt, i, id)
		}
		out[i] = &decoded
	}
	return out, nil
}
