package payloadcodec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const uiOrigin = "http://127.0.0.1:8233"

// testAuthorize plays the API's authenticator: X-Test-Role says who calls.
func testAuthorize(r *http.Request) error {
	switch r.Header.Get("X-Test-Role") {
	case "":
		return ErrUnauthenticated
	case "supervisor":
		return nil
	case "broken":
		return fmt.Errorf("session store: %w", statusErr(http.StatusServiceUnavailable))
	case "weird":
		return fmt.Errorf("something else")
	default:
		return fmt.Errorf("role %s: %w", r.Header.Get("X-Test-Role"), ErrForbidden)
	}
}

type statusErr int

func (e statusErr) Error() string   { return http.StatusText(int(e)) }
func (e statusErr) StatusCode() int { return int(e) }

func newTestHandler(t *testing.T) (*Codec, http.Handler) {
	t.Helper()
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	return codec, NewHandler(codec, uiOrigin+"/", testAuthorize)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func corsHeaders(h http.Header) map[string]string {
	m := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			m[k] = strings.Join(v, ",")
		}
	}
	return m
}

func preflight(origin, path string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, path, nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	return r
}

func TestPreflight(t *testing.T) {
	_, h := newTestHandler(t)
	w := serve(h, preflight(uiOrigin, "/decode"))
	if w.Code != http.StatusNoContent {
		t.Errorf("preflight from the UI: status %d", w.Code)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      uiOrigin,
		"Access-Control-Allow-Methods":     "POST, OPTIONS",
		"Access-Control-Allow-Credentials": "true",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	allowHeaders := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers"))
	for _, hd := range []string{"content-type", "x-namespace", "authorization"} {
		if !strings.Contains(allowHeaders, hd) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowHeaders, hd)
		}
	}
	if !strings.Contains(w.Header().Get("Vary"), "Origin") {
		t.Errorf("Vary = %q, want Origin", w.Header().Get("Vary"))
	}

	// The UI's endpoint may have a path prefix: only the last segment counts.
	if w := serve(h, preflight(uiOrigin, "/codec/encode")); w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != uiOrigin {
		t.Errorf("preflight for /codec/encode: %d %v", w.Code, corsHeaders(w.Header()))
	}

	for _, other := range []string{"http://evil.example", "http://127.0.0.1:8234", "https://127.0.0.1:8233", "null", ""} {
		w := serve(h, preflight(other, "/decode"))
		if got := corsHeaders(w.Header()); len(got) != 0 {
			t.Errorf("preflight from %q got CORS headers %v", other, got)
		}
		if w.Code < 400 {
			t.Errorf("preflight from %q: status %d", other, w.Code)
		}
	}
}

func TestPreflightNoOriginConfigured(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	h := NewHandler(codec, "", testAuthorize)
	if got := corsHeaders(serve(h, preflight(uiOrigin, "/decode")).Header()); len(got) != 0 {
		t.Errorf("no origin configured, yet CORS headers %v", got)
	}
}

func decodeRequest(t *testing.T, body []byte, role, origin string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/decode", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Namespace", "default")
	if role != "" {
		r.Header.Set("X-Test-Role", role)
	}
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	return r
}

func TestDecodeAuthorization(t *testing.T) {
	codec, h := newTestHandler(t)
	enc, err := codec.Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	if err != nil {
		t.Fatal(err)
	}
	for role, want := range map[string]int{
		"":        http.StatusUnauthorized,
		"coach":   http.StatusForbidden,
		"partner": http.StatusForbidden,
		"broken":  http.StatusServiceUnavailable,
		"weird":   http.StatusInternalServerError,
	} {
		w := serve(h, decodeRequest(t, body, role, uiOrigin))
		if w.Code != want {
			t.Errorf("role %q: status %d, want %d", role, w.Code, want)
		}
		if strings.Contains(w.Body.String(), "Fatima") || strings.Contains(w.Body.String(), "role ") {
			t.Errorf("role %q: body %q says too much", role, w.Body.String())
		}
		// The UI must be able to read the refusal.
		if w.Header().Get("Access-Control-Allow-Origin") != uiOrigin {
			t.Errorf("role %q: refusal without CORS headers for the UI", role)
		}
	}
}

