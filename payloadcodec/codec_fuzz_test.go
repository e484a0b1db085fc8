package payloadcodec

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

func fuzzRing(f *testing.F) *KeyRing {
	ring, err := ParseKeyRing("fz-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		f.Fatal(err)
	}
	return ring
}

// FuzzDecode: whatever a history or a caller hands the codec, Decode
// answers a payload or a typed error, never a panic; what Encode made, Decode
// gives back.
func FuzzDecode(f *testing.F) {
	codec := NewCodec(fuzzRing(f))
	sealed, err := codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"a":1}`)}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed[0].Data, EncodingEncrypted, "fz-1", []byte(`{"a":1}`))
	f.Add([]byte("not encrypted"), "json/plain", "", []byte{})
	f.Add([]byte{0, 1, 2}, EncodingEncrypted, "unknown", []byte("x"))
	f.Add([]byte{}, EncodingEncrypted, "", []byte(nil))
	f.Fuzz(func(t *testing.T, data []byte, encoding, keyID string, plain []byte) {
		in := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(encoding)}, Data: data}
		if keyID != "" {
			in.Metadata[MetadataEncryptionKey] = []byte(keyID)
		}
		out, err := codec.Decode([]*commonpb.Payload{in, nil})
		if err != nil && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("Decode: an untyped error: %v", err)
		}
		if err == nil && len(out) != 2 {
			t.Fatalf("Decode gave %d payloads for 2", len(out))
		}
		p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(encoding)}, Data: plain}
		enc, err := codec.Encode([]*commonpb.Payload{p})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := codec.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(p)): %v", err)
		}
		if !proto.Equal(dec[0], p) {
			t.Fatalf("round trip: got %v, want %v", dec[0], p)
		}
	})
}

// FuzzDecodeHandler: no request body makes the codec server answer 5xx.
func FuzzDecodeHandler(f *testing.F) {
	h := NewHandler(NewCodec(fuzzRing(f)), uiOrigin, func(*http.Request) error { return nil })
	f.Add([]byte(`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"ZnotMQ=="},"data":"AAAA"}]}`))
	f.Add([]byte(`{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"eyJhIjoxfQ=="}]}`))
	f.Add([]byte(`{"payloads":[null]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/codec/decode", "/codec/encode"} {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body.String())
			}
		}
	})
}
