package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

const familyName = "Fatima Testfamilie"

// validReferral returns a referral as a JSON object, so cases can break it field by field.
func validReferral() map[string]any {
	return map[string]any{
		"programme": "test-seconds",
		"referrer": map[string]any{
			"organisation":  "test-partner",
			"reference":     "KG/2025-0042",
			"contact_email": "verwijzer@partner.example",
		},
		"family": map[string]any{
			"contact_name": familyName,
			"address":      "Kerkstraat 1, 1800 Vilvoorde",
			"phone":        "+32 470 12 34 56",
			"language":     "nl",
		},
		"reason": "Zwangerschap, alleen, geen netwerk.",
	}
}

// set changes a dotted field of a referral; nil deletes it.
func set(m map[string]any, path string, v any) map[string]any {
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		cur = cur[p].(map[string]any)
	}
	if v == nil {
		delete(cur, parts[len(parts)-1])
	} else {
		cur[parts[len(parts)-1]] = v
	}
	return m
}

func TestReferralValidationNamesEachBadField(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"no programme", func(m map[string]any) { set(m, "programme", nil) }, []string{"programme"}},
		{"blank programme", func(m map[string]any) { set(m, "programme", "  ") }, []string{"programme"}},
		{"no organisation", func(m map[string]any) { set(m, "referrer.organisation", nil) }, []string{"referrer.organisation"}},
		{"no reference", func(m map[string]any) { set(m, "referrer.reference", "") }, []string{"referrer.reference"}},
		{"reference with a space", func(m map[string]any) { set(m, "referrer.reference", "KG 42") }, []string{"referrer.reference"}},
		{"reference with a name in it", func(m map[string]any) { set(m, "referrer.reference", "Fatima:42") }, []string{"referrer.reference"}},
		{"reference too long", func(m map[string]any) { set(m, "referrer.reference", long(65)) }, []string{"referrer.reference"}},
		{"reference of 64", func(m map[string]any) { set(m, "referrer.reference", long(64)) }, nil},
		{"bad email", func(m map[string]any) { set(m, "referrer.contact_email", "not-an-email") }, []string{"referrer.contact_email"}},
		{"email with a display name", func(m map[string]any) { set(m, "referrer.contact_email", "Ann <ann@partner.example>") }, []string{"referrer.contact_email"}},
		{"no email is fine", func(m map[string]any) { set(m, "referrer.contact_email", nil) }, nil},
		{"no contact name", func(m map[string]any) { set(m, "family.contact_name", nil) }, []string{"family.contact_name"}},
		{"contact name too long", func(m map[string]any) { set(m, "family.contact_name", long(201)) }, []string{"family.contact_name"}},
		{"contact name with NUL", func(m map[string]any) { set(m, "family.contact_name", "Fatima\x00") }, []string{"family.contact_name"}},
		{"contact name of two lines", func(m map[string]any) { set(m, "family.contact_name", "Fatima\nTest") }, []string{"family.contact_name"}},
		{"address too long", func(m map[string]any) { set(m, "family.address", long(501)) }, []string{"family.address"}},
		{"address of two lines is fine", func(m map[string]any) { set(m, "family.address", "Kerkstraat 1\n1800 Vilvoorde") }, nil},
		{"phone with letters", func(m map[string]any) { set(m, "family.phone", "call me maybe") }, []string{"family.phone"}},
		{"phone too short", func(m map[string]any) { set(m, "family.phone", "+32") }, []string{"family.phone"}},
		{"phone in brackets", func(m map[string]any) { set(m, "family.phone", "(02) 123-45-67") }, nil},
		{"neither address nor phone", func(m map[string]any) { set(m, "family.address", nil); set(m, "family.phone", "") }, []string{"family.address", "family.phone"}},
		{"only a phone", func(m map[string]any) { set(m, "family.address", nil) }, nil},
		{"only an address", func(m map[string]any) { set(m, "family.phone", nil) }, nil},
		{"no reason", func(m map[string]any) { set(m, "reason", nil) }, []string{"reason"}},
		{"reason too long", func(m map[string]any) { set(m, "reason", long(4001)) }, []string{"reason"}},
		{"reason of 4000", func(m map[string]any) { set(m, "reason", long(4000)) }, nil},
		{"language too long", func(m map[string]any) { set(m, "family.language", long(36)) }, []string{"family.language"}},
		{"due date in two months", func(m map[string]any) { set(m, "expected_due_date", inDays(60)) }, nil},
		{"due date three weeks ago", func(m map[string]any) { set(m, "expected_due_date", inDays(-21)) }, nil},
		{"due date of null", func(m map[string]any) { m["expected_due_date"] = json.RawMessage("null") }, nil},
		{"due date five weeks ago", func(m map[string]any) { set(m, "expected_due_date", inDays(-35)) }, []string{"expected_due_date"}},
		{"due date in eleven months", func(m map[string]any) { set(m, "expected_due_date", inMonths(11)) }, []string{"expected_due_date"}},
		{"due date written the Belgian way", func(m map[string]any) { set(m, "expected_due_date", "14-09-2025") }, []string{"expected_due_date"}},
		{"due date with a time", func(m map[string]any) { set(m, "expected_due_date", inDays(30)+"T00:00:00Z") }, []string{"expected_due_date"}},
		{"due date as a number", func(m map[string]any) { set(m, "expected_due_date", 20250914) }, []string{"expected_due_date"}},
		{"children", func(m map[string]any) {
			m["children"] = []any{child("Amira", inMonths(-30)), child("", inDays(-3)), map[string]any{"birth_date": inMonths(-12*25 + 1)}}
		}, nil},
		{"no children", func(m map[string]any) { m["children"] = []any{} }, nil},
		{"child without birth date", func(m map[string]any) { m["children"] = []any{map[string]any{"name": "Amira"}} }, []string{"children[0].birth_date"}},
		{"child born in the future", func(m map[string]any) {
			m["children"] = []any{child("Amira", inMonths(-30)), child("Youssef", inDays(2))}
		}, []string{"children[1].birth_date"}},
		{"child born 26 years ago", func(m map[string]any) { m["children"] = []any{child("", inMonths(-12*26))} }, []string{"children[0].birth_date"}},
		{"child birth date badly written", func(m map[string]any) { m["children"] = []any{child("", "2023/01/05")} }, []string{"children[0].birth_date"}},
		{"child birth date as a number", func(m map[string]any) {
			m["children"] = []any{child("", inDays(-9)), map[string]any{"birth_date": 2023}}
		}, []string{"children[1].birth_date"}},
		{"child name too long", func(m map[string]any) { m["children"] = []any{child(long(201), inDays(-9))} }, []string{"children[0].name"}},
		{"child name of two lines", func(m map[string]any) { m["children"] = []any{child("A\nB", inDays(-9))} }, []string{"children[0].name"}},
		{"twenty children", func(m map[string]any) { m["children"] = children(20) }, nil},
		{"twenty-one children", func(m map[string]any) { m["children"] = children(21) }, []string{"children"}},
		{"everything wrong", func(m map[string]any) {
			set(m, "referrer.reference", "a b")
			set(m, "family.contact_name", "")
			set(m, "referrer.contact_email", "x@")
			set(m, "reason", "")
		}, []string{"family.contact_name", "reason", "referrer.contact_email", "referrer.reference"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			body := validReferral()
			tc.change(body)
			res := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
			if tc.fields == nil {
				res.want(t, http.StatusCreated)
				return
			}
			checkFields(t, res, "invalid referral", tc.fields)
			if len(f.temporal.starts) != 0 {
				t.Error("an invalid referral started a workflow")
			}
		})
	}
}