func TestDecodeForSupervisor(t *testing.T) {
	codec, h := newTestHandler(t)
	plain := plainPayloads(t, fatima, "tweede")
	enc, err := codec.Encode(plain)
	if err != nil {
		t.Fatal(err)
	}
	// The body exactly as the Web UI sends it: the Payloads of the history
	// event in protobuf JSON, bytes in base64.
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: append(enc, plain[1])})
	if err != nil {
		t.Fatal(err)
	}
	w := serve(h, decodeRequest(t, body, "supervisor", uiOrigin))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if w.Header().Get("Access-Control-Allow-Origin") != uiOrigin || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("answer to the UI lacks CORS headers: %v", corsHeaders(w.Header()))
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var got commonpb.Payloads
	if err := protojson.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("answer is not Payloads JSON: %v\n%s", err, w.Body)
	}
	want := []*commonpb.Payload{plain[0], plain[1], plain[1]}
	if len(got.Payloads) != len(want) {
		t.Fatalf("got %d payloads, want %d", len(got.Payloads), len(want))
	}
	for i := range want {
		if !proto.Equal(got.Payloads[i], want[i]) {
			t.Errorf("payload %d: %v, want %v", i, got.Payloads[i], want[i])
		}
	}
	// What the UI then shows: metadata.encoding json/plain, data the JSON.
	var p person
	if err := converter.GetDefaultDataConverter().FromPayload(got.Payloads[0], &p); err != nil || p != fatima {
		t.Errorf("decoded %+v, %v", p, err)
	}
}

func TestHandlerWithSDKRemoteCodec(t *testing.T) {
	codec, h := newTestHandler(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: srv.URL + "/some/prefix",
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("X-Test-Role", "supervisor")
			return nil
		},
	})
	plain := plainPayloads(t, fatima)
	enc, err := remote.Encode(plain)
	if err != nil {
		t.Fatalf("remote encode: %v", err)
	}
	if string(enc[0].Metadata[MetadataEncoding]) != EncodingEncrypted {
		t.Fatalf("remote encode did not encrypt: %v", enc[0].Metadata)
	}
	dec, err := codec.Decode(enc)
	if err != nil || !proto.Equal(dec[0], plain[0]) {
		t.Fatalf("local decode of remote encode: %v %v", dec, err)
	}
	dec, err = remote.Decode(enc)
	if err != nil || !proto.Equal(dec[0], plain[0]) {
		t.Fatalf("remote decode: %v %v", dec, err)
	}
	unauth := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{Endpoint: srv.URL})
	if _, err := unauth.Decode(enc); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("remote decode without credentials: %v", err)
	}
}

func TestHandlerRejects(t *testing.T) {
	codec, h := newTestHandler(t)
	enc, _ := codec.Encode(plainPayloads(t, fatima))
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})

	r := decodeRequest(t, body, "supervisor", "")
	r.URL.Path = "/other"
	if w := serve(h, r); w.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d", w.Code)
	}
	r = httptest.NewRequest(http.MethodGet, "/decode", nil)
	r.Header.Set("X-Test-Role", "supervisor")
	if w := serve(h, r); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
	r = decodeRequest(t, body, "supervisor", "")
	r.Header.Set("Content-Type", "text/plain")
	if w := serve(h, r); w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d", w.Code)
	}
	r = decodeRequest(t, []byte("{not json"), "supervisor", "")
	if w := serve(h, r); w.Code != http.StatusBadRequest {
		t.Errorf("bad JSON: %d", w.Code)
	}
	r = decodeRequest(t, bytes.Repeat([]byte(" "), MaxRequestBytes+1), "supervisor", "")
	if w := serve(h, r); w.Code != http.StatusBadRequest {
		t.Errorf("too large: %d", w.Code)
	}
	// A tampered payload is refused without showing its content.
	enc[0].Data[20] ^= 1
	body, _ = protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	w := serve(h, decodeRequest(t, body, "supervisor", uiOrigin))
	msg, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusBadRequest || strings.Contains(string(msg), "Fatima") {
		t.Errorf("tampered: %d %s", w.Code, msg)
	}
}

func TestNewHandlerNeedsAuthorize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHandler accepted a nil authorize")
		}
	}()
	NewHandler(NewCodec(mustRing(t, "k1:"+mustKey(t))), uiOrigin, nil)
}
