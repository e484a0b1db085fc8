package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

func TestTokenAuthenticator(t *testing.T) {
	tokens := newFakeTokens()
	auth := TokenAuthenticator{Store: tokens}
	coach := usecase.Principal{Kind: usecase.KindCoach, ID: "test-coach", Programmes: []string{"test-seconds"}, CredentialID: "tok_coachaaa"}
	wellFormed := "tok_abcdefgh." + strings.Repeat("x", 43)
	cases := []struct {
		name      string
		headers   []string
		want      usecase.Principal
		challenge string // of the 401; "" when authenticated
		credID    string
	}{
		{"coach", []string{"Bearer coach-token"}, coach, "", ""},
		{"scheme in lower case", []string{"bearer coach-token"}, coach, "", ""},
		{"spaces around", []string{"  Bearer   coach-token "}, coach, "", ""},
		{"no header", nil, usecase.Principal{}, bearerRealm, ""},
		{"twice", []string{"Bearer coach-token", "Bearer coach-token"}, usecase.Principal{}, bearerInvalidToken, ""},
		{"basic", []string{"Basic Y29hY2g6cGFzcw=="}, usecase.Principal{}, bearerInvalidToken, ""},
		{"no token", []string{"Bearer "}, usecase.Principal{}, bearerInvalidToken, ""},
		{"token alone", []string{"coach-token"}, usecase.Principal{}, bearerInvalidToken, ""},
		{"two tokens", []string{"Bearer coach-token admin-token"}, usecase.Principal{}, bearerInvalidToken, ""},
		{"unknown token", []string{"Bearer nope"}, usecase.Principal{}, bearerInvalidToken, ""},
		{"unknown token of the right shape", []string{"Bearer " + wellFormed}, usecase.Principal{}, bearerInvalidToken, "tok_abcdefgh"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1/trajectories", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := auth.Authenticate(r)
			if tc.challenge == "" {
				if err != nil || got.Kind != tc.want.Kind || got.ID != tc.want.ID || got.CredentialID != tc.want.CredentialID ||
					!slices.Equal(got.Programmes, tc.want.Programmes) {
					t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			var ue *UnauthenticatedError
			if !errors.As(err, &ue) || ue.Challenge != tc.challenge || ue.CredentialID != tc.credID || ue.Detail == "" {
				t.Errorf("got %+v, %#v; want a 401 with challenge %q", got, err, tc.challenge)
			}
		})
	}

	tokens.err = errors.New("authenticate token tok_x: dial tcp 10.0.0.1:5432: connection refused")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer coach-token")
	_, err := auth.Authenticate(r)
	var ue *UnauthenticatedError
	if err == nil || errors.As(err, &ue) {
		t.Errorf("a database that does not answer gave %v; want an error that is not a 401", err)
	}

	if got := (usecase.Principal{Kind: usecase.KindCoach, ID: "test-coach"}).Actor(); got != "coach:test-coach" {
		t.Errorf("Actor %q", got)
	}
	if got := (usecase.Principal{Kind: usecase.KindAnonymous}).Actor(); got != "anonymous" {
		t.Errorf("Actor %q", got)
	}
}

func TestUnauthenticatedAnswer(t *testing.T) {
	f := newFixture(t, shortDenialWindow)
	res := f.do(http.MethodGet, "/v1/trajectories", nil)
	res.want(t, http.StatusUnauthorized)
	if res.err.Code != CodeUnauthenticated || !strings.Contains(res.err.Detail, "Authorization: Bearer") {
		t.Errorf("error %+v", res.err)
	}
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="elkgezin"` {
		t.Errorf("WWW-Authenticate %q", got)
	}

	wellFormed := "tok_abcdefgh." + strings.Repeat("x", 43)
	res = f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, "Bearer "+wellFormed)
	res.want(t, http.StatusUnauthorized)
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="elkgezin", error="invalid_token"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	// Both counted in one entry of the address, naming the token id presented.
	if e := waitDenials(t, f.audit.all); e.Detail["count"] != "2" || e.Detail["token_id_0"] != "tok_abcdefgh" {
		t.Errorf("audit entry %+v", e)
	}

	// A database that does not answer: 503, never a 401 or a 200.
	f.tokens.err = errors.New("authenticate token: failed to connect to `host=db user=elkgezin`")
	res = f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, asSupervisor)
	res.want(t, http.StatusServiceUnavailable)
	if strings.Contains(string(res.body), "host=db") || !strings.Contains(res.err.Detail, "credentials could not be checked") {
		t.Errorf("answered %s", res.body)
	}
	// Health checks need no credentials, even wrong ones.
	f.do(http.MethodGet, "/healthz", nil, authHeader, "Bearer bogus").want(t, http.StatusOK)
}

func TestKindDenialIs403(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	res := f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asPartner)
	res.want(t, http.StatusForbidden)
	want := "a partner organisation may not read a trajectory: this is for coaches, supervisors or co-workers"
	if res.err.Code != CodeForbidden || res.err.Detail != want {
		t.Errorf("answered %+v, want %q", res.err, want)
	}
	// The same answer whether the trajectory exists or not.
	other := f.do(http.MethodGet, "/v1/trajectories/"+testID("a", "b", "c"), nil, authHeader, asPartner)
	if string(other.body) != string(res.body) || other.status != res.status {
		t.Errorf("an unknown trajectory answered %d %s, a known one %d %s", other.status, other.body, res.status, res.body)
	}
	if e := f.audit.last(t); e.Actor != "partner:test-partner" || e.Outcome != store.OutcomeDenied || e.Detail["reason"] != "kind" {
		t.Errorf("audit entry %+v", e)
	}
	if f.store.reads != 0 {
		t.Errorf("a kind that may not read trajectories made %d reads", f.store.reads)
	}
}

func TestListIsScopedToTheCaller(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, query, as string
		status          int
		programmes      string // of the filter
		coach           string
		programme       string
	}{
		{"coach", "", asCoach, http.StatusOK, "test-seconds", "test-coach", ""},
		{"coach naming themselves", "coach=test-coach", asCoach, http.StatusOK, "test-seconds", "test-coach", ""},
		{"coach in their programme", "programme=test-seconds", asCoach, http.StatusOK, "test-seconds", "test-coach", "test-seconds"},
		{"coach naming another coach", "coach=test-coach-2", asCoach, http.StatusForbidden, "", "", ""},
		{"coach asking for another's", "coach=test-coach", asCoach2, http.StatusForbidden, "", "", ""},
		{"coach outside their programme", "programme=go-team-mechelen", asCoach, http.StatusForbidden, "", "", ""},
		{"supervisor", "", asSupervisor, http.StatusOK, "test-seconds", "", ""},
		{"supervisor for a coach", "coach=test-coach-2", asSupervisor, http.StatusOK, "test-seconds", "test-coach-2", ""},
		{"supervisor outside their programme", "programme=go-team-mechelen", asSupervisor, http.StatusForbidden, "", "", ""},
		{"partner", "", asPartner, http.StatusForbidden, "", "", ""},
		{"admin", "", asAdmin, http.StatusForbidden, "", "", ""},
	}
	for _, tc := range cases {
		before := len(f.store.filters)
		res := f.do(http.MethodGet, "/v1/trajectories?"+tc.query, nil, authHeader, tc.as)
		if res.status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, res.status, tc.status, res.body)
			continue
		}
		if tc.status != http.StatusOK {
			if len(f.store.filters) != before {
				t.Errorf("%s: a refused list reached the store", tc.name)
			}
			continue
		}
		flt := f.store.filters[len(f.store.filters)-1]
		if strings.Join(flt.ProgrammeIDs, ",") != tc.programmes || flt.CoachID != tc.coach || flt.ProgrammeID != tc.programme {
			t.Errorf("%s: filter %+v", tc.name, flt)
		}
	}
	res := f.do(http.MethodGet, "/v1/trajectories?coach=test-coach", nil, authHeader, asCoach2)
	if !strings.Contains(res.err.Detail, "own id (test-coach-2)") || strings.Contains(res.err.Detail, "test-coach ") {
		t.Errorf("detail %q", res.err.Detail)
	}
	if e := f.audit.last(t); e.Outcome != store.OutcomeDenied || e.Detail["reason"] != "coach" || e.Actor != "coach:test-coach-2" {
		t.Errorf("audit entry %+v", e)
	}
}

func TestCoachScopeFollowsTheProgrammeFiles(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	// A token made when test-coach was (also) on the GO-team, which no
	// longer lists them; and one of a coach taken off every team.
	f.tokens.tokens["moved-token"] = store.TokenInfo{ID: "tok_movedaaa", Kind: store.TokenCoach, Subject: "test-coach",
		Programmes: []string{"go-team-mechelen", "gone-programme", "test-seconds"}}
	f.tokens.tokens["gone-token"] = store.TokenInfo{ID: "tok_goneaaaa", Kind: store.TokenCoach, Subject: "coach-left",
		Programmes: []string{"test-seconds"}}

	f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, "Bearer moved-token").want(t, http.StatusOK)
	if flt := f.store.filters[len(f.store.filters)-1]; strings.Join(flt.ProgrammeIDs, ",") != "test-seconds" {
		t.Errorf("filter %+v", flt)
	}
	f.do(http.MethodGet, "/v1/trajectories?programme=go-team-mechelen", nil, authHeader, "Bearer moved-token").want(t, http.StatusForbidden)
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, "Bearer moved-token").want(t, http.StatusOK)

	// Even as the row's coach, a coach no programme lists sees nothing.
	row := f.store.rows[openID]
	row.CoachID = "coach-left"
	f.store.rows[openID] = row
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, "Bearer gone-token").want(t, http.StatusNotFound)
	f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, "Bearer gone-token").want(t, http.StatusOK)
	if flt := f.store.filters[len(f.store.filters)-1]; flt.ProgrammeIDs == nil || len(flt.ProgrammeIDs) != 0 {
		t.Errorf("filter %+v: want an empty, non-nil programme list", flt)
	}
}

func TestReadsAreNotHandedOutUnaudited(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	row := f.store.rows[openID]
	row.Family = &trajectory.Family{ContactName: familyName}
	f.store.rows[openID] = row
	f.audit.err = errors.New("audit read by coach:test-coach: connection refused")

	res := f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach)
	res.want(t, http.StatusServiceUnavailable)
	if strings.Contains(string(res.body), familyName) || !strings.Contains(res.err.Detail, "audit log") {
		t.Errorf("answered %s", res.body)
	}
	f.do(http.MethodGet, "/v1/trajectories", nil, authHeader, asCoach).want(t, http.StatusServiceUnavailable)

	// An action is done already when its entry is written: a failure is logged.
	f.do(http.MethodPost, stepPath("visits"), `{}`, authHeader, asCoach).want(t, http.StatusOK)
	if !strings.Contains(f.logs.String(), "audit log: could not write an entry") {
		t.Errorf("the failure is not logged: %s", f.logs.String())
	}

	// Once the log answers again, the read is recorded and handed out.
	f.audit.err = nil
	f.do(http.MethodGet, "/v1/trajectories/"+openID, nil, authHeader, asCoach).want(t, http.StatusOK)
	if all := f.audit.all(); len(all) != 1 || all[0].Action != "read_trajectory" || all[0].Outcome != store.OutcomeOK {
		t.Errorf("audit log %+v", all)
	}
}

func TestActionsAreAudited(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	f.do(http.MethodPost, stepPath("visits"), `{"note":"Moeder is depressief."}`, authHeader, asCoach).want(t, http.StatusOK)
	f.do(http.MethodPost, stepPath("visits"), `{"note":"x"}`, authHeader, asCoach2).want(t, http.StatusNotFound)
	f.do(http.MethodPost, stepPath("assignment"), `{"coach":"test-coach-2"}`, authHeader, asSupervisor).want(t, http.StatusOK)
	f.do(http.MethodPost, stepPath("closure"), `{"reason":"bored"}`, authHeader, asSupervisor).want(t, http.StatusBadRequest)
	f.temporal.updateErr = stepRejected("no")
	f.do(http.MethodPost, stepPath("intake"), `{}`, authHeader, asCoach).want(t, http.StatusConflict)

	type short struct{ actor, action, outcome, status string }
	var got []short
	for _, e := range f.audit.all() {
		if e.TrajectoryID != openID {
			t.Errorf("entry %+v does not name the trajectory", e)
		}
		got = append(got, short{e.Actor, e.Action, e.Outcome, e.Detail["status"]})
	}
	want := []short{
		{"coach:test-coach", "record_visit", "ok", "200"},
		{"coach:test-coach-2", "record_visit", "denied", "404"},
		{"supervisor:sup-vilvoorde", "assign_coach", "ok", "200"},
		{"supervisor:sup-vilvoorde", "close_trajectory", "400", "400"},
		{"coach:test-coach", "record_intake", "409", "409"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log\n%+v\nwant\n%+v", got, want)
	}
	if e := f.audit.all()[2]; e.Detail["coach"] != "test-coach-2" {
		t.Errorf("assignment entry %+v", e)
	}
	for _, e := range f.audit.all() {
		for k, v := range e.Detail {
			if strings.Contains(v, "depressief") || strings.Contains(k, "note") {
				t.Errorf("entry %+v holds a note", e)
			}
		}
	}
}

func TestHandoverAcknowledgementIsAudited(t *testing.T) {
	f := newFixture(t)
	f.do(http.MethodPost, "/v1/handovers/"+link(3, time.Hour)+"/acknowledgement", nil).want(t, http.StatusOK)
	f.do(http.MethodPost, "/v1/handovers/"+link(3, -time.Hour)+"/acknowledgement", nil).want(t, http.StatusGone)
	f.do(http.MethodPost, "/v1/handovers/not-a-token/acknowledgement", nil).want(t, http.StatusNotFound)
	f.do(http.MethodGet, "/v1/handovers/"+link(3, time.Hour), nil).want(t, http.StatusOK)
	all := f.audit.all()
	if len(all) != 2 {
		t.Fatalf("audit log %+v; want the two acknowledgements of genuine links", all)
	}
	for i, outcome := range []string{store.OutcomeOK, "410"} {
		e := all[i]
		if e.Actor != ActorService || e.Action != "acknowledge_handover" || e.TrajectoryID != openID || e.Outcome != outcome || e.Detail["handover"] != "3" {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
}

func TestSession(t *testing.T) {
	f := newFixture(t)
	res := f.do(http.MethodPost, "/v1/session", nil, authHeader, asSupervisor)
	res.want(t, http.StatusNoContent)
	c := sessionCookie(t, res)
	// The cookie holds a session id, never the token.
	if c.Value == "" || strings.Contains(c.Value, "supervisor-token") || c.Path != "/" || c.MaxAge != 8*3600 || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("cookie %+v", c)
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.header.Get("Cache-Control"))
	}
	if e := f.audit.last(t); e.Actor != "supervisor:sup-vilvoorde" || e.Action != "create_session" || e.Outcome != store.OutcomeOK {
		t.Errorf("audit entry %+v", e)
	}

	for _, as := range []string{asCoach, asPartner, asAdmin} {
		res := f.do(http.MethodPost, "/v1/session", nil, authHeader, as)
		res.want(t, http.StatusForbidden)
		if len(res.header.Values("Set-Cookie")) != 0 {
			t.Errorf("%s got a cookie", as)
		}
	}
	f.do(http.MethodPost, "/v1/session", nil).want(t, http.StatusUnauthorized)

	res = f.do(http.MethodDelete, "/v1/session", nil)
	res.want(t, http.StatusNoContent)
	if c := sessionCookie(t, res); c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
		t.Errorf("cookie %+v does not delete the session", c)
	}
}

func sessionCookie(t *testing.T, res response) *http.Cookie {
	t.Helper()
	values := res.header.Values("Set-Cookie")
	if len(values) != 1 {
		t.Fatalf("Set-Cookie %q", values)
	}
	c, err := http.ParseSetCookie(values[0])
	if err != nil || c.Name != session.InsecureCookieName {
		t.Fatalf("Set-Cookie %q: %v", values[0], err)
	}
	return c
}

func TestSupervisorAuthorizer(t *testing.T) {
	tokens := newFakeTokens()
	sessions := newFakeSessions(tokens)
	supervisorSession, _ := sessions.CreateSession(context.Background(), "tok_supervis", time.Hour)
	coachSession, _ := sessions.CreateSession(context.Background(), "tok_coachaaa", time.Hour)
	ended, _ := sessions.CreateSession(context.Background(), "tok_supervis", time.Hour)
	_ = sessions.RevokeSession(context.Background(), ended)
	authorize := SupervisorAuthorizer(TokenAuthenticator{Store: tokens}, sessions.manager())
	cases := []struct {
		name           string
		header, cookie string
		status         int // 0: authorized
	}{
		{"supervisor bearer", asSupervisor, "", 0},
		{"supervisor session", "", supervisorSession, 0},
		{"signed out", "", ended, http.StatusUnauthorized},
		{"the token as cookie", "", "supervisor-token", http.StatusUnauthorized},
		{"coach bearer", asCoach, "", http.StatusForbidden},
		{"coach session", "", coachSession, http.StatusForbidden},
		{"admin", asAdmin, "", http.StatusForbidden},
		{"partner", asPartner, "", http.StatusForbidden},
		{"nothing", "", "", http.StatusUnauthorized},
		{"unknown token", "Bearer nope", "", http.StatusUnauthorized},
		{"unknown cookie", "", "nope", http.StatusUnauthorized},
		{"the header wins", "Bearer nope", supervisorSession, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodPost, "/codec/decode", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: session.InsecureCookieName, Value: tc.cookie})
		}
		err := authorize(r)
		if got := statusOf(err); got != tc.status {
			t.Errorf("%s: %v (status %d), want %d", tc.name, err, got, tc.status)
		}
	}
	tokens.err = errors.New("database down")
	r := httptest.NewRequest(http.MethodPost, "/codec/decode", nil)
	r.Header.Set("Authorization", asSupervisor)
	if got := statusOf(authorize(r)); got != http.StatusServiceUnavailable {
		t.Errorf("with the database down: %d, want 503", got)
	}
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	var sc interface{ StatusCode() int }
	if !errors.As(err, &sc) {
		return -1
	}
	return sc.StatusCode()
}

// stubCodec plays payloadcodec's handler: it authorizes, then answers.
func stubCodec(authorize func(*http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := authorize(r); err != nil {
			code := statusOf(err)
			http.Error(w, http.StatusText(code), code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"payloads":[{"data":"` + familyName + `"}]}`))
	})
}

