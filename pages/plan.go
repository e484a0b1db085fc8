package pages

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// The family plan (gezinsplan) on the trajectory page: the goals by life
// domain in the family's own words, the strengths, the agreed actions
// with who and by when, the network around the family and the date the
// family agreed. The coach agrees the plan or a change to it during a
// visit, a few fields at a time: the page posts the change, and the
// handler builds the whole new plan from the workflow's state and the
// change, so what is sent is always the plan the family said yes to.
// The supervisor sees the network and how the plan stands, not the
// family's words.

// actionSlots is how many actions one change of the plan adds at most:
// enough for a goal at a visit, few enough for a phone.
const actionSlots = 3

// planView is what the trajectory page shows of the plan.
type planView struct {
	// Agreed says whether the family agreed a plan; AgreedOn is when.
	Agreed    bool
	AgreedOn  string
	Domains   []domainGoals
	Strengths []string
	Network   []networkRow
	// ReadOnly: the supervisor's view, Summary instead of the goals.
	ReadOnly bool
	Summary  []domainCount
	// LateActions counts the actions past their date owed by the coach, a
	// co-worker or a service (the family's own never are late).
	LateActions int
	OpenActions int
	// The change form's choices.
	DomainChoices []choice
	Owners        []choice
	GoalChoices   []choice
	Services      []choice
	Slots         []int
	// OpenGoals are the goals still open, for the closure's outcomes.
	OpenGoals []goalRow
}

type choice struct{ Value, Label string }

type domainGoals struct {
	Name  string
	Goals []goalRow
}

type goalRow struct {
	ID, Text, Status, LetGoReason string
	Open                          bool
	// ReviewDue: the programme's review cadence has passed since the goal
	// was last gone over with the family.
	ReviewDue bool
	Actions   []actionRow
}

type actionRow struct {
	ID, What, Who, Due, Done string
	Late, Open, Family       bool
}

type networkRow struct {
	Service, Contact, Since string
	Consent                 bool
}

type domainCount struct {
	Name                 string
	Open, Reached, LetGo int
}

// dateRequestRow is a request of the family for another appointment the
// coach has not answered yet.
type dateRequestRow struct {
	At, Message string
}

// loadPlan adds the plan of the state to the page, with the forms of the
// plan's steps the caller may take now.
func (h *handler) loadPlan(d *trajectoryData, p usecase.Principal, st trajectory.State, prog programme.Programme, allow func(step string, when bool)) {
	v := &planView{ReadOnly: p.Kind == usecase.KindSupervisor}
	d.Plan = v
	plan := st.Plan
	if plan != nil {
		v.Agreed, v.AgreedOn = true, day(plan.AgreedOn)
		v.Strengths = plan.Strengths
		for _, m := range plan.Network {
			row := networkRow{Service: h.networkName(m), Contact: m.Contact, Consent: m.ConsentToShare}
			if !m.Since.IsZero() {
				row.Since = day(m.Since)
			}
			v.Network = append(v.Network, row)
		}
		h.loadGoals(v, d, st, prog)
	}
	h.loadPlanChoices(v, d, st, prog)
	hasOpenAction := slices.ContainsFunc(v.OpenGoals, func(g goalRow) bool {
		return slices.ContainsFunc(g.Actions, func(a actionRow) bool { return a.Open })
	})
	allow(usecase.StepAgreePlan, true)
	// A goal reached or let go by mistake can be opened again.
	allow(usecase.StepGoalStatus, plan != nil && len(plan.Goals) > 0)
	allow(usecase.StepActionDone, hasOpenAction)
	allow(usecase.StepReviewGoals, len(v.OpenGoals) > 0)
	if !v.ReadOnly {
		// The family's requests for another date are the coach's to answer.
		for _, r := range st.DateRequests {
			if !r.Answered {
				d.Requests = append(d.Requests, dateRequestRow{At: when(&r.At), Message: r.Message})
			}
		}
	}
}

