package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/apitoken"
	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/store"
)

// TestExpiredToken401 authenticates against the real token store: an
// expired token gets 401 that says it expired and what to do.
func TestExpiredToken401(t *testing.T) {
	st, err := store.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	_, token, err := st.CreateExpiringToken(t.Context(), store.TokenSupervisor, "sup-vilvoorde", []string{"test-seconds"}, "", time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, shortDenialWindow, func(c *Config) { c.Auth = TokenAuthenticator{Store: st} })
	res := f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, "Bearer "+token)
	res.want(t, http.StatusUnauthorized)
	if !strings.Contains(res.err.Detail, "expired on") || !strings.Contains(res.err.Detail, "elkgezin token create") {
		t.Errorf("401 detail %q: want when it expired and how to get a new one", res.err.Detail)
	}
	if !strings.Contains(res.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
	}
	if e := waitDenials(t, f.audit.all); e.Outcome != store.OutcomeUnauthenticated || e.Detail["token_id_0"] != apitoken.ID(token) {
		t.Errorf("audit entry %+v: want unauthenticated, naming the token id", e)
	}
}
