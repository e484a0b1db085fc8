package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Error is the body of every error response.
type Error struct {
	// Error is short and stable: clients may switch on it.
	Error string `json:"error"`
	// Detail is a sentence that says what to do about it.
	Detail string `json:"detail"`
	// Fields maps each bad field (a dotted JSON path or a query parameter)
	// to what is wrong with it, for a 400 about a body or a query.
	Fields map[string]string `json:"fields,omitempty"`
	// Code says why a step was rejected (409, or a 422 for want of
	// consent), stably: one of
	// trajectory.RefusalCodes. Clients switch on it, not on Detail.
	Code trajectory.RefusalCode `json:"code,omitempty"`
}

// retryAfterSeconds is what a 503 asks a caller to wait before trying again.
const retryAfterSeconds = "5"

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a programming error gets here (an unencodable type).
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error","detail":"the response could not be encoded; this is a bug, please report it"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		// A dependency is down: clients and load balancers back off.
		h.Set("Retry-After", retryAfterSeconds)
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, short, detail string) {
	writeJSON(w, status, Error{Error: short, Detail: detail})
}

// fieldErrors collects what is wrong with each field, in the order found.
type fieldErrors struct {
	order    []string
	problems map[string]string
}

func (f *fieldErrors) add(field, problem string) {
	if f.problems == nil {
		f.problems = map[string]string{}
	}
	if _, seen := f.problems[field]; seen {
		return
	}
	f.order = append(f.order, field)
	f.problems[field] = problem
}

func (f *fieldErrors) empty() bool { return len(f.order) == 0 }

func (f *fieldErrors) detail() string {
	parts := make([]string, len(f.order))
	for i, field := range f.order {
		parts[i] = field + ": " + f.problems[field]
	}
	return strings.Join(parts, "; ")
}

// writeFieldErrors answers 400, naming every bad field in detail and fields.
func writeFieldErrors(w http.ResponseWriter, short string, f *fieldErrors) {
	writeJSON(w, http.StatusBadRequest, Error{Error: short, Detail: f.detail(), Fields: f.problems})
}

// decodeBody reads a JSON object of at most limit bytes into v, refusing
// unknown fields, keys that differ from a field only in case, repeated
// keys and trailing data; then it refuses invisible formatting characters
// in any text and normalises text to NFC. On failure it has answered and
// returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		writeDecodeError(w, err, limit)
		return false
	}
	if ke := strictKeys(data, reflect.TypeOf(v)); ke != nil {
		f := &fieldErrors{}
		f.add(ke.field, ke.problem)
		writeFieldErrors(w, ke.short, f)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		// Exactly one JSON value: anything after it is a mistake.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errTrailingData
		}
	}
	if err != nil {
		writeDecodeError(w, err, limit)
		return false
	}
	fe := &fieldErrors{}
	cleanText(reflect.ValueOf(v), "", fe)
	if !fe.empty() {
		writeFieldErrors(w, "invalid text", fe)
		return false
	}
	return true
}

var errTrailingData = errors.New("trailing data")

func writeDecodeError(w http.ResponseWriter, err error, limit int64) {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "body too large",
			fmt.Sprintf("the body may be at most %d KiB", limit/1024))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "empty body", "send a JSON object as the body")
	case errors.Is(err, errTrailingData):
		writeError(w, http.StatusBadRequest, "malformed JSON", "the body must hold exactly one JSON object and nothing after it")
	case errors.As(err, &syntax):
		writeError(w, http.StatusBadRequest, "malformed JSON",
			fmt.Sprintf("the body is not valid JSON (%s, at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "malformed JSON", "the body is not valid JSON: it ends too early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			writeError(w, http.StatusBadRequest, "malformed JSON", "the body must be a JSON object; it is a JSON "+typ.Value)
			return
		}
		f := &fieldErrors{}
		f.add(typ.Field, fmt.Sprintf("must be %s; it is a JSON %s", jsonKind(typ.Type), typ.Value))
		writeFieldErrors(w, "invalid body", f)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		f := &fieldErrors{}
		f.add(strings.Trim(name, `"`), "is not a field of this body; remove it (see openapi.yaml for the fields)")
		writeFieldErrors(w, "unknown field", f)
	default:
		writeError(w, http.StatusBadRequest, "malformed JSON", "the body could not be read as JSON: "+strings.TrimPrefix(err.Error(), "json: "))
	}
}

// jsonKind names what JSON value a Go type takes.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "of another type"
}

func joinComma(items []string) string { return strings.Join(items, ", ") }

// joinOr joins ["a","b","c"] as "a, b or c".
func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