// loadGoals adds the agreed plan's goals to the page by life domain, in
// the programme's order of the domains (a domain no longer in the
// programme after them), with the counts of the supervisor's summary and
// the coach's open and late actions.
func (h *handler) loadGoals(v *planView, d *trajectoryData, st trajectory.State, prog programme.Programme) {
	now := time.Now()
	plan := st.Plan
	dueForReview := st.GoalsDueForReview(now)
	domains := prog.Domains()
	domainName := func(id trajectory.LifeDomain) string {
		for _, dm := range domains {
			if dm.ID == string(id) {
				return dm.Name
			}
		}
		return "Een ander levensdomein"
	}
	var order []trajectory.LifeDomain
	for _, dm := range domains {
		order = append(order, trajectory.LifeDomain(dm.ID))
	}
	for _, g := range plan.Goals {
		if !slices.Contains(order, g.Domain) {
			order = append(order, g.Domain)
		}
	}
	for _, dm := range order {
		dg := domainGoals{Name: domainName(dm)}
		count := domainCount{Name: dg.Name}
		for _, g := range plan.Goals {
			if g.Domain != dm {
				continue
			}
			row := h.goalRow(v, d, g, prog, *plan, slices.Contains(dueForReview, g.ID), now)
			switch g.Status {
			case trajectory.GoalReached:
				count.Reached++
			case trajectory.GoalLetGo:
				count.LetGo++
			default:
				count.Open++
			}
			if row.Open && !v.ReadOnly {
				// The closure's outcomes are the coach's to write with the family.
				v.OpenGoals = append(v.OpenGoals, row)
				v.GoalChoices = append(v.GoalChoices, choice{g.ID, dg.Name + ": " + g.Text})
			}
			dg.Goals = append(dg.Goals, row)
		}
		if len(dg.Goals) > 0 {
			v.Domains = append(v.Domains, dg)
			v.Summary = append(v.Summary, count)
		}
	}
}

// goalRow is a goal as the page shows it, with its actions; the open
// actions owed by others than the family count into v's open and late.
func (h *handler) goalRow(v *planView, d *trajectoryData, g trajectory.Goal, prog programme.Programme, plan trajectory.Plan, reviewDue bool, now time.Time) goalRow {
	row := goalRow{ID: g.ID, Text: g.Text, Status: goalStatusLabel(g.Status), LetGoReason: g.LetGoReason, Open: g.Status == trajectory.GoalOpen,
		ReviewDue: reviewDue}
	for _, a := range g.Actions {
		ar := actionRow{ID: a.ID, What: a.What, Who: h.ownerName(a.Owner, d.CoachID, d.ProgrammeID, prog, plan),
			Open: a.Done == nil && row.Open, Family: a.Owner.Role == trajectory.OwnerFamily}
		if a.Due != nil {
			ar.Due = day(*a.Due)
			ar.Late = ar.Open && !ar.Family && a.Due.Before(now)
		}
		if a.Done != nil {
			ar.Done = day(*a.Done)
		}
		if ar.Open && !ar.Family {
			v.OpenActions++
			if ar.Late {
				v.LateActions++
			}
		}
		row.Actions = append(row.Actions, ar)
	}
	return row
}

// loadPlanChoices fills the choices of the form that changes the plan:
// the life domains, who may owe an action, the directory's services and
// the action slots.
func (h *handler) loadPlanChoices(v *planView, d *trajectoryData, st trajectory.State, prog programme.Programme) {
	for _, dm := range prog.Domains() {
		v.DomainChoices = append(v.DomainChoices, choice{dm.ID, dm.Name})
	}
	v.Owners = []choice{{string(trajectory.OwnerFamily), "het gezin"}, {string(trajectory.OwnerCoach), "de coach"}}
	for _, c := range st.CoWorkers {
		v.Owners = append(v.Owners, choice{string(trajectory.OwnerCoWorker) + ":" + c.ID, coWorkerName(prog, c.ID)})
	}
	if st.Plan != nil {
		for _, m := range st.Plan.Network {
			v.Owners = append(v.Owners, choice{string(trajectory.OwnerService) + ":" + m.ID, h.networkName(m)})
		}
	}
	v.Owners = append(v.Owners, choice{string(trajectory.OwnerService) + ":" + newMember, "de dienst die u hieronder aan het netwerk toevoegt"})
	for _, s := range d.Services {
		v.Services = append(v.Services, choice{s.ID, s.Name})
	}
	for i := 1; i <= actionSlots; i++ {
		v.Slots = append(v.Slots, i)
	}
}

// newMember is the owner choice of the network member the same change adds.
const newMember = "nieuw"

