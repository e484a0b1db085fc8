package payloadcodec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

type person struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

var fatima = person{Name: "Fatima Testgezin", Address: "Kerkstraat 1, Vilvoorde"}

func plainPayloads(t *testing.T, values ...any) []*commonpb.Payload {
	t.Helper()
	ps, err := converter.GetDefaultDataConverter().ToPayloads(values...)
	if err != nil {
		t.Fatal(err)
	}
	return ps.Payloads
}

func marshalAll(t *testing.T, ps []*commonpb.Payload) []byte {
	t.Helper()
	b, err := proto.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	in := plainPayloads(t, fatima, "a string", 42, nil, []byte{0, 1, 2})
	in = append(in, nil, &commonpb.Payload{})
	enc, err := codec.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != len(in) {
		t.Fatalf("Encode gave %d payloads for %d", len(enc), len(in))
	}
	for i, p := range enc {
		if in[i] == nil {
			if p != nil {
				t.Errorf("payload %d: nil encoded as %v", i, p)
			}
			continue
		}
		if got := string(p.Metadata[MetadataEncoding]); got != EncodingEncrypted {
			t.Errorf("payload %d: encoding %q", i, got)
		}
		if got := string(p.Metadata[MetadataEncryptionKey]); got != "k1" {
			t.Errorf("payload %d: key id %q", i, got)
		}
		if len(p.Metadata) != 2 {
			t.Errorf("payload %d: metadata %v, want only encoding and key id", i, p.Metadata)
		}
	}
	dec, err := codec.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !proto.Equal(in[i], dec[i]) {
			t.Errorf("payload %d: decoded %v, want %v", i, dec[i], in[i])
		}
	}
	// Encrypting twice gives different ciphertexts (random nonces).
	enc2, _ := codec.Encode(in[:1])
	if bytes.Equal(enc[0].Data, enc2[0].Data) {
		t.Error("the same payload encrypted twice gives the same ciphertext")
	}
}

