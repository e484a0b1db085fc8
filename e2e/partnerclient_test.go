package e2e

import (
	"context"
	"crypto/rand"
	"net/http"
	"time"

	"github.com/elkgezin/elkgezin/apiclient"
)

// partnerAPI is the client generated from the document (apiclient), as
// actor: the calls a partner makes go through it, so a document that a
// generated client cannot follow fails these tests. Its HTTP client is the
// stack's, which checks each answer against the document too.
func (s *stack) partnerAPI(actor string) *apiclient.ClientWithResponses {
	s.t.Helper()
	bearer := s.token(actor)
	httpc := s.apiClient()
	httpc.Timeout = 30 * time.Second
	c, err := apiclient.NewClientWithResponses(s.apiURL, apiclient.WithHTTPClient(httpc),
		apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+bearer)
			// A client makes one key per request it means, as the API
			// asks, unless the call names its own.
			if req.Method == http.MethodPost && req.Header.Get("Idempotency-Key") == "" {
				req.Header.Set("Idempotency-Key", rand.Text())
			}
			return nil
		}))
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// ptr is a pointer to v, for the generated client's optional fields.
func ptr[T any](v T) *T { return &v }