// networkName is a network member's service as a person reads it: the
// directory's name for a service of the directory, else as typed.
func (h *handler) networkName(m trajectory.NetworkMember) string {
	if s, ok := h.Services[m.Service]; ok {
		return s.Name
	}
	return m.Service
}

// ownerName says who owes an action: the family, the coach by name, a
// co-worker by name, a service of the network by name.
func (h *handler) ownerName(o trajectory.ActionOwner, coachID, programmeID string, prog programme.Programme, plan trajectory.Plan) string {
	switch o.Role {
	case trajectory.OwnerFamily:
		return "het gezin"
	case trajectory.OwnerCoach:
		return "de coach, " + h.names().Coach(programmeID, coachID)
	case trajectory.OwnerCoWorker:
		return coWorkerName(prog, o.ID)
	case trajectory.OwnerService:
		if m, ok := plan.Member(o.ID); ok {
			return h.networkName(m)
		}
		return "een dienst"
	}
	return "onbekend"
}

// day writes the calendar day of t in Belgian time: "vr 12-12-2026".
func day(t time.Time) string {
	l := t.In(zone)
	return weekdays[l.Weekday()] + " " + l.Format("02-01-2006")
}

// localDay reads a date field as the day in Belgian time, at the hour given.
func localDay(v string, hour int) (time.Time, bool) {
	d, err := trajectory.ParseDate(v)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, zone), true
}

// The hours a date of the plan's forms stands for: the family agreed on
// the day (its first instant, never in the future); an action is due by
// the end of the working day.
const (
	agreedHour = 0
	dueHour    = 17
	doneHour   = 12
)

// buildPlan builds the whole new plan from the plan the workflow has and
// the change the form posts: one goal (new, or one already open) with up
// to actionSlots actions, strengths (one a line) and a member of the
// network; and the date the family agreed, which the coach fills in.
func buildPlan(h *handler, row store.Trajectory, st trajectory.State, f url.Values, by string, now time.Time) (string, any, string) {
	prog, known := h.Cases.Programmes.Get(row.ProgrammeID)
	if !known {
		return "", nil, "Het programma van dit traject staat niet meer in de programmabestanden."
	}
	agreed, ok := localDay(f.Get("agreed_on"), agreedHour)
	if !ok {
		return "", nil, sayCode(trajectory.CodePlanAgreedOnRequired)
	}
	var plan trajectory.Plan
	if st.Plan != nil {
		plan = *st.Plan
		plan.Strengths = slices.Clone(plan.Strengths)
	}
	plan.AgreedOn = agreed

	newMemberID, problem := h.addNetworkMember(f, &plan)
	if problem != "" {
		return "", nil, problem
	}
	if problem := addStrengths(f, &plan); problem != "" {
		return "", nil, problem
	}
	actions, problem := formActions(f, newMemberID)
	if problem != "" {
		return "", nil, problem
	}
	goal, problem := formGoal(f, &plan)
	if problem != "" {
		return "", nil, problem
	}
	if len(actions) > 0 && goal == nil {
		return "", nil, "Kies het doel van de acties, of schrijf een nieuw doel."
	}
	if goal != nil {
		goal.Actions = append(goal.Actions, actions...)
	}
	plan = plan.WithIDs()
	ps := trajectory.PlanProblems(trajectory.PlanCheck{Now: now, Timings: prog.Timings(), CoWorkers: st.CoWorkers, Previous: st.Plan}, plan)
	return trajectory.UpdateAgreePlan, trajectory.AgreePlan{Plan: plan, By: by}, problems(ps)
}

// addNetworkMember adds the form's member of the network to plan, if it
// names one: a service of the directory, or another service or person by
// name. newMemberID is the id the member gets, for an action it owes.
func (h *handler) addNetworkMember(f url.Values, plan *trajectory.Plan) (newMemberID, problem string) {
	service := f.Get("network_service")
	if _, ok := h.Services[service]; service != "" && !ok {
		return "", "Kies een dienst uit de lijst, of schrijf de naam bij ‘Andere dienst of persoon’."
	}
	other, problem := typed(f, "network_other", "De naam van de dienst of persoon", false, trajectory.MaxNetworkLength, false)
	if problem != "" {
		return "", problem
	}
	contact, problem := typed(f, "network_contact", "De contactpersoon", false, trajectory.MaxNetworkLength, false)
	if problem != "" {
		return "", problem
	}
	if service == "" {
		service = other
	}
	if service != "" {
		m := trajectory.NetworkMember{Service: service, Contact: contact, ConsentToShare: f.Get("network_consent") == "ja"}
		if v := f.Get("network_since"); v != "" {
			since, ok := localDay(v, agreedHour)
			if !ok {
				return "", "Vul in sinds wanneer de dienst of persoon betrokken is, als JJJJ-MM-DD."
			}
			m.Since = since
		}
		plan.Network = append(slices.Clone(plan.Network), m)
	} else if contact != "" || f.Get("network_since") != "" {
		return "", "Kies de dienst of schrijf de persoon die bij het netwerk hoort."
	}
	*plan = plan.WithIDs()
	if service != "" {
		newMemberID = plan.Network[len(plan.Network)-1].ID
	}
	return newMemberID, ""
}

