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
func NewFailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
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
// payloads are encrypted under its own data key (Codec.WithDataKeys); the
// ring encrypts the rest and still decrypts what it encrypted before.
func ClientOptionsWithDataKeys(ring *KeyRing, dk DataKeys) (converter.DataConverter, converter.FailureConverter) {
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(ring).WithDataKeys(dk))
	return dc, NewFailureConverter(dc)
}