func TestCiphertextHidesPlaintext(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	in := plainPayloads(t, fatima)
	if !bytes.Contains(marshalAll(t, in), []byte("Fatima Testgezin")) {
		t.Fatal("test is broken: the plain payload does not contain the name")
	}
	enc, err := codec.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	raw := marshalAll(t, enc)
	for _, s := range []string{"Fatima", "Testgezin", "Kerkstraat", "json/plain"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("encoded payloads contain %q", s)
		}
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	ringA := mustRing(t, "2026-05:"+k1)
	ringB := mustRing(t, "2026-11:"+k2+",2026-05:"+k1)
	old, err := NewCodec(ringA).Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	codecB := NewCodec(ringB)
	dec, err := codecB.Decode(old)
	if err != nil {
		t.Fatalf("ring B does not decode what ring A encoded: %v", err)
	}
	var got person
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &got); err != nil || got != fatima {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	fresh, err := codecB.Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	if id := string(fresh[0].Metadata[MetadataEncryptionKey]); id != "2026-11" {
		t.Errorf("ring B encrypts with %q, want 2026-11", id)
	}
	// Ring A has no key 2026-11: the error names it.
	_, err = NewCodec(ringA).Decode(fresh)
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"2026-11"`) {
		t.Errorf("decoding with an unknown key id: %v; want ErrUnknownKey naming 2026-11", err)
	}
}

func TestUnknownKeyID(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	enc, _ := codec.Encode(plainPayloads(t, fatima))
	enc[0].Metadata[MetadataEncryptionKey] = []byte("retired-2024")
	_, err := codec.Decode(enc)
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "retired-2024") {
		t.Errorf("got %v; want ErrUnknownKey naming retired-2024", err)
	}
	delete(enc[0].Metadata, MetadataEncryptionKey)
	if _, err := codec.Decode(enc); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("encrypted payload without key id: %v; want ErrUnknownKey", err)
	}
}

func TestTampered(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	codec := NewCodec(mustRing(t, "k1:"+k1+",k2:"+k2))
	sameIDOtherKey := NewCodec(mustRing(t, "k1:"+k2))
	fresh := func() *commonpb.Payload {
		enc, err := codec.Encode(plainPayloads(t, fatima))
		if err != nil {
			t.Fatal(err)
		}
		return enc[0]
	}
	cases := map[string]func(p *commonpb.Payload){
		"flipped ciphertext byte": func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 },
		"flipped nonce byte":      func(p *commonpb.Payload) { p.Data[0] ^= 0x80 },
		"flipped tag byte":        func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 },
		"truncated":               func(p *commonpb.Payload) { p.Data = p.Data[:len(p.Data)-1] },
		"shorter than a nonce":    func(p *commonpb.Payload) { p.Data = p.Data[:5] },
		"empty data":              func(p *commonpb.Payload) { p.Data = nil },
		"key id swapped":          func(p *commonpb.Payload) { p.Metadata[MetadataEncryptionKey] = []byte("k2") },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			p := fresh()
			tamper(p)
			_, err := codec.Decode([]*commonpb.Payload{p})
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("got %v; want ErrDecrypt", err)
			}
			if err != nil && strings.Contains(err.Error(), "Fatima") {
				t.Errorf("error shows plaintext: %v", err)
			}
		})
	}
	t.Run("other key under the same id", func(t *testing.T) {
		if _, err := sameIDOtherKey.Decode([]*commonpb.Payload{fresh()}); !errors.Is(err, ErrDecrypt) {
			t.Errorf("got %v; want ErrDecrypt", err)
		}
	})
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	in := plainPayloads(t, fatima, "x")
	in = append(in, &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/zlib")}, Data: []byte{1, 2}}, nil)
	dec, err := codec.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if dec[i] != in[i] {
			t.Errorf("payload %d was not passed through unchanged", i)
		}
	}
	// A mix of old plain and new encrypted payloads decodes too.
	enc, _ := codec.Encode(in[:1])
	dec, err = codec.Decode([]*commonpb.Payload{in[1], enc[0]})
	if err != nil || !proto.Equal(dec[0], in[1]) || !proto.Equal(dec[1], in[0]) {
		t.Errorf("mixed decode: %v, %v", dec, err)
	}
}

func TestDataConverter(t *testing.T) {
	dc := NewDataConverter(mustRing(t, "k1:"+mustKey(t)))
	ps, err := dc.ToPayloads(fatima, "Fatima Testgezin")
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := proto.Marshal(ps); bytes.Contains(raw, []byte("Fatima")) {
		t.Error("the data converter's payloads contain the name")
	}
	var p person
	var s string
	if err := dc.FromPayloads(ps, &p, &s); err != nil || p != fatima || s != "Fatima Testgezin" {
		t.Errorf("FromPayloads: %+v %q %v", p, s, err)
	}
}

func TestFailureConverterEncryptsMessages(t *testing.T) {
	dc, fc := ClientOptions(mustRing(t, "k1:"+mustKey(t)))
	appErr := temporal.NewApplicationErrorWithCause(
		"Fatima Testgezin could not be reached", "NotReachable",
		errors.New("home visit to Fatima cancelled"),
		fatima,
	)
	f := fc.ErrorToFailure(appErr)
	raw, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Fatima", "Testgezin", "Kerkstraat", "home visit"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the encoded failure contains %q", s)
		}
	}
	if f.GetMessage() != "Encoded failure" || f.GetEncodedAttributes() == nil {
		t.Errorf("failure not encoded: message %q, encoded attributes %v", f.GetMessage(), f.GetEncodedAttributes())
	}
	if f.GetApplicationFailureInfo().GetType() != "NotReachable" {
		t.Errorf("failure type %q, want NotReachable (types stay readable)", f.GetApplicationFailureInfo().GetType())
	}

	back := fc.FailureToError(f)
	var ae *temporal.ApplicationError
	if !errors.As(back, &ae) {
		t.Fatalf("FailureToError gave %T", back)
	}
	if ae.Message() != "Fatima Testgezin could not be reached" || ae.Type() != "NotReachable" {
		t.Errorf("decoded message %q type %q", ae.Message(), ae.Type())
	}
	if cause := errors.Unwrap(back); cause == nil || !strings.Contains(cause.Error(), "home visit to Fatima cancelled") {
		t.Errorf("decoded cause %v", cause)
	}
	var p person
	if err := ae.Details(&p); err != nil || p != fatima {
		t.Errorf("decoded details %+v, %v", p, err)
	}
	// The same data converter (as client.Options would hold it) is what the
	// failure converter used.
	if _, err := dc.ToPayload("x"); err != nil {
		t.Fatal(err)
	}
}