// addStrengths adds the form's strengths, one a line, to plan.
func addStrengths(f url.Values, plan *trajectory.Plan) (problem string) {
	for _, line := range strings.Split(f.Get("strengths"), "\n") {
		s, p := trajectory.CleanText(strings.TrimSpace(line), false, trajectory.MaxStrengthLength, false)
		if p == trajectory.TextTooLong {
			return "Een sterkte is te lang: hoogstens " + strconv.Itoa(trajectory.MaxStrengthLength) + " tekens."
		}
		if p != "" {
			return sayText("Een sterkte", p)
		}
		if s != "" {
			plan.Strengths = append(plan.Strengths, s)
		}
	}
	return ""
}

// formActions reads the form's action slots: what, who (newMemberID for
// the network member the same change adds) and by when. An empty slot is
// skipped.
func formActions(f url.Values, newMemberID string) ([]trajectory.Action, string) {
	whats, owners, dues := f["action_what"], f["action_owner"], f["action_due"]
	var actions []trajectory.Action
	for i := 0; i < actionSlots; i++ {
		n := i + 1
		what, p := trajectory.CleanText(strings.TrimSpace(nth(whats, i)), false, trajectory.MaxActionLength, false)
		switch {
		case p == trajectory.TextTooLong:
			return nil, "Actie " + strconv.Itoa(n) + " is te lang: hoogstens " + strconv.Itoa(trajectory.MaxActionLength) + " tekens."
		case p != "":
			return nil, sayText("Actie "+strconv.Itoa(n), p)
		case what == "" && nth(dues, i) != "":
			return nil, "Schrijf bij actie " + strconv.Itoa(n) + " wat er moet gebeuren, of maak de datum leeg."
		case what == "":
			continue
		}
		owner, ok := ownerOf(nth(owners, i), newMemberID)
		if !ok {
			return nil, "Kies bij actie " + strconv.Itoa(n) + " wie ze doet."
		}
		a := trajectory.Action{What: what, Owner: owner}
		if v := nth(dues, i); v != "" {
			due, ok := localDay(v, dueHour)
			if !ok {
				return nil, "Vul bij actie " + strconv.Itoa(n) + " de datum in als JJJJ-MM-DD, of laat ze leeg."
			}
			a.Due = &due
		}
		actions = append(actions, a)
	}
	return actions, ""
}

// formGoal is the goal the form's actions go under: one already open in
// plan, or a new one the form writes, which it adds to plan. Nil when the
// form names no goal.
func formGoal(f url.Values, plan *trajectory.Plan) (*trajectory.Goal, string) {
	goalText, problem := typed(f, "goal_text", "Het doel", false, trajectory.MaxGoalLength, true)
	if problem != "" {
		return nil, problem
	}
	if id := f.Get("goal"); id != "" {
		g, ok := plan.Goal(id)
		if !ok || g.Status != trajectory.GoalOpen {
			return nil, "Dit doel staat niet meer open in het plan; kies een ander doel of maak een nieuw."
		}
		if goalText != "" {
			return nil, "U koos een doel dat er al is: laat ‘Het doel’ dan leeg, of kies ‘Een nieuw doel’."
		}
		return g, ""
	}
	if goalText == "" && f.Get("domain") == "" {
		return nil, ""
	}
	domain := trajectory.LifeDomain(f.Get("domain"))
	if domain == "" {
		return nil, sayCode(trajectory.CodeGoalDomainRequired)
	}
	if goalText == "" {
		return nil, "Schrijf het doel in de woorden van het gezin."
	}
	plan.Goals = append(plan.Goals, trajectory.Goal{Domain: domain, Text: goalText, Status: trajectory.GoalOpen})
	return &plan.Goals[len(plan.Goals)-1], ""
}

