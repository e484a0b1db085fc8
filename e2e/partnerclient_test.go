package e2e

import (
	"context"
	"crypto/rand"
	"net/http"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

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

// refer refers a family as the partner actor with the generated client and
// returns the new trajectory's id; anything but 201 fails the test.
func (s *stack) refer(actor string, r apiclient.Referral) string {
	s.t.Helper()
	created, err := s.partnerAPI(actor).CreateReferralWithResponse(context.Background(), nil, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if created.JSON201 == nil {
		s.t.Fatalf("referral to %s: %d %s", r.Programme, created.StatusCode(), created.Body)
	}
	return created.JSON201.Id
}

// day is the date of an ISO 8601 day such as 2024-02-29, for the
// generated client's date fields.
func (s *stack) day(iso string) *openapi_types.Date {
	s.t.Helper()
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		s.t.Fatal(err)
	}
	return &openapi_types.Date{Time: d}
}
