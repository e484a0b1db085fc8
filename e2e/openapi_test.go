package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// openAPIRouter finds each request's operation in the API's document,
// api/openapi.yaml, loaded and checked once.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../api/openapi.yaml")
	if err != nil {
		return nil, fmt.Errorf("api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	// The stacks listen on ports of their own, not the document's server.
	doc.Servers = nil
	// The handover link's pages are HTML, checked as text.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	return gorillamux.NewRouter(doc)
})

// openAPICheck is the transport of the tests' API calls: it checks each
// answer to a /v1/ path against the document (status, content type,
// headers, body) and hands the stack what does not match, so every call
// of the end-to-end tests is also a test of the document.
type openAPICheck struct {
	next   http.RoundTripper
	report func(problem string)
}

func (c openAPICheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/v1/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := validateResponse(req, resp, body); err != nil {
		c.report(fmt.Sprintf("%s %s answered %d, which api/openapi.yaml does not describe: %v\nbody: %.2000s",
			req.Method, req.URL.Path, resp.StatusCode, err, body))
	}
	return resp, nil
}

func validateResponse(req *http.Request, resp *http.Response, body []byte) error {
	router, err := openAPIRouter()
	if err != nil {
		return err
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return nil // a path or method the API does not have either
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
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                options,
	}
	input.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), input)
}

// apiClient is the HTTP client of the tests' API calls, its answers
// checked against the document. What does not match fails the test when
// it ends: a call may run on another goroutine than the test's.
func (s *stack) apiClient() *http.Client {
	s.apiCheckOnce.Do(func() {
		s.t.Cleanup(func() {
			s.apiCheckMu.Lock()
			defer s.apiCheckMu.Unlock()
			for _, p := range s.apiMismatches {
				s.t.Error(p)
			}
		})
	})
	return &http.Client{Transport: openAPICheck{next: http.DefaultTransport, report: func(p string) {
		s.apiCheckMu.Lock()
		defer s.apiCheckMu.Unlock()
		s.apiMismatches = append(s.apiMismatches, p)
	}}}
}

// TestOpenAPICheckFindsMismatches: the check reports an answer the
// document does not describe, and passes one it does.
func TestOpenAPICheckFindsMismatches(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
		body         string
		ok           bool
	}{
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, `{"error":"trajectory not found","detail":"no such trajectory"}`, true},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 404, `{"error":"trajectory not found"}`, false},
		{"GET", "/v1/trajectories/tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", 418, `{"error":"teapot","detail":"no"}`, false},
		{"GET", "/v1/trajectories", 200, `{"items":[{"id":"tr-a","programme":"p","referrer_organisation":"o","phase":"dreaming",` +
			`"overdue":false,"escalated":false,"email_failed":false,"referred_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}]}`, false},
		{"GET", "/v1/nothing-here", 404, `{"error":"not found","detail":"no such path"}`, true},
	} {
		req, _ := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, nil)
		resp := &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {"application/json"}}}
		err := validateResponse(req, resp, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s %s %d %s: %v, want ok %v", c.method, c.path, c.status, c.body, err, c.ok)
		}
	}
}
