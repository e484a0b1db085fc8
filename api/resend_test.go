package api

import (
	"net/http"
	"reflect"
	"testing"

	"elkgezin/programme"
	"elkgezin/trajectory"
)

func TestResendHandover(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	f.do(http.MethodPost, stepPath("handovers/2/resend"), `{"service":"caw-halle-vilvoorde"}`, authHeader, asCoach).want(t, http.StatusOK)
	u := f.temporal.updates[0]
	req, ok := u.Args[0].(trajectory.ResendHandover)
	want := testServices()["caw-halle-vilvoorde"]
	if u.UpdateName != trajectory.UpdateResendHandover || !ok || req.Number != 2 || req.Service != want || req.By != "coach:test-coach" {
		t.Errorf("update %s with %+v", u.UpdateName, u.Args)
	}
	if e := f.audit.last(t); e.Action != "resend_handover" || e.TrajectoryID != openID {
		t.Errorf("audit entry %+v", e)
	}

	for _, tc := range []struct {
		name, path, body string
		fields           []string
	}{
		{"unknown service", "handovers/2/resend", `{"service":"nergens"}`, []string{"service"}},
		{"no service", "handovers/2/resend", `{}`, []string{"service"}},
		{"number zero", "handovers/0/resend", `{"service":"ocmw-vilvoorde"}`, []string{"number"}},
		{"number not a number", "handovers/twee/resend", `{"service":"ocmw-vilvoorde"}`, []string{"number"}},
	} {
		res := f.do(http.MethodPost, stepPath(tc.path), tc.body, authHeader, asCoach)
		checkFields(t, res, "invalid resend", tc.fields)
	}
	if len(f.temporal.updates) != 1 {
		t.Errorf("%d Updates, want only the valid one", len(f.temporal.updates))
	}
}

func TestAdoptProgrammeTimings(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	body := `{"reason":"Kortere termijn voor de intake."}`
	f.do(http.MethodPost, stepPath("programme-timings"), body, authHeader, asSupervisor).want(t, http.StatusOK)
	f.do(http.MethodPost, stepPath("programme-timings"), body, authHeader, asSupervisor).want(t, http.StatusOK)
	p, _ := testCatalogue().Get("test-seconds")
	a, b := f.temporal.updates[0], f.temporal.updates[1]
	req, ok := a.Args[0].(trajectory.AdoptTimings)
	if a.UpdateName != trajectory.UpdateAdoptTimings || !ok || !reflect.DeepEqual(req.Timings, trajectory.TimingsOf(p)) ||
		req.Reason != "Kortere termijn voor de intake." || req.By != "supervisor:sup-vilvoorde" {
		t.Errorf("update %s with %+v", a.UpdateName, a.Args)
	}
	if a.UpdateID != b.UpdateID {
		t.Errorf("the same adoption twice: %q, then %q", a.UpdateID, b.UpdateID)
	}

	checkFields(t, f.do(http.MethodPost, stepPath("programme-timings"), `{}`, authHeader, asSupervisor), "invalid timings adoption", []string{"reason"})
	checkFields(t, f.do(http.MethodPost, stepPath("programme-timings"), `{"timings":{}}`, authHeader, asSupervisor), "unknown field", []string{"timings"})

	// The programme's file changed: another adoption, another Update.
	changed := testCatalogue()
	p.IntakeDeadline = programme.Duration(2 * p.IntakeDeadline)
	changed[p.ID] = p
	g := newFixture(t, func(c *Config) { c.Programmes = changed })
	g.store.add(openID, trajectory.PhaseInSupport)
	g.do(http.MethodPost, stepPath("programme-timings"), body, authHeader, asSupervisor).want(t, http.StatusOK)
	if c := g.temporal.updates[0]; c.UpdateID == a.UpdateID || c.Args[0].(trajectory.AdoptTimings).Timings.IntakeDeadline != p.IntakeDeadline {
		t.Errorf("after the file changed: update %q with %+v", c.UpdateID, c.Args)
	}

	// A programme the server no longer has: nothing to adopt.
	gone := testCatalogue()
	delete(gone, "test-seconds")
	h := newFixture(t, func(c *Config) { c.Programmes = gone })
	h.store.add(openID, trajectory.PhaseInSupport)
	res := h.do(http.MethodPost, stepPath("programme-timings"), body, authHeader, asSupervisor)
	res.want(t, http.StatusConflict)
	if res.err.Error != "programme unknown" || len(h.temporal.updates) != 0 {
		t.Errorf("answered %+v with %d Updates", res.err, len(h.temporal.updates))
	}
	// Nor can a coach be assigned: the workflow keeps no list of coaches.
	res = h.do(http.MethodPost, stepPath("assignment"), `{"coach":"test-coach"}`, authHeader, asSupervisor)
	res.want(t, http.StatusConflict)
	if res.err.Error != "programme unknown" || len(h.temporal.updates) != 0 {
		t.Errorf("assignment answered %+v with %d Updates", res.err, len(h.temporal.updates))
	}
}

// A coach added to the programme's file after the referral can be
// assigned: the API checks the file as it is now.
func TestAssignCoachAddedLater(t *testing.T) {
	cat := testCatalogue()
	p := cat["test-seconds"]
	p.Coaches = append(append([]programme.Coach{}, p.Coaches...), programme.Coach{ID: "new-coach", Name: "Nieuw", Email: "nieuw@test.example"})
	cat[p.ID] = p
	f := newFixture(t, func(c *Config) { c.Programmes = cat })
	f.store.add(openID, trajectory.PhaseReferred)
	f.do(http.MethodPost, stepPath("assignment"), `{"coach":"new-coach"}`, authHeader, asSupervisor).want(t, http.StatusOK)
	if req := f.temporal.updates[0].Args[0].(trajectory.AssignCoach); req.CoachID != "new-coach" {
		t.Errorf("assigned %+v", req)
	}
}
