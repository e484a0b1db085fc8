package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

var handedOverAt = time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)

// handedOverTo gives the fixture's trajectory handovers in its log: the
// first to the OCMW, the second to the CAW.
func handedOverTo(f *fixture) {
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	row := f.store.rows[openID]
	row.Events = []store.EventRow{
		{Seq: 5, Kind: trajectory.EventHandoverRequested, Actor: "coach:test-coach", At: handedOverAt, Detail: map[string]string{"handover": "1", "service": "ocmw-vilvoorde"}},
		{Seq: 6, Kind: trajectory.EventHandoverRequested, Actor: "coach:test-coach", At: handedOverAt, Detail: map[string]string{"handover": "2", "service": "ocmw-vilvoorde"}},
		{Seq: 7, Kind: trajectory.EventHandoverResent, Actor: "coach:test-coach", At: handedOverAt, Detail: map[string]string{"handover": "2", "service": "caw-halle-vilvoorde"}},
	}
	f.store.rows[openID] = row
}

func TestResendHandover(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	handedOverTo(f)
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

// TestResendToAnotherServiceNeedsItsConsent: the family consented to hand
// over to one service; a failed handover goes to another only with the
// family's consent for that one (422 without it, as a handover), and the
// Update carries that consent, whose shares the email keeps to. The same
// service needs no new consent.
func TestResendToAnotherServiceNeedsItsConsent(t *testing.T) {
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	handedOverTo(f)
	consent := func(given bool, on string, shares ...string) string {
		b, _ := json.Marshal(map[string]any{"given": given, "recorded_on": on, "shares": shares})
		return string(b)
	}
	today := time.Now().In(dateZone).Format(time.DateOnly)
	for _, tc := range []struct {
		name, number, body string
		want               int
		fields             []string
		shares             []string // of the Update's consent; nil for none
	}{
		{"the same service", "2", `{"service":"caw-halle-vilvoorde"}`, http.StatusOK, nil, nil},
		{"another service without consent", "2", `{"service":"ocmw-vilvoorde"}`, http.StatusUnprocessableEntity, nil, nil},
		{"the first handover's service is not the second's", "1", `{"service":"caw-halle-vilvoorde"}`, http.StatusUnprocessableEntity, nil, nil},
		{"another service with its consent", "2", `{"service":"ocmw-vilvoorde","consent":` + consent(true, today, "children") + `}`, http.StatusOK, nil, []string{"children"}},
		{"the same service with a narrower consent", "2", `{"service":"caw-halle-vilvoorde","consent":` + consent(true, today) + `}`, http.StatusOK, nil, []string{}},
		{"a consent not given", "2", `{"service":"ocmw-vilvoorde","consent":` + consent(false, today, "contact") + `}`, http.StatusUnprocessableEntity, nil, nil},
		{"a consent without its date", "1", `{"service":"caw-halle-vilvoorde","consent":{"given":true,"shares":[]}}`, http.StatusUnprocessableEntity, nil, nil},
		{"a consent in the future", "2", `{"service":"ocmw-vilvoorde","consent":` + consent(true, "2999-01-01") + `}`, http.StatusBadRequest, []string{"consent.recorded_on"}, nil},
		{"an unknown share", "2", `{"service":"ocmw-vilvoorde","consent":` + consent(true, today, "diary") + `}`, http.StatusBadRequest, []string{"consent.shares[0]"}, nil},
	} {
		before := len(f.temporal.updates)
		res := f.do(http.MethodPost, stepPath("handovers/"+tc.number+"/resend"), tc.body, authHeader, asCoach)
		res.want(t, tc.want)
		switch tc.want {
		case http.StatusOK:
			if len(f.temporal.updates) != before+1 {
				t.Errorf("%s: no Update sent", tc.name)
				continue
			}
			req := f.temporal.updates[before].Args[0].(trajectory.ResendHandover)
			switch {
			case tc.shares == nil && req.Consent != nil:
				t.Errorf("%s: the Update carries a consent %+v", tc.name, req.Consent)
			case tc.shares != nil && (req.Consent == nil || !req.Consent.Given || !slices.Equal(req.Consent.Shares, tc.shares)):
				t.Errorf("%s: the Update's consent %+v, want shares %v", tc.name, req.Consent, tc.shares)
			}
		case http.StatusUnprocessableEntity:
			if res.err.Code != CodeConsentMissing || len(f.temporal.updates) != before {
				t.Errorf("%s: %+v with %d Updates; want consent required and none", tc.name, res.err, len(f.temporal.updates)-before)
			}
		default:
			checkFields(t, res, "invalid resend", tc.fields)
		}
	}

	// A handover the log does not show yet: the workflow's validator, which
	// knows, refuses it for want of consent, and that is a 422 too.
	f.temporal.getErr = trajectory.Refused("the family's consent to hand over to this service is not recorded",
		trajectory.Refusal{Code: trajectory.CodeConsentMissing})
	res := f.do(http.MethodPost, stepPath("handovers/3/resend"), `{"service":"ocmw-vilvoorde"}`, authHeader, asCoach)
	res.want(t, http.StatusUnprocessableEntity)
	if res.err.Code != CodeConsentMissing {
		t.Errorf("the validator's refusal: %+v", res.err)
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
	if a.UpdateName != trajectory.UpdateAdoptTimings || !ok || !reflect.DeepEqual(req.Timings, p.Timings()) ||
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
	if c := g.temporal.updates[0]; c.UpdateID == a.UpdateID || c.Args[0].(trajectory.AdoptTimings).Timings.IntakeDeadline != trajectory.Duration(p.IntakeDeadline) {
		t.Errorf("after the file changed: update %q with %+v", c.UpdateID, c.Args)
	}

	// A programme the server no longer has: nothing to adopt.
	gone := testCatalogue()
	delete(gone, "test-seconds")
	h := newFixture(t, func(c *Config) { c.Programmes = gone })
	h.store.add(openID, trajectory.PhaseInSupport)
	res := h.do(http.MethodPost, stepPath("programme-timings"), body, authHeader, asSupervisor)
	res.want(t, http.StatusConflict)
	if res.err.Code != CodeProgrammeFileMissing || len(h.temporal.updates) != 0 {
		t.Errorf("answered %+v with %d Updates", res.err, len(h.temporal.updates))
	}
	// Nor can a coach be assigned: the workflow keeps no list of coaches.
	res = h.do(http.MethodPost, stepPath("assignment"), `{"coach":"test-coach"}`, authHeader, asSupervisor)
	res.want(t, http.StatusConflict)
	if res.err.Code != CodeProgrammeFileMissing || len(h.temporal.updates) != 0 {
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
