package api

import (
	"net/http"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// A planned home visit moved to a new appointment, and one that did not
// take place (trajectory/visits.go). Neither is a visit done: the workflow
// re-plans the visit's reminder and alert at the new appointment.

type moveVisitBody struct {
	Step   string  `json:"step"`
	To     *string `json:"to"`
	Reason string  `json:"reason"`
}

type missedVisitBody struct {
	Step      string                       `json:"step"`
	PlannedAt *string                      `json:"planned_at"`
	Reason    trajectory.MissedVisitReason `json:"reason"`
	Next      *string                      `json:"next"`
	Note      string                       `json:"note"`
}

func (s *server) postVisitMove(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[moveVisitBody]{update: trajectory.UpdateMoveVisit,
		check: func(r *http.Request, _ store.TrajectorySummary, b moveVisitBody, now time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			req := trajectory.MoveVisit{Step: b.Step, To: parseInstant(fe, "to", b.To), Reason: b.Reason, By: principal(r).Actor()}
			// A field that did not parse keeps its first problem (fieldErrors.add).
			addProblems(fe, trajectory.MoveVisitProblems(now, req))
			return req, fe, nil
		}})
}

func (s *server) postVisitMissed(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[missedVisitBody]{update: trajectory.UpdateRecordMissedVisit,
		check: func(r *http.Request, _ store.TrajectorySummary, b missedVisitBody, now time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			req := trajectory.MissedVisit{Step: b.Step, PlannedAt: parseInstant(fe, "planned_at", b.PlannedAt), Reason: b.Reason,
				Next: parseInstant(fe, "next", b.Next), Note: b.Note, By: principal(r).Actor()}
			addProblems(fe, trajectory.MissedVisitProblems(now, req))
			return req, fe, nil
		}})
}

// parseInstant reads an optional RFC 3339 field; zero when absent.
func parseInstant(fe *fieldErrors, field string, v *string) time.Time {
	if v == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, *v)
	if err != nil {
		fe.add(field, "must be an RFC 3339 date-time such as 2025-03-01T10:00:00+01:00")
		return time.Time{}
	}
	return t
}
