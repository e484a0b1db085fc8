package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/store"
)

type fakeSMSReports map[string][]int

func (f fakeSMSReports) RecordSMSReport(_ context.Context, token string, status int) error {
	if _, ok := f[token]; !ok {
		return store.ErrNotFound
	}
	f[token] = append(f[token], status)
	return nil
}

// TestSMSReports: a report of a known token is recorded; an unknown token
// is 404, a malformed one or status 400, without credentials.
func TestSMSReports(t *testing.T) {
	token := strings.Repeat("a", 32)
	reports := fakeSMSReports{token: nil}
	s := newServer(Config{Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey, Temporal: &fakeTemporal{},
		Store: newFakeStore(), Auth: TokenAuthenticator{Store: newFakeTokens()}, Audit: &fakeAuditor{},
		Sessions: newFakeSessions(newFakeTokens()).manager(), SMSReports: reports})
	for path, want := range map[string]int{
		"/v1/sms-reports/" + token + "?status=8":                   http.StatusOK,
		"/v1/sms-reports/" + token + "?status=1":                   http.StatusOK,
		"/v1/sms-reports/" + strings.Repeat("b", 32) + "?status=1": http.StatusNotFound,
		"/v1/sms-reports/" + token + "?status=3":                   http.StatusBadRequest,
		"/v1/sms-reports/" + token:                                 http.StatusBadRequest,
		"/v1/sms-reports/short?status=1":                           http.StatusBadRequest,
	} {
		rec := httptest.NewRecorder()
		s.router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
	if got := reports[token]; len(got) != 2 || got[0]+got[1] != 9 {
		t.Errorf("recorded %v, want 8 and 1", got)
	}
}