// inDays is the date n days from today, in Belgium, as YYYY-MM-DD.
func inDays(n int) string {
	return trajectory.Today(time.Now()).AddDate(0, 0, n).Format(trajectory.DateLayout)
}

// inMonths is the date n months from today.
func inMonths(n int) string {
	return trajectory.Today(time.Now()).AddDate(0, n, 0).Format(trajectory.DateLayout)
}

func child(name, born string) map[string]any {
	c := map[string]any{"birth_date": born}
	if name != "" {
		c["name"] = name
	}
	return c
}

func children(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = child("", inMonths(-i-1))
	}
	return out
}

func TestReferralDueDateDetail(t *testing.T) {
	f := newFixture(t)
	res := f.do(http.MethodPost, "/v1/referrals", set(validReferral(), "expected_due_date", inDays(-40)), authHeader, asPartner)
	res.want(t, http.StatusBadRequest)
	if p := res.fields["expected_due_date"]; !strings.Contains(p, "a due date more than 4 weeks ago: record a birth instead") {
		t.Errorf("problem %q", p)
	}
}

// A due date and the children go to the workflow, also for a programme
// without perinatal follow-up (whose workflow ignores the due date).
func TestReferralCarriesDueDateAndChildren(t *testing.T) {
	f := newFixture(t)
	body := validReferral()
	due := inDays(100)
	born := inMonths(-20)
	body["expected_due_date"] = due
	body["children"] = []any{child("Amira", born)}
	f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner).want(t, http.StatusCreated)
	start := f.temporal.startArgs[0].(trajectory.Start)
	if start.Timings == nil || start.Timings.Perinatal != nil {
		t.Fatal("the test programme should have timings without perinatal follow-up")
	}
	ref := start.Referral
	if ref.ExpectedDueDate.String() != due || len(ref.Children) != 1 || ref.Children[0].Name != "Amira" || ref.Children[0].BirthDate.String() != born {
		t.Errorf("referral %+v", ref)
	}
	raw, _ := json.Marshal(ref)
	if !strings.Contains(string(raw), `"expected_due_date":"`+due+`"`) {
		t.Errorf("marshalled %s", raw)
	}

	// Without them: no due date, no children.
	f.do(http.MethodPost, "/v1/referrals", set(validReferral(), "referrer.reference", "KG-2"), authHeader, asPartner).want(t, http.StatusCreated)
	if ref := f.temporal.startArgs[1].(trajectory.Start).Referral; !ref.ExpectedDueDate.IsZero() || ref.Children != nil {
		t.Errorf("referral %+v", ref)
	}
}

