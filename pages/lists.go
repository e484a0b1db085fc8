package pages

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
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
	Name, Programme       string
	Open, Late, Escalated int
}

// teamRow is a family on the team page, by its name when the supervisor
// may read it, else by programme and referral date; never by id.
type teamRow struct {
	store.TrajectorySummary
	Label string
}

type teamData struct {
	Waiting   []teamRow
	Coaches   []coachLine
	Escalated []teamRow
	// CoachNames are each programme's coaches, for the assign select.
	CoachNames map[string][]programme.Coach
	// Programmes: more than one, and each line says its programme.
	Programmes bool
	Charts     []chart
}

// team is the supervisor's overview: waiting for a coach (assign in one
// action, and back here), every coach of the programmes with their open,
// late and escalated families, the escalations, and charts of the
// referrals and the time to a coach and an intake.
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
	n := h.names()
	label := func(it store.TrajectorySummary) string { return h.familyLabel(r, p, n, it) }
	d := h.teamOverview(p, n, items, label)
	if h.Figures != nil {
		now := time.Now()
		figs, err := h.Figures.TeamFigures(r.Context(), p.Programmes, now.AddDate(-1, 0, -1), now)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		d.Charts = monthCharts(figs, now)
	}
	d.Charts = append(d.Charts, coachChart(d.Coaches))
	if err := h.audit(r, usecase.ActionList, "", store.OutcomeOK, map[string]string{"items": itoa(len(items))}); err != nil {
		h.unavailable(w, r, err)
		return
	}
	o := teamOutcome(r)
	if o != nil && !o.Refused {
		// Say which family got which coach, when it is still listed.
		for _, it := range items {
			if it.ID == r.URL.Query().Get("traject") && it.CoachID != "" {
				o.Text = n.Coach(it.ProgrammeID, it.CoachID) + " is de coach van " + label(it) + "."
			}
		}
	}
	h.renderOutcome(w, r, http.StatusOK, "team", "Team", d, o)
}

// familyLabel names an open trajectory's family for the supervisor: the
// contact's name when the family is visible, else the programme and date.
func (h *handler) familyLabel(r *http.Request, p usecase.Principal, n names, it store.TrajectorySummary) string {
	if full, err := h.Cases.Visible(r.Context(), p, it.ID); err == nil && full.Family != nil && full.Family.ContactName != "" {
		return full.Family.ContactName
	}
	return "Gezin van " + n.Programme(it.ProgrammeID) + ", doorverwezen op " + when(&it.ReferredAt)
}

// teamOverview sorts the open trajectories into the supervisor's team
// page: families waiting for a coach, escalated ones, and one line per
// coach (every coach of the supervisor's programmes, busy or not) with
// the coach's open, late and escalated trajectories.
func (h *handler) teamOverview(p usecase.Principal, n names, items []store.TrajectorySummary, label func(store.TrajectorySummary) string) teamData {
	d := teamData{CoachNames: map[string][]programme.Coach{}, Programmes: len(p.Programmes) > 1}
	per := map[[2]string]*coachLine{}
	var order [][2]string
	line := func(progID, coachID string) *coachLine {
		k := [2]string{progID, coachID}
		if per[k] == nil {
			per[k] = &coachLine{Name: n.Coach(progID, coachID), Programme: n.Programme(progID)}
			order = append(order, k)
		}
		return per[k]
	}
	for _, id := range p.Programmes {
		if prog, ok := h.Cases.Programmes.Get(id); ok {
			d.CoachNames[id] = prog.Coaches
			for _, c := range prog.Coaches {
				line(id, c.ID)
			}
		}
	}
	for _, it := range items {
		switch {
		case it.Phase == "closed":
			continue
		case it.Phase == "referred":
			d.Waiting = append(d.Waiting, teamRow{it, label(it)})
		}
		if it.Escalated {
			d.Escalated = append(d.Escalated, teamRow{it, label(it)})
		}
		if it.CoachID == "" {
			continue
		}
		c := line(it.ProgrammeID, it.CoachID)
		c.Open++
		if it.Overdue {
			c.Late++
		}
		if it.Escalated {
			c.Escalated++
		}
	}
	for _, k := range order {
		d.Coaches = append(d.Coaches, *per[k])
	}
	return d
}

// teamOutcome is what became of an assignment sent from this page.
func teamOutcome(r *http.Request) *outcome {
	q := r.URL.Query()
	id := q.Get("traject")
	if step := q.Get("geweigerd"); step != "" {
		if f := takeFlash(r, id, step); f != nil {
			return &outcome{Refused: true, Text: f.Error}
		}
	}
	if step := q.Get("gedaan"); stepTitle(step) != "" {
		return &outcome{Text: stepTitle(step)}
	}
	return nil
}
