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
)

// retryAfterSeconds is what a 503 asks a caller to wait before trying again.
const retryAfterSeconds = "5"

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json", v)
}

func writeBody(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a programming error gets here (an unencodable type).
		status = http.StatusInternalServerError
		contentType = ProblemContentType
		buf.Reset()
		buf.WriteString(`{"type":"/problems/internal_error","title":"Internal error","status":500,` +
			`"detail":"the response could not be encoded; this is a bug, please report it","code":"internal_error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		// A dependency is down: clients and load balancers back off.
		h.Set("Retry-After", retryAfterSeconds)
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fieldErrors collects what is wrong with each field, in the order found.
type fieldErrors struct {
	// query is set when the fields are the query's parameters, not the
	// body's fields.
	query bool
	// within is the name the checks give the body itself (the plan's
	// fields are plan.goals, ...): left out, so a field is named as the
	// body has it.
	within   string
	order    []string
	problems map[string]string
	codes    map[string]FieldCode
}

// add notes a problem of field, with the code its words say (fieldCodeOf).
func (f *fieldErrors) add(field, problem string) {
	f.addCode(field, fieldCodeOf(problem), problem)
}

func (f *fieldErrors) addCode(field string, code FieldCode, problem string) {
	if f.within != "" {
		field = strings.TrimPrefix(field, f.within+".")
	}
	if f.problems == nil {
		f.problems = map[string]string{}
		f.codes = map[string]FieldCode{}
	}
	if _, seen := f.problems[field]; seen {
		return
	}
	f.order = append(f.order, field)
	f.problems[field] = problem
	f.codes[field] = code
}

func (f *fieldErrors) empty() bool { return len(f.order) == 0 }

func (f *fieldErrors) detail() string {
	parts := make([]string, len(f.order))
	for i, field := range f.order {
		parts[i] = field + ": " + f.problems[field]
	}
	return strings.Join(parts, "; ")
}

// writeFieldErrors answers 400 invalid_request, naming every bad field in
// detail and errors.
func writeFieldErrors(w http.ResponseWriter, r *http.Request, f *fieldErrors) {
	p := newProblem(r, CodeInvalidRequest, f.detail())
	for _, field := range f.order {
		fp := FieldProblem{Code: f.codes[field], Detail: f.problems[field]}
		if f.query {
			fp.Parameter = field
		} else {
			fp.Pointer = fieldPointer(field)
		}
		p.Errors = append(p.Errors, fp)
	}
	writeProblem(w, p)
}

// decodeBody reads a JSON object of at most limit bytes into v, refusing
// unknown fields, keys that differ from a field only in case, repeated
// keys and trailing data; then it refuses invisible formatting characters
// in any text and normalises text to NFC. On failure it has answered and
// returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		writeDecodeError(w, r, err, limit)
		return false
	}
	if ke := strictKeys(data, reflect.TypeOf(v)); ke != nil {
		f := &fieldErrors{}
		f.addCode(ke.field, ke.code, ke.problem)
		writeFieldErrors(w, r, f)
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
		writeDecodeError(w, r, err, limit)
		return false
	}
	fe := &fieldErrors{}
	cleanText(reflect.ValueOf(v), "", fe)
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return false
	}
	return true
}

var errTrailingData = errors.New("trailing data")

func writeDecodeError(w http.ResponseWriter, r *http.Request, err error, limit int64) {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		writeError(w, r, CodeBodyTooLarge,
			fmt.Sprintf("the body may be at most %d KiB", limit/1024))
	case errors.Is(err, io.EOF):
		writeError(w, r, CodeBodyEmpty, "send a JSON object as the body")
	case errors.Is(err, errTrailingData):
		writeError(w, r, CodeMalformedJSON, "the body must hold exactly one JSON object and nothing after it")
	case errors.As(err, &syntax):
		writeError(w, r, CodeMalformedJSON,
			fmt.Sprintf("the body is not valid JSON (%s, at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, r, CodeMalformedJSON, "the body is not valid JSON: it ends too early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			writeError(w, r, CodeMalformedJSON, "the body must be a JSON object; it is a JSON "+typ.Value)
			return
		}
		f := &fieldErrors{}
		f.addCode(typ.Field, FieldWrongType, fmt.Sprintf("must be %s; it is a JSON %s", jsonKind(typ.Type), typ.Value))
		writeFieldErrors(w, r, f)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		f := &fieldErrors{}
		f.addCode(strings.Trim(name, `"`), FieldUnknown, "is not a field of this body; remove it (see openapi.yaml for the fields)")
		writeFieldErrors(w, r, f)
	default:
		writeError(w, r, CodeMalformedJSON, "the body could not be read as JSON: "+strings.TrimPrefix(err.Error(), "json: "))
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