func TestReferralDetailExample(t *testing.T) {
	f := newFixture(t)
	body := validReferral()
	set(body, "referrer.reference", "")
	set(body, "family.contact_name", "")
	res := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	res.want(t, http.StatusBadRequest)
	want := "referrer.reference: is required; family.contact_name: is required"
	if res.err.Detail != want {
		t.Errorf("detail %q, want %q", res.err.Detail, want)
	}
	if res.fields["referrer.reference"] != "is required" || res.fields["family.contact_name"] != "is required" {
		t.Errorf("fields %v", res.fields)
	}
}

func TestReferralBodyProblems(t *testing.T) {
	valid, _ := json.Marshal(validReferral())
	big := validReferral()
	set(big, "reason", strings.Repeat("a", 70<<10))
	bigBody, _ := json.Marshal(big)
	cases := []struct {
		name   string
		body   string
		status int
		code   ProblemCode
		field  string
	}{
		{"malformed", `{"programme": `, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"not JSON", `programme=test-seconds`, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"empty", ``, http.StatusBadRequest, CodeBodyEmpty, ""},
		{"array", `[]`, http.StatusBadRequest, CodeMalformedJSON, ""},
		{"two objects", string(valid) + string(valid), http.StatusBadRequest, CodeMalformedJSON, ""},
		{"unknown top-level field", `{"programme":"test-seconds","urgent":true}`, http.StatusBadRequest, CodeInvalidRequest, "urgent"},
		{"unknown nested field", `{"programme":"test-seconds","family":{"contact_name":"x","birth_date":"2020-01-01"}}`, http.StatusBadRequest, CodeInvalidRequest, "birth_date"},
		{"unknown child field", `{"programme":"test-seconds","children":[{"birth_date":"2020-01-01","gender":"f"}]}`, http.StatusBadRequest, CodeInvalidRequest, "gender"},
		{"children not a list", `{"programme":"test-seconds","children":{"birth_date":"2020-01-01"}}`, http.StatusBadRequest, CodeInvalidRequest, "children"},
		{"wrong type", `{"programme":"test-seconds","reason":42}`, http.StatusBadRequest, CodeInvalidRequest, "reason"},
		{"wrong nested type", `{"referrer":{"reference":7}}`, http.StatusBadRequest, CodeInvalidRequest, "referrer.reference"},
		{"too large", string(bigBody), http.StatusRequestEntityTooLarge, CodeBodyTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(http.MethodPost, "/v1/referrals", tc.body, authHeader, asPartner)
			res.want(t, tc.status)
			if res.err.Code != tc.code {
				t.Errorf("code %q, want %q (%s)", res.err.Code, tc.code, res.body)
			}
			if tc.field != "" {
				if _, ok := res.fields[tc.field]; !ok || !strings.Contains(res.err.Detail, tc.field) {
					t.Errorf("field %s not named: %s", tc.field, res.body)
				}
			}
		})
	}
}

