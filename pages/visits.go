package pages

import (
	"net/url"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Moving a planned home visit the family asks to postpone, and recording
// one that did not take place with the new appointment: neither is a
// visit done, and the workflow re-plans the reminder and the alert.

func buildMoveVisit(_ *handler, _ store.Trajectory, f url.Values, by string, now time.Time) (string, any, string) {
	to, err := parseLocal(f.Get("to"))
	if err != nil || to.IsZero() {
		return "", nil, "Vul de nieuwe datum en het uur van het bezoek in."
	}
	reason, problem := typed(f, "reason", "De reden", false, trajectory.MaxVisitReasonLength, false)
	if problem != "" {
		return "", nil, problem
	}
	req := trajectory.MoveVisit{Step: f.Get("step"), To: to, Reason: reason, By: by}
	if ps := trajectory.MoveVisitProblems(now, req); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateMoveVisit, req, ""
}

func buildMissedVisit(_ *handler, _ store.Trajectory, f url.Values, by string, now time.Time) (string, any, string) {
	next, err := parseLocal(f.Get("next"))
	if err != nil || next.IsZero() {
		return "", nil, "Vul de datum en het uur van de nieuwe afspraak in."
	}
	note, problem := typed(f, "note", "De nota", false, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	req := trajectory.MissedVisit{Step: f.Get("step"), Reason: trajectory.MissedVisitReason(f.Get("reason")), Next: next, Note: note, By: by}
	if ps := trajectory.MissedVisitProblems(now, req); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateRecordMissedVisit, req, ""
}

// missedReasonLabel says why a visit did not take place, in Dutch.
func missedReasonLabel(r trajectory.MissedVisitReason) string {
	if l, ok := map[trajectory.MissedVisitReason]string{
		trajectory.MissedNotHome: "het gezin was niet thuis", trajectory.MissedCancelledByFamily: "het gezin zegde af",
		trajectory.MissedCoachUnavailable: "de coach kon niet", trajectory.MissedOther: "een andere reden",
	}[r]; ok {
		return l
	}
	return "een andere reden"
}

func init() { funcs["missed"] = missedReasonLabel }
