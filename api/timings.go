package api

import (
	"net/http"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

type timingsBody struct {
	Reason string `json:"reason"`
}

// postProgrammeTimings moves a running trajectory to the timings its
// programme's file has now (a trajectory keeps the timings it was referred
// with until then). The timings come from the file this API was started
// with, never from the body. The same request for the same timings is the
// same Update (derivedKey covers them), so repeating it changes nothing.
func (s *server) postProgrammeTimings(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[timingsBody]{update: trajectory.UpdateAdoptTimings,
		check: func(r *http.Request, row store.TrajectorySummary, b timingsBody, _ time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			checkText(fe, "reason", b.Reason, true, maxReasonLength, true)
			p, known := s.programmes.Get(row.ProgrammeID)
			if !known {
				return nil, fe, programmeGone(row.ProgrammeID)
			}
			return trajectory.AdoptTimings{Timings: p.Timings(), Reason: b.Reason, By: principal(r).Actor()}, fe, nil
		}})
}