// ownerOf reads an owner choice of the form: "family", "coach",
// "co_worker:<id>", "service:<member id>", or the member the same change
// adds ("service:nieuw").
func ownerOf(v, newMemberID string) (trajectory.ActionOwner, bool) {
	role, id, _ := strings.Cut(v, ":")
	o := trajectory.ActionOwner{Role: trajectory.OwnerRole(role), ID: id}
	switch o.Role {
	case trajectory.OwnerFamily, trajectory.OwnerCoach:
		return o, id == ""
	case trajectory.OwnerService:
		if id == newMember {
			o.ID = newMemberID
		}
		return o, o.ID != ""
	case trajectory.OwnerCoWorker:
		return o, id != ""
	}
	return o, false
}

// buildActionDone records an agreed action as done, today or on the day given.
func buildActionDone(_ *handler, _ store.Trajectory, f url.Values, by string, now time.Time) (string, any, string) {
	req := trajectory.RecordActionDone{GoalID: f.Get("goal"), ActionID: f.Get("action"), By: by}
	if v := f.Get("done_on"); v != "" {
		done, ok := localDay(v, doneHour)
		if !ok {
			return "", nil, "Vul de dag in waarop de actie gedaan werd, als JJJJ-MM-DD, of laat ze leeg voor vandaag."
		}
		if day(done) != day(now) {
			req.DoneAt = done
		}
	}
	if ps := trajectory.ActionDoneProblems(now, req); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateRecordActionDone, req, ""
}

// buildReviewGoals records that the open goals were gone over with the
// family today: each is due for review again a review cadence later.
func buildReviewGoals(_ *handler, _ store.Trajectory, _ url.Values, by string, now time.Time) (string, any, string) {
	req := trajectory.ReviewGoals{By: by}
	if ps := trajectory.ReviewProblems(now, req); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateReviewGoals, req, ""
}

// buildGoalStatus marks a goal reached, or let go with the family's reason.
func buildGoalStatus(_ *handler, _ store.Trajectory, f url.Values, by string, _ time.Time) (string, any, string) {
	reason, problem := typed(f, "reason", "De reden", false, trajectory.MaxNoteLength, true)
	if problem != "" {
		return "", nil, problem
	}
	req := trajectory.SetGoalStatus{GoalID: f.Get("goal"), Status: trajectory.GoalStatus(f.Get("status")), Reason: reason, By: by}
	if req.Status == "" {
		return "", nil, "Kies of het doel bereikt is of losgelaten wordt."
	}
	if ps := trajectory.GoalStatusProblems(req); len(ps) > 0 {
		return "", nil, problems(ps)
	}
	return trajectory.UpdateSetGoalStatus, req, ""
}

// closeOutcomes reads the closure form's result of each goal
// (outcome_<goal id>): the words of the goals left empty are not sent.
func closeOutcomes(f url.Values) (map[string]string, string) {
	var out map[string]string
	for k := range f {
		id, ok := strings.CutPrefix(k, "outcome_")
		if !ok {
			continue
		}
		text, problem := typed(f, k, "Het resultaat van een doel", false, trajectory.MaxOutcomeLength, true)
		if problem != "" {
			return nil, problem
		}
		if text != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[id] = text
		}
	}
	return out, ""
}

// networkServices are the services of the plan's network that are in the
// directory: the handover offers them first.
func (h *handler) networkServices(st trajectory.State) []trajectory.Service {
	if st.Plan == nil {
		return nil
	}
	var out []trajectory.Service
	for _, m := range st.Plan.Network {
		if s, ok := h.Services[m.Service]; ok && !slices.ContainsFunc(out, func(o trajectory.Service) bool { return o.ID == s.ID }) {
			out = append(out, s)
		}
	}
	return out
}

// closeForm feeds the closure form's outcome of each open goal.
type closeForm struct {
	Plan *planView
	Form *form
}

func init() {
	funcs["outcomes"] = func(p *planView, f *form) closeForm { return closeForm{Plan: p, Form: f} }
}

// nth is the i-th value of a repeated field, "" when there is none.
func nth(vs []string, i int) string {
	if i < len(vs) {
		return vs[i]
	}
	return ""
}