func TestReferralUnknownProgramme(t *testing.T) {
	f := newFixture(t)
	res := f.do(http.MethodPost, "/v1/referrals", set(validReferral(), "programme", "no-such-programme"), authHeader, asPartner)
	res.want(t, http.StatusNotFound)
	// A partner learns only which programmes accept it.
	if res.err.Code != CodeProgrammeNotFound || !strings.Contains(res.err.Detail, "no-such-programme") ||
		!strings.HasSuffix(res.err.Detail, "the programmes that accept your referrals are: test-seconds") {
		t.Errorf("error %+v", res.err)
	}
}

func TestReferralDisallowedReferrer(t *testing.T) {
	f := newFixture(t)
	body := set(validReferral(), "programme", "go-team-mechelen")
	res := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	res.want(t, http.StatusForbidden)
	want := "programme go-team-mechelen does not accept referrals from your organisation (test-partner); the programmes that accept your referrals are: test-seconds"
	if res.err.Code != CodeReferrerNotAllowed || res.err.Detail != want {
		t.Errorf("answered %+v, want detail %q", res.err, want)
	}
	if e := f.audit.last(t); e.Actor != "partner:test-partner" || e.Action != "create_referral" || e.Outcome != store.OutcomeDenied ||
		e.Detail["programme"] != "go-team-mechelen" || e.Detail["reason"] != "programme" || e.TrajectoryID != "" {
		t.Errorf("audit entry %+v", e)
	}

	// A partner refers only as itself, also to a programme that accepts
	// the organisation it names.
	body = set(validReferral(), "referrer.organisation", "politie-mechelen")
	set(body, "programme", "go-team-mechelen")
	res = f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	res.want(t, http.StatusForbidden)
	if res.err.Code != CodeReferrerNotAllowed || res.err.Detail != `you may only refer as your own organisation: referrer.organisation must be "test-partner"` {
		t.Errorf("answered %+v", res.err)
	}
	if len(f.temporal.starts) != 0 {
		t.Error("a disallowed referral started a workflow")
	}
}

func TestReferralStartsTrajectoryOnce(t *testing.T) {
	f := newFixture(t)
	id := testID("test-seconds", "test-partner", "KG/2025-0042")

	res := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusCreated)
	var body ReferralResponse
	res.decode(t, &body)
	want := ReferralResponse{ID: id, Phase: trajectory.PhaseReferred, Location: "/v1/referrals/" + id}
	if body != want {
		t.Errorf("body %+v, want %+v", body, want)
	}
	if loc := res.header.Get("Location"); loc != want.Location {
		t.Errorf("Location %q, want %q", loc, want.Location)
	}

	if len(f.temporal.starts) != 1 {
		t.Fatalf("%d workflows started, want 1", len(f.temporal.starts))
	}
	opts := f.temporal.starts[0]
	if opts.ID != id || opts.TaskQueue != trajectory.TaskQueue ||
		opts.WorkflowIDReusePolicy != enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE || !opts.WorkflowExecutionErrorWhenAlreadyStarted {
		t.Errorf("start options %+v", opts)
	}
	start, ok := f.temporal.startArgs[0].(trajectory.Start)
	if !ok || start.TrajectoryID != id || start.ProgrammeID != "test-seconds" || start.Referral.Family.ContactName != familyName {
		t.Errorf("workflow input %+v", f.temporal.startArgs[0])
	}
	// The workflow gets the programme's timings, never the programme with
	// its people: those are looked up by id when an email goes out.
	p, _ := testCatalogue().Get("test-seconds")
	if start.Programme != nil || start.ProgrammeName != p.Name || start.Timings == nil || !reflect.DeepEqual(*start.Timings, p.Timings()) {
		t.Errorf("workflow input %+v, want the timings and name of the programme and no programme", start)
	}

	if len(f.store.events) != 1 {
		t.Fatalf("%d events written, want the referred event", len(f.store.events))
	}
	ev := f.store.events[0]
	if ev.TrajectoryID != id || ev.Seq != 1 || ev.Kind != trajectory.EventReferred || ev.Summary.Phase != trajectory.PhaseReferred ||
		ev.Referral == nil || ev.Referral.Family.ContactName != familyName {
		t.Errorf("referred event %+v", ev)
	}

	// The same referral again: elkgezin recorded it; same body, 200, and
	// no second start.
	res = f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusOK)
	var again ReferralResponse
	res.decode(t, &again)
	if again != want || res.header.Get("Location") != want.Location {
		t.Errorf("repeat answered %+v, Location %q", again, res.header.Get("Location"))
	}
	if len(f.temporal.starts) != 1 {
		t.Errorf("%d starts, want 1: a recorded referral starts nothing", len(f.temporal.starts))
	}
}

