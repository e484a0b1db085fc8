package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/usecase"
)

// nonStepRoutes are the authenticated POST routes that take no step of the
// step table: a referral starts a trajectory, an erasure and a codec
// session are no steps of one.
var nonStepRoutes = []string{
	http.MethodPost + " " + pathReferrals,
	http.MethodPost + " " + pathErasure,
	http.MethodPost + " " + pathSession,
}

// TestEveryStepHasItsRoute: each step of the step table (usecase.Steps)
// is a route the API serves, under the rule the table gives it; and every
// route that takes a step (each authenticated POST but a referral, an
// erasure and a codec session, and each PUT) is a step of the table.
func TestEveryStepHasItsRoute(t *testing.T) {
	s := newServer(Config{Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey, Temporal: &fakeTemporal{},
		Store: newFakeStore(), Auth: TokenAuthenticator{Store: newFakeTokens()}, Audit: &fakeAuditor{}, Codec: http.NotFoundHandler(),
		Sessions: newFakeSessions(newFakeTokens()).manager()})
	served := map[string]bool{}
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, _ := route.GetMethods()
		for _, m := range methods {
			served[m+" "+tmpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range usecase.Steps {
		if !served[st.Route] {
			t.Errorf("step %s (%s): the API serves no route %s", st.Name, st.Title, st.Route)
		}
		rule, ok := routeRules[st.Route]
		if !ok || rule.step == nil || rule.step.Name != st.Name || rule.action != st.Action || !slices.Equal(rule.kinds, st.Kinds) {
			t.Errorf("step %s: the route's rule %+v is not the table's", st.Name, rule)
		}
	}
	for route := range served {
		method, _, _ := strings.Cut(route, " ")
		if _, isStep := usecase.StepOfRoute(route); isStep || (method != http.MethodPost && method != http.MethodPut) || slices.Contains(nonStepRoutes, route) {
			continue
		}
		if _, authenticated := routeRules[route]; authenticated {
			t.Errorf("route %s takes a step that is not in the step table (usecase.Steps)", route)
		}
	}
}
