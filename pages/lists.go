package pages

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"elkgezin/store"
	"elkgezin/usecase"
)

// row is one family in a list.
type row struct {
	store.TrajectorySummary
	Name    string
	DueSoon bool
}

// listAll reads every open trajectory the principal may see.
func (h *handler) listAll(r *http.Request, p usecase.Principal) ([]store.TrajectorySummary, error) {
	f := usecase.Filter(p, store.Filter{Limit: store.MaxListLimit})
	var all []store.TrajectorySummary
	for {
		pg, err := h.Cases.Store.ListTrajectories(r.Context(), f)
		if err != nil {
			return nil, err
		}
		all = append(all, pg.Items...)
		if pg.NextCursor == "" || len(all) > 2000 {
			return all, nil
		}
		f.Cursor = pg.NextCursor
	}
}

// families is the coach's "Mijn gezinnen": late first, then due within a
// week, then the rest, each by due date.
func (h *handler) families(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	if p.Kind == usecase.KindSupervisor {
		http.Redirect(w, r, "/team", http.StatusSeeOther)
		return
	}
	items, err := h.listAll(r, p)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	now := time.Now()
	var rows []row
	for _, it := range items {
		if it.Phase == "closed" {
			continue
		}
		full, err := h.Cases.Visible(r.Context(), p, it.ID)
		if err != nil {
			continue // reassigned in between: no longer theirs
		}
		rw := row{TrajectorySummary: it}
		if full.Family != nil {
			rw.Name = full.Family.ContactName
		}
		rw.DueSoon = !it.Overdue && it.NextDueAt != nil && it.NextDueAt.Before(now.AddDate(0, 0, 7))
		rows = append(rows, rw)
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		return cmp.Compare(due(a), due(b))
	})
	if err := h.audit(r, usecase.ActionList, "", store.OutcomeOK, map[string]string{"items": itoa(len(rows))}); err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "gezinnen", "Mijn gezinnen", rows)
}

func rank(r row) int {
	switch {
	case r.Overdue || r.Escalated:
		return 0
	case r.DueSoon:
		return 1
	}
	return 2
}

func due(r row) int64 {
	if r.NextDueAt == nil {
		return 1 << 62
	}
	return r.NextDueAt.Unix()
}

type coachLine struct {
	Coach                 string
	Open, Late, Escalated int
}

type teamData struct {
	Waiting    []store.TrajectorySummary
	Coaches    []coachLine
	Escalated  []store.TrajectorySummary
	CoachNames map[string][]string // programme -> coach ids, for the assign select
}

// team is the supervisor's overview: waiting for a coach (assign in one
// action), open/late/escalated per coach, and the escalations.
func (h *handler) team(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	if p.Kind != usecase.KindSupervisor {
		http.Redirect(w, r, "/gezinnen", http.StatusSeeOther)
		return
	}
	items, err := h.listAll(r, p)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	d := teamData{CoachNames: map[string][]string{}}
	per := map[string]*coachLine{}
	for _, it := range items {
		switch {
		case it.Phase == "closed":
			continue
		case it.Phase == "referred":
			d.Waiting = append(d.Waiting, it)
		}
		if it.Escalated {
			d.Escalated = append(d.Escalated, it)
		}
		if it.CoachID == "" {
			continue
		}
		c := per[it.CoachID]
		if c == nil {
			c = &coachLine{Coach: it.CoachID}
			per[it.CoachID] = c
		}
		c.Open++
		if it.Overdue {
			c.Late++
		}
		if it.Escalated {
			c.Escalated++
		}
	}
	for _, id := range p.Programmes {
		if prog, ok := h.Cases.Programmes.Get(id); ok {
			for _, c := range prog.Coaches {
				d.CoachNames[id] = append(d.CoachNames[id], c.ID)
			}
		}
	}
	for _, c := range per {
		d.Coaches = append(d.Coaches, *c)
	}
	slices.SortFunc(d.Coaches, func(a, b coachLine) int { return cmp.Compare(a.Coach, b.Coach) })
	if err := h.audit(r, usecase.ActionList, "", store.OutcomeOK, map[string]string{"items": itoa(len(items))}); err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "team", "Team", d)
}