// TestReferralOfAClosedTrajectoryStartsNothing: Temporal no longer holds
// the closed trajectory's run (its retention passed); the same referral is
// answered from elkgezin's record, with the real phase, and no workflow is
// started over its log.
func TestReferralOfAClosedTrajectoryStartsNothing(t *testing.T) {
	f := newFixture(t)
	res := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusCreated)
	var first ReferralResponse
	res.decode(t, &first)
	row := f.store.rows[first.ID]
	row.Phase = trajectory.PhaseClosed
	f.store.rows[first.ID] = row
	f.temporal.startErr = nil // Temporal would start a new run

	again := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	again.want(t, http.StatusOK)
	var got ReferralResponse
	again.decode(t, &got)
	if got.ID != first.ID || got.Phase != trajectory.PhaseClosed {
		t.Errorf("answered %+v, want %s closed", got, first.ID)
	}
	if len(f.temporal.starts) != 1 || len(f.store.events) != 1 {
		t.Errorf("%d starts, %d events written; want the first referral's only", len(f.temporal.starts), len(f.store.events))
	}
	f.store.readErr = errors.New("connection refused")
	down := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	down.want(t, http.StatusServiceUnavailable)
	if len(f.temporal.starts) != 1 {
		t.Error("a referral was started while elkgezin's record could not be read")
	}
}

func TestReferralNotListedIsAnswered503AndLoggedWithoutPersonalData(t *testing.T) {
	f := newFixture(t)
	// A store error that quotes what it was given.
	f.store.recordErr = errors.New(`record event: could not store "` + familyName + `" at "Kerkstraat 1, 1800 Vilvoorde" with child "Amira Testkind"`)
	body := validReferral()
	body["children"] = []any{child("Amira Testkind", inMonths(-20))}
	res := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	// Started, but not listed: the partner is told to send it again, and
	// the same referral then lists it under the same id.
	res.want(t, http.StatusServiceUnavailable)
	if res.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	f.store.recordErr = nil
	f.temporal.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run")
	// Until the workflow lists it, the same referral is answered 503 too.
	again := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	again.want(t, http.StatusServiceUnavailable)
	if again.header.Get("Retry-After") == "" || len(f.store.events) != 0 {
		t.Errorf("503 Retry-After %q, %d events; want a Retry-After and nothing written by the API", again.header.Get("Retry-After"), len(f.store.events))
	}
	// The workflow's first task lists it with the instant it started with.
	start := f.temporal.startArgs[0].(trajectory.Start)
	p, _ := testCatalogue().Get(start.ProgrammeID)
	if err := f.store.ListReferral(t.Context(), trajectory.ReferredEvent(start.TrajectoryID, p.ID, p.Timings(), start.Referral, start.ReferredAt)); err != nil {
		t.Fatal(err)
	}
	again = f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
	again.want(t, http.StatusOK)
	if len(f.store.events) != 1 || !f.store.events[0].At.Equal(start.ReferredAt) {
		t.Errorf("events %+v after the referral was sent again, want the workflow's referred event", f.store.events)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "could not write the referred event") {
		t.Errorf("the failure is not logged: %s", logs)
	}
	for _, personal := range []string{familyName, "Kerkstraat", "Zwangerschap", "470 12 34", "Amira"} {
		if strings.Contains(logs, personal) {
			t.Errorf("the log holds personal data %q: %s", personal, logs)
		}
	}
}

// TestReferralStartedWithoutUnknownSearchAttributes: a frontend that does
// not know the search attributes yet refuses a start that carries them;
// the trajectory is started without them, and its workflow upserts them.
func TestReferralStartedWithoutUnknownSearchAttributes(t *testing.T) {
	f := newFixture(t)
	f.temporal.refuseSearchAttributes = true
	f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner).want(t, http.StatusCreated)
	if len(f.temporal.starts) != 2 || f.temporal.starts[0].TypedSearchAttributes.Size() == 0 || f.temporal.starts[1].TypedSearchAttributes.Size() != 0 {
		t.Fatalf("starts %+v, want one with the search attributes, then one without", f.temporal.starts)
	}
	if first, second := f.temporal.startArgs[0].(trajectory.Start), f.temporal.startArgs[1].(trajectory.Start); !first.SearchAttributesSet || second.SearchAttributesSet {
		t.Errorf("SearchAttributesSet %v then %v, want true then false", first.SearchAttributesSet, second.SearchAttributesSet)
	}
}

