// Package payloadcodec encrypts every Temporal payload of elkgezin with
// AES-256-GCM: workflow and activity inputs and results, signals, updates,
// queries, memos and (with NewFailureConverter) failure messages, stack
// traces and details. The Temporal server, its database and its raw history
// only ever hold ciphertext; a codec server (NewHandler) decrypts for the
// Temporal Web UI, for supervisors only.
//
// Each trajectory's workflow and activity payloads, and their failures, are
// encrypted under the trajectory's own data key (package keys;
// WithDataKeys), so erasing that key makes its history unreadable; other
// payloads (another workflow, a failed workflow task, a caller without
// workflow context) under the KeyRing's primary key.
//
// The encrypted payload's format, and how keys rotate: docs/design/keys.md.
// Payloads that are not encrypted decode unchanged.
//
// What it does NOT encrypt: workflow and activity ids and types, task
// queues, search attributes, failure types, timer and retry settings, and
// header values written by context propagators; and, when a client sends
// through PlainUserMetadata, user metadata (summaries and details). Keep
// personal data out of those.
package payloadcodec

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/elkgezin/elkgezin/keys"
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
	// dataKeys, when set, gives each trajectory's own data key: the
	// payloads of a workflow whose id has one are encrypted under it.
	dataKeys DataKeys
	// workflowID is the workflow whose payloads this copy encodes, bound
	// by WithSerializationContext; "" encodes with the ring.
	workflowID string
	// ctx bounds data key lookups; nil means a short timeout of their own.
	ctx context.Context
}

var (
	_ converter.PayloadCodec                         = (*Codec)(nil)
	_ converter.PayloadCodecWithSerializationContext = (*Codec)(nil)
)

// DataKeys finds a trajectory's data key: *keys.Vault. An error wrapping
// keys.ErrNoKey means the trajectory has none (the ring encrypts its
// payloads); keys.ErrErased that it was erased.
type DataKeys interface {
	Key(ctx context.Context, trajectoryID string) (*keys.DataKey, error)
}

// TrajectoryKeyPrefix starts the encryption-key-id of a payload encrypted
// under a trajectory's data key; the trajectory id follows. Ring key ids
// cannot contain ':', so the two never meet.
const TrajectoryKeyPrefix = "trajectory:"

// lookupTimeout bounds a data key lookup made without a request context.
const lookupTimeout = 10 * time.Second

// WithDataKeys returns a Codec that encrypts the payloads of each
// trajectory's workflow and activities under the trajectory's data key
// (once the SDK says which workflow, WithSerializationContext), and the
// ring's primary key for everything else; it decrypts both.
func (c *Codec) WithDataKeys(dk DataKeys) *Codec {
	cp := *c
	cp.dataKeys = dk
	return &cp
}

// WithSerializationContext implements
// converter.PayloadCodecWithSerializationContext: the SDK names the
// workflow whose payloads are encoded (its own, or its activity's), in the
// worker, the client and the test environments alike.
func (c *Codec) WithSerializationContext(sc converter.SerializationContext) converter.PayloadCodec {
	var id string
	switch x := sc.(type) {
	case converter.WorkflowSerializationContext:
		id = x.WorkflowID
	case converter.ActivitySerializationContext:
		id = x.WorkflowID
	}
	if c.dataKeys == nil || id == c.workflowID {
		return c
	}
	cp := *c
	cp.workflowID = id
	return &cp
}

// WithContext returns a Codec whose data key lookups end with ctx (a
// codec server request).
func (c *Codec) WithContext(ctx context.Context) *Codec {
	cp := *c
	cp.ctx = ctx
	return &cp
}

func (c *Codec) dataKey(trajectoryID string) (*keys.DataKey, error) {
	ctx := c.ctx
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), lookupTimeout)
		defer cancel()
	}
	return c.dataKeys.Key(ctx, trajectoryID)
}

// retryTask marks a data key lookup that failed for a reason that passes
// (PostgreSQL unreachable, a lookup that timed out). In a worker the SDK
// then fails the workflow task, which Temporal retries until the database
// is back, instead of failing the workflow (an input it could not decode)
// or refusing the Updates of that task as unknown. A worker's vault serves
// the trajectories it served through such an outage from the keys it keeps
// (keys.Vault.KeepServed), so this is for the others. A key that was erased
// or never existed does not come back: that error stays as it is.
func retryTask(err error) error {
	if errors.Is(err, keys.ErrNoKey) || errors.Is(err, keys.ErrErased) {
		return err
	}
	return converter.NewWorkflowTaskFailureError(err)
}

// encryptor is the key id and AEAD that encrypt this codec's payloads.
func (c *Codec) encryptor() (string, cipher.AEAD, error) {
	if c.dataKeys != nil && c.workflowID != "" {
		k, err := c.dataKey(c.workflowID)
		switch {
		case err == nil:
			return TrajectoryKeyPrefix + c.workflowID, k.AEAD(), nil
		case !errors.Is(err, keys.ErrNoKey):
			return "", nil, retryTask(fmt.Errorf("payloadcodec: data key of workflow %s: %w", c.workflowID, err))
		}
	}
	return c.ring.primary, c.ring.aeads[c.ring.primary], nil
}

// decryptor is the AEAD of key id id.
func (c *Codec) decryptor(id string, i int) (cipher.AEAD, error) {
	if tid, ok := strings.CutPrefix(id, TrajectoryKeyPrefix); ok {
		if c.dataKeys == nil {
			return nil, fmt.Errorf("%w %q (payload %d): this codec holds no data keys", ErrUnknownKey, id, i)
		}
		k, err := c.dataKey(tid)
		if err != nil {
			return nil, retryTask(fmt.Errorf("%w %q (payload %d): %w", ErrUnknownKey, id, i, err))
		}
		return k.AEAD(), nil
	}
	aead, ok := c.ring.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q (payload %d); the key ring holds %v", ErrUnknownKey, id, i, c.ring.ids)
	}
	return aead, nil
}

// TrajectoryIDs lists the trajectories whose data keys encrypt payloads,
// in order, once each: what a decode of them would reveal.
func TrajectoryIDs(payloads []*commonpb.Payload) []string {
	return ScopeOf(payloads).Trajectories
}

// Scope is what a decode of payloads would reveal: the trajectories whose
// data keys encrypt them, in order, once each, and how many encrypted
// payloads name no trajectory (under the shared ring, or an unknown or
// missing key id), which cannot be attributed to one family.
type Scope struct {
	Trajectories []string
	Unattributed int
}

// ScopeOf is the Scope of payloads. Payloads that are not encrypted count
// in neither: they decode unchanged.
func ScopeOf(payloads []*commonpb.Payload) Scope {
	var s Scope
	for _, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			continue
		}
		tid, ok := strings.CutPrefix(string(p.GetMetadata()[MetadataEncryptionKey]), TrajectoryKeyPrefix)
		switch {
		case !ok || tid == "":
			s.Unattributed++
		case !slices.Contains(s.Trajectories, tid):
			s.Trajectories = append(s.Trajectories, tid)
		}
	}
	return s
}

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
	id, aead, err := c.encryptor()
	if err != nil {
		return payloads, err
	}
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
		aead, err := c.decryptor(id, i)
		if err != nil {
			return payloads, err
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
