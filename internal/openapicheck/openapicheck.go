// Package openapicheck checks the API's answers against its document,
// api/openapi.yaml, for the tests: the API's own, and the end-to-end
// tests' calls over HTTP.
package openapicheck

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// document is api/openapi.yaml, loaded and checked once.
var document = sync.OnceValues(func() (*openapi3.T, error) {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "api", "openapi.yaml")
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	// The API listens where it is started, not at the document's server.
	doc.Servers = nil
	return doc, nil
})

// router finds each request's operation in the document.
var router = sync.OnceValues(func() (routers.Router, error) {
	doc, err := document()
	if err != nil {
		return nil, err
	}
	// The handover link's pages are HTML, checked as text.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder(problemType, openapi3filter.JSONBodyDecoder)
	return gorillamux.NewRouter(doc)
})

// problemType is the media type of every error answer of the JSON API.
const problemType = "application/problem+json"

// codes are the codes the document lists for a problem: its ProblemCode
// and RefusalCode enums.
var codes = sync.OnceValues(func() (map[string]bool, error) {
	doc, err := document()
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, name := range []string{"ProblemCode", "RefusalCode"} {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil || len(ref.Value.Enum) == 0 {
			return nil, fmt.Errorf("api/openapi.yaml lists no %s", name)
		}
		for _, v := range ref.Value.Enum {
			listed[fmt.Sprint(v)] = true
		}
	}
	return listed, nil
})

// Problem checks that an error answer is a problem detail: of type
// application/problem+json, whose code the document lists, whose status
// and type agree with the answer and the code. A page (HTML) is left to
// Response.
func Problem(status int, header http.Header, body []byte) error {
	ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if status < 400 || ct == "text/html" {
		return nil
	}
	if ct != problemType {
		return fmt.Errorf("error answer %d has Content-Type %q, want %s", status, ct, problemType)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("error answer %d is not JSON: %w", status, err)
	}
	listed, err := codes()
	if err != nil {
		return err
	}
	switch {
	case !listed[p.Code]:
		return fmt.Errorf("error answer %d has code %q, which api/openapi.yaml does not list", status, p.Code)
	case p.Status != status || p.Type != "/problems/"+p.Code || p.Detail == "":
		return fmt.Errorf("error answer %d says status %d, type %q and detail %q for code %s", status, p.Status, p.Type, p.Detail, p.Code)
	}
	return nil
}

// Describes tells whether the document describes the path: the API's
// /v1/ paths and the health checks, not the codec server nor the pages.
func Describes(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	return strings.HasPrefix(path, "/v1/") || path == "/healthz" || path == "/readyz"
}

// Response checks one answer to req: that the document lists its status
// for the operation, and its content type, headers and body; an error
// answer is a problem detail with a listed code (Problem). An answer
// 404 or 405 to a path or method the document does not have either is
// the API's too.
func Response(req *http.Request, status int, header http.Header, body []byte) error {
	r, err := router()
	if err != nil {
		return err
	}
	if err := Problem(status, header, body); err != nil {
		return err
	}
	route, params, err := r.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil
		}
		return err
	}
	options := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		// The API checked the caller; the document only says who may call.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: options},
		Status:                 status,
		Header:                 header,
		Options:                options,
	}
	input.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), input)
}