func TestCodecIsMountedAndAudited(t *testing.T) {
	tokens := newFakeTokens()
	sessions := newFakeSessions(tokens)
	id, _ := sessions.CreateSession(context.Background(), "tok_supervis", time.Hour)
	f := newFixture(t, shortDenialWindow, func(c *Config) {
		c.Auth = TokenAuthenticator{Store: tokens}
		c.Sessions = sessions.manager()
		c.Codec = stubCodec(SupervisorAuthorizer(c.Auth, c.Sessions))
	})
	cookie := session.InsecureCookieName + "=" + id
	res := f.do(http.MethodPost, "/codec/decode", `{"payloads":[]}`, "Cookie", cookie, "Content-Type", "application/json")
	res.want(t, http.StatusOK)
	if !strings.Contains(string(res.body), familyName) {
		t.Errorf("body %s", res.body)
	}
	if e := f.audit.last(t); e.Actor != "supervisor:sup-vilvoorde" || e.Action != "decode_payloads" || e.Outcome != store.OutcomeOK || e.Detail["token_id"] != "tok_supervis" {
		t.Errorf("audit entry %+v", e)
	}
	f.do(http.MethodPost, "/codec/encode", `{}`, authHeader, asSupervisor).want(t, http.StatusOK)
	if e := f.audit.last(t); e.Action != "encode_payloads" || e.Outcome != store.OutcomeOK {
		t.Errorf("audit entry %+v", e)
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/codec/decode", strings.NewReader(`{}`))
	req.Header.Set("Authorization", asCoach)
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("coach: %d", rec.Code)
	}
	if e := f.audit.last(t); e.Actor != "coach:test-coach" || e.Outcome != store.OutcomeDenied {
		t.Errorf("audit entry %+v", e)
	}
	rec = httptest.NewRecorder()
	f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/codec/decode", strings.NewReader(`{}`)))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("nobody: %d", rec.Code)
	}
	if e := waitDenials(t, f.audit.all); e.Detail["count"] != "1" {
		t.Errorf("audit entry %+v", e)
	}

	// A preflight is passed on, not audited.
	n := len(f.audit.all())
	rec = httptest.NewRecorder()
	f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "/codec/decode", nil))
	if rec.Code != http.StatusNoContent || len(f.audit.all()) != n {
		t.Errorf("preflight: %d, %d new entries", rec.Code, len(f.audit.all())-n)
	}

	// Decoded payloads whose reading cannot be recorded are not handed out.
	f.audit.err = errors.New("audit: connection refused")
	res = f.do(http.MethodPost, "/codec/decode", `{"payloads":[]}`, "Cookie", cookie)
	res.want(t, http.StatusServiceUnavailable)
	if strings.Contains(string(res.body), familyName) {
		t.Errorf("answered %s", res.body)
	}

	// The log names the caller, never the token.
	if strings.Contains(f.logs.String(), "supervisor-token") || !strings.Contains(f.logs.String(), `"actor":"supervisor:sup-vilvoorde"`) {
		t.Errorf("logs %s", f.logs.String())
	}
}
