package pages

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

func plannedVisitState(due time.Time) trajectory.State {
	return trajectory.State{TrajectoryID: stepTrajectory, Phase: trajectory.PhaseInSupport,
		Next: &trajectory.Step{Kind: trajectory.StepHomeVisit, Number: 3, DueAt: due, Planned: true}}
}

// inBrussels is a datetime-local value of t in Belgian time.
func inBrussels(t time.Time) string { return t.In(zone).Format("2006-01-02T15:04") }

// TestMoveAPlannedVisit: the page shows the planned visit and a form to
// move it; the form sends the Update move-visit for that visit (its key,
// not shown), the new time read in Belgian time; a time in the past is
// refused in Dutch before the workflow is asked; a supervisor may not.
func TestMoveAPlannedVisit(t *testing.T) {
	due := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
	f := newStepFixture(t, trajectory.PhaseInSupport, plannedVisitState(due))
	text := visibleText(f.get("coach", "/trajecten/"+stepTrajectory).Body.String())
	for _, want := range []string{"Het volgende huisbezoek is gepland op " + when(&due), "Huisbezoek verplaatsen", "Bezoek ging niet door"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q:\n%s", want, text)
		}
	}
	if m := codeLike.FindString(text); m != "" {
		t.Errorf("the page shows the code %q", m)
	}
	to := due.Add(72 * time.Hour)
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/bezoek-verplaatsen", url.Values{"step": {"home_visit-3"}, "to": {inBrussels(to)}, "reason": {"het gezin vroeg het"}})
	if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "?gedaan=bezoek-verplaatsen") {
		t.Fatalf("move: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	ups := f.temporal.sent()
	req := ups[0].Args[0].(trajectory.MoveVisit)
	if ups[0].UpdateName != trajectory.UpdateMoveVisit || req.Step != "home_visit-3" || !req.To.Equal(to) || req.Reason != "het gezin vroeg het" || req.By != "coach:test-coach" {
		t.Errorf("move %s %+v", ups[0].UpdateName, req)
	}
	if action, outcome := f.lastAction(); action != usecase.ActionMoveVisit || outcome != store.OutcomeOK {
		t.Errorf("audit %s %s", action, outcome)
	}
	if !strings.Contains(f.get("coach", "/trajecten/"+stepTrajectory+"?gedaan=bezoek-verplaatsen").Body.String(), "Het huisbezoek is verplaatst.") {
		t.Errorf("after the move the page does not say so")
	}
	past := inBrussels(time.Now().Add(-time.Hour))
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/bezoek-verplaatsen", url.Values{"step": {"home_visit-3"}, "to": {past}, "reason": {"ziek"}, "key": {"form-move-2"}})
	f.refusedOnPage(t, "coach", rec, "/trajecten/"+stepTrajectory+"?geweigerd=bezoek-verplaatsen", `value="`+past+`"`, `value="form-move-2"`, "ziek")
	if len(f.temporal.sent()) != 1 {
		t.Errorf("a move to the past was sent: %d updates", len(f.temporal.sent()))
	}
	if rec := f.post("supervisor", "/trajecten/"+stepTrajectory+"/bezoek-verplaatsen", url.Values{"step": {"home_visit-3"}, "to": {inBrussels(to)}}); rec.Code != http.StatusForbidden {
		t.Errorf("a supervisor moves a visit: %d", rec.Code)
	}
}

// TestRecordAMissedVisit: a visit that did not take place is recorded with
// a reason from the list (in Dutch on the form) and the new appointment;
// without a reason it is refused in Dutch; the workflow's refusal too.
func TestRecordAMissedVisit(t *testing.T) {
	due := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	f := newStepFixture(t, trajectory.PhaseInSupport, plannedVisitState(due))
	text := visibleText(f.get("coach", "/trajecten/"+stepTrajectory).Body.String())
	for _, want := range []string{"het gezin was niet thuis", "het gezin zegde af", "de coach kon niet", "een andere reden"} {
		if !strings.Contains(text, want) {
			t.Errorf("the form does not offer %q", want)
		}
	}
	next := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Minute)
	rec := f.post("coach", "/trajecten/"+stepTrajectory+"/bezoek-gemist", url.Values{"step": {"home_visit-3"}, "reason": {"not_home"}, "next": {inBrussels(next)}, "note": {"briefje in de bus"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("missed: %d %s", rec.Code, visibleText(rec.Body.String()))
	}
	ups := f.temporal.sent()
	req := ups[0].Args[0].(trajectory.MissedVisit)
	if ups[0].UpdateName != trajectory.UpdateRecordMissedVisit || req.Step != "home_visit-3" || req.Reason != trajectory.MissedNotHome ||
		!req.Next.Equal(next) || req.Note != "briefje in de bus" || req.By != "coach:test-coach" {
		t.Errorf("missed %s %+v", ups[0].UpdateName, req)
	}
	if action, _ := f.lastAction(); action != usecase.ActionMissedVisit {
		t.Errorf("audit action %s", action)
	}
	loc := "/trajecten/" + stepTrajectory + "?geweigerd=bezoek-gemist"
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/bezoek-gemist", url.Values{"step": {"home_visit-3"}, "next": {inBrussels(next)}, "note": {"niemand thuis"}, "key": {"form-miss-1"}})
	f.refusedOnPage(t, "coach", rec, loc, `value="`+inBrussels(next)+`"`, "niemand thuis</textarea>", `value="form-miss-1"`)
	if len(f.temporal.sent()) != 1 {
		t.Errorf("a missed visit without a reason was sent")
	}
	f.temporal.refuse = trajectory.Refused("no such visit", trajectory.Refusal{Code: trajectory.CodeVisitStepRequired})
	rec = f.post("coach", "/trajecten/"+stepTrajectory+"/bezoek-gemist", url.Values{"step": {"home_visit-3"}, "reason": {"other"}, "next": {inBrussels(next)}, "key": {"form-2"}})
	if text := f.refusedOnPage(t, "coach", rec, loc, `value="form-2"`); strings.Contains(text, refusedUnknown) {
		t.Errorf("a refused missed visit is not said:\n%s", text)
	}
	if len(f.temporal.sent()) != 2 {
		t.Errorf("%d Updates after a refused missed visit, want 2", len(f.temporal.sent()))
	}
}
