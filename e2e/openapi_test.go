package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/elkgezin/elkgezin/internal/openapicheck"
)

// openAPICheck is the transport of the tests' API calls: it checks each
// answer to a /v1/ path against the document (status, content type,
// headers, body) and its times (UTC with Z, never the zero time), and
// hands the stack what does not match, so every call of the end-to-end
// tests is also a test of the document.
type openAPICheck struct {
	next   http.RoundTripper
	report func(problem string)
}

func (c openAPICheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || !openapicheck.Describes(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := openapicheck.Response(req, resp.StatusCode, resp.Header, body); err != nil {
		c.report(fmt.Sprintf("%s %s answered %d, which api/openapi.yaml does not describe: %v\nbody: %.2000s",
			req.Method, req.URL.Path, resp.StatusCode, err, body))
	}
	if err := openapicheck.Times(resp.Header.Get("Content-Type"), body); err != nil {
		c.report(fmt.Sprintf("%s %s answered %d: %v\nbody: %.2000s", req.Method, req.URL.Path, resp.StatusCode, err, body))
	}
	return resp, nil
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

// problemFields is the code of each field a problem names, by its JSON
// pointer or query parameter.
func problemFields(problem map[string]any) map[string]string {
	codes := map[string]string{}
	errs, _ := problem["errors"].([]any)
	for _, e := range errs {
		fe, _ := e.(map[string]any)
		name, _ := fe["pointer"].(string)
		if name == "" {
			name, _ = fe["parameter"].(string)
		}
		codes[name], _ = fe["code"].(string)
	}
	return codes
}
