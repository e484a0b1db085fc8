package payloadcodec

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

// ErrUnauthenticated, returned (or wrapped) by the authorize function of
// NewHandler, answers 401: the request carries no valid credentials.
var ErrUnauthenticated = errors.New("payloadcodec: not authenticated")

// ErrForbidden, returned (or wrapped) by the authorize function of
// NewHandler, answers 403: the caller is known but may not read payloads
// (not a supervisor).
var ErrForbidden = errors.New("payloadcodec: forbidden")

// MaxRequestBytes bounds the body of one encode or decode request.
const MaxRequestBytes = 16 << 20

// Headers a browser may send to the codec server: what the Temporal Web UI
// sends (Authorization and Authorization-Extras when it passes its access
// token).
const (
	corsAllowMethods = "POST, OPTIONS"
	corsAllowHeaders = "Content-Type, X-Namespace, Authorization, Authorization-Extras"
	corsMaxAge       = "600"
)

// NewHandler returns the codec server: POST <prefix>/decode and /encode
// with the JSON protocol of Temporal codec servers (the SDK's
// converter.NewPayloadCodecHTTPHandler does the work), at any prefix.
// Only an Origin equal to allowOrigin (scheme, host, port) gets CORS
// headers, with credentials; any other gets none and its preflight 403.
// authorize (not nil) runs on every POST before the body is read: an error
// answers 401 for ErrUnauthenticated, 403 for ErrForbidden, its
// StatusCode() in 400..599, else 500, with only the status text. It logs
// nothing and never puts payload contents in an answer.
func NewHandler(codec *Codec, allowOrigin string, authorize func(*http.Request) error) http.Handler {
	if authorize == nil {
		panic("payloadcodec.NewHandler: nil authorize; the codec server decrypts personal data and must check who asks")
	}
	return NewScopedHandler(codec, allowOrigin, func(r *http.Request) (MayRead, error) { return nil, authorize(r) })
}

// MayRead says whether the caller may read what a decode request would
// reveal (Scope: the trajectories whose data keys encrypt its payloads,
// and how many it holds that name none). Its error answers like
// authorize's: ErrForbidden is 403.
type MayRead func(Scope) error

// NewScopedHandler is NewHandler where authorize also returns what the
// caller may read: before a decode, the handler takes the Scope of the
// payloads it holds (ScopeOf) and asks mayRead (when not nil); a refusal
// answers before anything is decrypted. A request with any payload that
// cannot be attributed to a trajectory (the shared ring's: a failed
// workflow task, another workflow, a history from before data keys)
// answers 403 and decodes nothing, whatever mayRead says: it may be any
// family's.
func NewScopedHandler(codec *Codec, allowOrigin string, authorize func(*http.Request) (MayRead, error)) http.Handler {
	if codec == nil {
		panic("payloadcodec.NewHandler: nil Codec")
	}
	if authorize == nil {
		panic("payloadcodec.NewHandler: nil authorize; the codec server decrypts personal data and must check who asks")
	}
	return &handler{
		origin:    strings.TrimSuffix(strings.TrimSpace(allowOrigin), "/"),
		authorize: authorize,
		codec:     codec,
	}
}

type handler struct {
	origin    string
	authorize func(*http.Request) (MayRead, error)
	codec     *Codec
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	// Decrypted personal data must not linger in caches.
	hdr.Set("Cache-Control", "no-store")
	origin := r.Header.Get("Origin")
	allowed := h.origin != "" && origin == h.origin
	if allowed {
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
	}

	if !strings.HasSuffix(r.URL.Path, "/decode") && !strings.HasSuffix(r.URL.Path, "/encode") {
		http.NotFound(w, r)
		return
	}

	switch r.Method {
	case http.MethodOptions:
		if !allowed {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		hdr.Set("Access-Control-Allow-Methods", corsAllowMethods)
		hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		hdr.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		hdr.Set("Allow", corsAllowMethods)
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}

	mayRead, err := h.authorize(r)
	if err != nil {
		code := authStatus(err)
		http.Error(w, http.StatusText(code), code)
		return
	}
	// application/json only: a cross-site form can send text/plain without a
	// preflight, never application/json.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	if mayRead != nil && strings.HasSuffix(r.URL.Path, "/decode") {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		var payloads commonpb.Payloads
		if err := protojson.Unmarshal(body, &payloads); err != nil {
			http.Error(w, "body must be {\"payloads\":[...]} in protobuf JSON", http.StatusBadRequest)
			return
		}
		scope := ScopeOf(payloads.GetPayloads())
		if err := mayRead(scope); err != nil {
			code := authStatus(err)
			http.Error(w, http.StatusText(code), code)
			return
		}
		if scope.Unattributed > 0 {
			http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	// Data keys are looked up within the request's time.
	converter.NewPayloadCodecHTTPHandler(h.codec.WithContext(r.Context())).ServeHTTP(w, r)
}

func authStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	}
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		if c := sc.StatusCode(); c >= 400 && c <= 599 {
			return c
		}
	}
	return http.StatusInternalServerError
}