func TestReferralTemporalRefusal(t *testing.T) {
	f := newFixture(t)
	f.temporal.startErr = serviceerror.NewInvalidArgument("bad request")
	res := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusInternalServerError)
	if len(f.store.events) != 0 {
		t.Error("the referred event was written for a trajectory that did not start")
	}
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	res = f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusServiceUnavailable)
	// An overloaded server that cannot read its namespaces says it has none.
	f.temporal.startErr = serviceerror.NewNamespaceNotFound("stack")
	res = f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	res.want(t, http.StatusServiceUnavailable)
}

// TestReferralAgainAfterClosureNamesThePreviousTrajectory: a family
// referred again with a new reference names its earlier trajectory, which
// must be a closed trajectory of the programme that the same partner
// referred; one that is not the partner's is answered as one that does
// not exist.
func TestReferralAgainAfterClosureNamesThePreviousTrajectory(t *testing.T) {
	const closedID, openOne, othersID = "tr-aaaaaaaaaaaaaaaaaaaaaaaaaa", "tr-bbbbbbbbbbbbbbbbbbbbbbbbbb", "tr-cccccccccccccccccccccccccc"
	f := newFixture(t)
	f.store.add(closedID, trajectory.PhaseClosed)
	f.store.add(openOne, trajectory.PhaseInSupport)
	f.store.add(othersID, trajectory.PhaseClosed)
	row := f.store.rows[othersID]
	row.ReferrerOrg = "another-partner"
	f.store.rows[othersID] = row
	for _, tc := range []struct {
		name, previous string
		status         int
		field          string
	}{
		{"not an id", "KG/2025-0001", http.StatusBadRequest, "previous_trajectory_id"},
		{"unknown", "tr-dddddddddddddddddddddddddd", http.StatusBadRequest, "previous_trajectory_id"},
		{"another partner", othersID, http.StatusBadRequest, "previous_trajectory_id"},
		{"still open", openOne, http.StatusConflict, ""},
		{"closed", closedID, http.StatusCreated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := set(validReferral(), "referrer.reference", "KG/2026-"+strings.ReplaceAll(tc.name, " ", "-"))
			body["previous_trajectory_id"] = tc.previous
			res := f.do(http.MethodPost, "/v1/referrals", body, authHeader, asPartner)
			res.want(t, tc.status)
			if tc.field != "" && !strings.Contains(string(res.body), `"/`+tc.field+`"`) {
				t.Errorf("the answer does not name %s: %s", tc.field, res.body)
			}
		})
	}
	if len(f.temporal.starts) != 1 {
		t.Fatalf("%d starts, want the closed case's", len(f.temporal.starts))
	}
	start := f.temporal.startArgs[0].(trajectory.Start)
	ev := f.store.events[len(f.store.events)-1]
	if start.Referral.PreviousTrajectoryID != closedID || ev.Referral.PreviousTrajectoryID != closedID || ev.Detail["previous_trajectory"] != closedID {
		t.Errorf("start %+v, referred event %+v: want the previous trajectory named", start.Referral, ev)
	}
}

// keyMaker is a DataKeyMaker that makes each trajectory's key once.
type keyMaker struct{ made map[string]bool }

func (k *keyMaker) Prepare(_ context.Context, id, _ string) (bool, error) {
	if k.made[id] {
		return false, nil
	}
	k.made[id] = true
	return true, nil
}

// TestNewReferralCostsNoLookup: a referral whose data key is made now
// names a trajectory never recorded (every trajectory gets its key before
// its start), so the API starts it without asking for its record; one
// whose key existed is answered from the record.
func TestNewReferralCostsNoLookup(t *testing.T) {
	keys := &keyMaker{made: map[string]bool{}}
	f := newFixture(t, func(c *Config) { c.DataKeys = keys })
	f.store.readErr = errors.New("the record must not be read") // a read answers 503
	f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner).want(t, http.StatusCreated)
	f.store.readErr = nil
	f.temporal.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run")
	again := f.do(http.MethodPost, "/v1/referrals", validReferral(), authHeader, asPartner)
	again.want(t, http.StatusOK)
	if len(f.temporal.starts) != 1 {
		t.Errorf("%d starts, want 1: the second referral is answered from the record", len(f.temporal.starts))
	}
}
