package api

import (
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// Milestones and co-workers: the programme's own steps, recorded through
// one generic endpoint whose last word is the workflow's validator (it
// holds the trajectory's frozen list of milestones), and the people who
// work on a trajectory beside the coach.

var milestonePathPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

type milestoneBody struct {
	DoneAt *string `json:"done_at"`
	Note   string  `json:"note"`
}

func (s *server) postMilestone(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[milestoneBody]{update: trajectory.UpdateRecordMilestone,
		check: func(r *http.Request, _ store.TrajectorySummary, b milestoneBody, now time.Time) (any, *fieldErrors, *refusal) {
			fe := &fieldErrors{}
			id := mux.Vars(r)["milestone"]
			if !milestonePathPattern.MatchString(id) {
				fe.add("milestone", "the path must name a milestone id of the programme, such as opleiding_gestart")
			}
			var doneAt time.Time
			if b.DoneAt != nil {
				t, err := time.Parse(time.RFC3339, *b.DoneAt)
				if err != nil {
					fe.add("done_at", "must be an RFC 3339 date-time such as 2025-03-01T10:00:00+01:00")
				}
				doneAt = t
			}
			addProblems(fe, trajectory.MilestoneTimeProblems(now, doneAt))
			checkText(fe, "note", b.Note, false, maxNoteLength, true)
			noteDetail(r, "milestone", id)
			return trajectory.RecordMilestone{Milestone: id, DoneAt: doneAt, Note: b.Note, By: principal(r).Actor()}, fe, nil
		}})
}

type coWorkerBody struct {
	CoWorkerID string `json:"co_worker"`
	Role       string `json:"role"`
	Remove     bool   `json:"remove"`
}

func (s *server) postCoWorker(w http.ResponseWriter, r *http.Request) {
	postStep(s, w, r, step[coWorkerBody]{update: trajectory.UpdateAssignCoWorker, check: s.checkCoWorker})
}

// checkCoWorker checks that the co-worker has that role in the programme's
// current file, as checkAssignment does for a coach.
func (s *server) checkCoWorker(r *http.Request, row store.TrajectorySummary, b coWorkerBody, _ time.Time) (any, *fieldErrors, *refusal) {
	fe := &fieldErrors{}
	if !checkText(fe, "co_worker", b.CoWorkerID, true, maxIDLength, false) || !checkText(fe, "role", b.Role, true, maxIDLength, false) {
		return nil, fe, nil
	}
	p, known := s.programmes.Get(row.ProgrammeID)
	if !known {
		return nil, nil, programmeGone(row.ProgrammeID)
	}
	c, ok := p.CoWorker(b.CoWorkerID)
	switch {
	case !ok:
		ids := make([]string, len(p.CoWorkers))
		for i, c := range p.CoWorkers {
			ids[i] = c.ID
		}
		fe.add("co_worker", fmt.Sprintf("is not a co-worker of programme %s; its co-workers are %s", p.ID, orNothing(ids)))
	case c.Role != b.Role:
		fe.add("role", fmt.Sprintf("%s is %s in programme %s", c.ID, c.Role, p.ID))
	}
	if !fe.empty() {
		return nil, fe, nil
	}
	noteDetail(r, "co_worker", b.CoWorkerID)
	return trajectory.AssignCoWorker{CoWorkerID: b.CoWorkerID, Role: b.Role, Remove: b.Remove, By: principal(r).Actor()}, nil, nil
}

func orNothing(ids []string) string {
	if len(ids) == 0 {
		return "none (the programme file lists no co_workers)"
	}
	return joinComma(ids)
}
