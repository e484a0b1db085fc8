package payloadcodec

import (
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// NewDataConverter returns the default data converter with every payload
// encrypted by the Codec of ring.
func NewDataConverter(ring *KeyRing) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(ring))
}

// NewFailureConverter returns the default failure converter with
// EncodeCommonAttributes: a failure's message and stack trace move into an
// encoded payload (encrypted by dc), the plain fields only say "Encoded
// failure". Failure types (ApplicationError's type) stay readable.
//
// It honours the serialization context the SDK gives it, as dc does: the
// failure of a trajectory's workflow, Update, query or activity (its
// message, stack trace and details, and those of its causes) is encrypted
// under the trajectory's data key, so erasure shreds it with the rest of
// the history, and the scoped codec endpoint shows it only to supervisors
// of the trajectory's programme. A failure the SDK converts without
// context (a failed workflow task) stays under the shared ring.
//
// A failure whose data key cannot be read now is never encrypted under
// another key instead: the conversion fails, and the SDK retries the task.
func NewFailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return &failureConverter{
		DefaultFailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter:          dc,
			EncodeCommonAttributes: true,
		}),
		dc: dc,
	}
}

// failureConverter is the SDK's default failure converter over a data
// converter that it binds to the serialization context.
type failureConverter struct {
	*temporal.DefaultFailureConverter
	dc converter.DataConverter
}

var _ converter.FailureConverterWithSerializationContext = (*failureConverter)(nil)

// WithSerializationContext implements
// converter.FailureConverterWithSerializationContext: the SDK names the
// workflow (or the activity's workflow) whose failure it converts.
func (f *failureConverter) WithSerializationContext(sc converter.SerializationContext) converter.FailureConverter {
	return NewFailureConverter(converter.WithDataConverterSerializationContext(f.dc, sc))
}

// ClientOptions returns the DataConverter and FailureConverter to set in
// client.Options (and thereby in every worker made from that client), in
// worker.WorkflowReplayerOptions, and in the test environments
// (SetDataConverter, SetFailureConverter):
//
//	dc, fc := payloadcodec.ClientOptions(ring)
//	c, err := client.Dial(client.Options{..., DataConverter: dc, FailureConverter: fc})
func ClientOptions(ring *KeyRing) (converter.DataConverter, converter.FailureConverter) {
	dc := NewDataConverter(ring)
	return dc, NewFailureConverter(dc)
}

// ClientOptionsWithDataKeys is ClientOptions where each trajectory's
// payloads and failures are encrypted under its own data key
// (Codec.WithDataKeys); the ring encrypts the rest and still decrypts what
// it encrypted before.
func ClientOptionsWithDataKeys(ring *KeyRing, dk DataKeys) (converter.DataConverter, converter.FailureConverter) {
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(ring).WithDataKeys(dk))
	return dc, NewFailureConverter(dc)
}
