package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// cohort is one programme's quarter (the first of 2026, unless it is
// seeded as another), described by the figures the report's relations tie
// together; seedCohort writes it as events, figures says what the report
// of the quarter should count.
type cohort struct {
	orgs      []int // families referred, by organisation (org-a, org-b, ...)
	consulted int   // of the first families, those referred from a consultation
	coached   int   // of the first families, those given a coach (a step each)
	late      int   // of the coached, those given one late
	escalated int   // of the late, those the supervisor was alerted about
	intakes   int   // of the coached, those with an intake (planning a visit in the quarter)
	visits    int   // of those with an intake, those with a home visit too (planning one after the year)
	born      int   // of the last families, those with a child six months old by the quarter's end
	followed  int   // of those, the ones not closed before (the others closed in the first month)
	made      int   // of the first families, those handed over to the OCMW
	acked     int   // of those, the handovers acknowledged
	// later: of the families after the coached, those given a coach in
	// the first days of the next quarter (counted in the year's report).
	later int
	// bornLater: of the families before the born, those with a child born
	// in the quarter's first month, six months old after the quarter.
	bornLater  int
	milestones int // of the first families, those who started a training
	attended   int // of the first families, those at a collective activity
	// planned: of the first families, those whose plan was agreed, each
	// with one goal in housing; reached: of those, the goals reached.
	planned, reached int
}

// reportPeriod is the quarter every cohort is reported over.
var reportPeriod = Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}

func (c cohort) referred() int {
	n := 0
	for _, o := range c.orgs {
		n += o
	}
	return n
}

// figures is the report of the cohort before any complementary suppression.
func (c cohort) figures() ProgrammeReport {
	orgs := map[string]int{}
	for i, n := range c.orgs {
		orgs[fmt.Sprintf("org-%c", 'a'+i)] = n
	}
	r := ProgrammeReport{
		Referred: count(c.referred()), ReferredBy: buckets(orgs), FromConsultation: count(c.consulted),
		ToCoach: Durations{Count: count(c.coached)}, ToIntake: Durations{Count: count(c.intakes)},
		VisitsDone: count(c.intakes + c.visits), VisitsPlanned: count(2 * c.intakes),
		StepsLate: share(c.late, c.coached), StepsEscalated: share(c.escalated, c.coached),
		Handovers: []ServiceHandovers{}, ClosureReasons: buckets(map[string]int{}), Milestones: buckets(map[string]int{}),
		ActivitiesAttended: count(c.attended), PlanAgreed: share(c.planned, c.referred()), Goals: []DomainGoals{},
	}
	if c.planned > 0 {
		r.Goals = append(r.Goals, DomainGoals{Domain: "huisvesting", Set: count(c.planned), Reached: count(c.reached)})
	}
	if c.made > 0 || c.acked > 0 {
		r.Handovers = append(r.Handovers, ServiceHandovers{Service: "ocmw", Made: count(c.made), Acknowledged: count(c.acked)})
	}
	if c.born > 0 || c.bornLater > 0 {
		s := share(c.followed, c.born)
		r.FollowedToFollowUpAge = &s
	}
	if closed := c.born - c.followed; closed > 0 {
		r.ClosureReasons = buckets(map[string]int{"moved_away": closed})
	}
	if c.milestones > 0 {
		r.Milestones = buckets(map[string]int{"opleiding_gestart": c.milestones})
	}
	return r
}

// baseline is a cohort in which no relation has a remainder of 1 to 4.
func baseline() cohort {
	return cohort{orgs: []int{10, 10}, consulted: 10, coached: 20, late: 10, escalated: 5, intakes: 10, visits: 10, born: 10, followed: 10,
		made: 10, acked: 5, milestones: 10, attended: 10, planned: 10, reached: 10}
}

// remainderCase is a cohort that leaves a remainder in the relation named.
type remainderCase struct {
	relation string
	cohort   cohort
}

// with is the baseline changed.
func with(change func(*cohort)) cohort { c := baseline(); change(&c); return c }

// remainderCases are cohorts that leave rem (1 to 4) over in one relation
// of the report each, named by it, and in all of them at once.
func remainderCases(rem int) []remainderCase {
	return []remainderCase{
		{"referred by organisation", with(func(c *cohort) { c.orgs = []int{20 - rem, rem} })},
		{"referred by three organisations", with(func(c *cohort) { c.orgs = []int{10, 10 - rem, rem} })},
		{"referred from a consultation", with(func(c *cohort) { c.consulted = 20 - rem })},
		{"referred with a coach", with(func(c *cohort) { c.coached = 20 - rem })},
		{"coached with an intake", with(func(c *cohort) { c.intakes, c.visits = 20-rem, 20-rem })},
		{"referred with an intake", with(func(c *cohort) { c.coached, c.intakes, c.visits = 20-rem, 20-rem, 20-rem })},
		{"steps done late", with(func(c *cohort) { c.late = 20 - rem })},
		{"steps done escalated", with(func(c *cohort) { c.late, c.escalated = 20-rem, 20-rem })},
		{"late steps escalated", with(func(c *cohort) { c.escalated = 10 - rem })},
		{"visits planned done", with(func(c *cohort) { c.visits = 10 - rem })},
		{"handovers to ocmw acknowledged", with(func(c *cohort) { c.acked = 10 - rem })},
		{"referred with a child of the follow-up age", with(func(c *cohort) { c.born, c.followed = 20-rem, 20-rem })},
		{"children followed to the follow-up age", with(func(c *cohort) { c.followed = 10 - rem })},
		{"referred with an agreed plan", with(func(c *cohort) { c.planned = 20 - rem })},
		{"every relation at once", cohort{orgs: []int{10, 10 - rem, rem}, consulted: 20 - rem, coached: 20 - rem, late: 20 - 2*rem,
			escalated: 20 - 3*rem, intakes: 20 - 2*rem, visits: 20 - 3*rem, born: 20 - rem, followed: 20 - 2*rem, made: 10, acked: 10 - rem, planned: 20 - rem}},
	}
}

// TestRemaindersGiveNothingBack: for remainders 1 to 4 in every relation,
// the figures with small counts suppressed alone give a count of 1 to 4
// back by arithmetic, and the protected report gives none.
func TestRemaindersGiveNothingBack(t *testing.T) {
	r := baseline().figures()
	protectReports([]*ProgrammeReport{&r})
	walkReport(&r, "report", func(path string, c *Count) {
		if c.Suppressed {
			t.Errorf("baseline: %s suppressed, with nothing small to protect", path)
		}
	}, nil, nil)
	for rem := 1; rem < SuppressBelow; rem++ {
		for _, tc := range remainderCases(rem) {
			r := tc.cohort.figures()
			if got := disclosures(&r); len(got) == 0 {
				t.Errorf("%s, %d over: primary suppression alone gives nothing back; the case tests nothing", tc.relation, rem)
			}
			protectReports([]*ProgrammeReport{&r})
			if got := disclosures(&r); len(got) > 0 {
				t.Errorf("%s, %d over: the report gives back\n%s", tc.relation, rem, strings.Join(got, "\n"))
			}
		}
	}
}

// TestRemaindersOverGeneratedTrajectories writes every remainder case as
// trajectories (one programme each) and checks the reports PostgreSQL
// computes: the figures the case describes, and no count of 1 to 4 given
// back by any published total, part or share.
func TestRemaindersOverGeneratedTrajectories(t *testing.T) {
	type programme struct {
		relation string
		rem      int
		cohort   cohort
	}
	var programmes []programme
	for rem := 1; rem < SuppressBelow; rem++ {
		for _, tc := range remainderCases(rem) {
			programmes = append(programmes, programme{tc.relation, rem, tc.cohort})
		}
	}
	programmes = append(programmes, programme{"baseline", 0, baseline()})
	ids := make([]string, len(programmes))
	for i := range programmes {
		ids[i] = fmt.Sprintf("rem-%02d", i)
	}
	s := newStore(t)
	s = s.WithKeys(keys.MustGenerate("test", ids...))
	for i, p := range programmes {
		seedCohort(t, s, ids[i], reportPeriod.From, p.cohort)
	}
	reports, err := s.Report(t.Context(), ids, reportPeriod, sixMonths(ids...))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reports {
		p := programmes[i]
		want := p.cohort.figures()
		var got, wanted []string
		walkReport(&r, "report", func(path string, c *Count) { got = append(got, fmt.Sprintf("%s=%d", path, c.N)) }, nil, nil)
		walkReport(&want, "report", func(path string, c *Count) { wanted = append(wanted, fmt.Sprintf("%s=%d", path, c.N)) }, nil, nil)
		if !slices.Equal(got, wanted) {
			t.Errorf("%s, %d over: report counts\n%v\nwant\n%v", p.relation, p.rem, got, wanted)
		}
		if d := disclosures(&r); len(d) > 0 {
			t.Errorf("%s, %d over: the report gives back\n%s", p.relation, p.rem, strings.Join(d, "\n"))
		}
	}
}

// seedCohort writes the cohort's trajectories through RecordEvent, as the
// workflow would: referred on the fifth day of the quarter that begins at
// start, an hour apart.
func seedCohort(t *testing.T, s *Store, programmeID string, start time.Time, c cohort) {
	t.Helper()
	n := c.referred()
	closed := c.born - c.followed
	if c.intakes > n-closed || c.made > n-closed || c.visits > c.intakes || c.late > c.coached || c.escalated > c.late ||
		c.coached+c.later > n || c.born+c.bornLater > n || max(c.consulted, c.milestones, c.attended, c.planned) > n || c.reached > c.planned {
		t.Fatalf("%s: cohort %+v does not fit its families", programmeID, c)
	}
	at9 := func(t time.Time) time.Time { return t.Add(9 * time.Hour) }
	org, left := 0, c.orgs[0]
	for i := range n {
		for left == 0 {
			org++
			left = c.orgs[org]
		}
		left--
		g := &gen{t: t, s: s, id: cohortID(programmeID, start, i), refAt: at9(start.AddDate(0, 0, 4)).Add(time.Duration(i) * time.Hour),
			org: fmt.Sprintf("org-%c", 'a'+org), programmeID: programmeID}
		g.seq++
		e := trajectory.Event{TrajectoryID: g.id, Seq: g.seq, Kind: trajectory.EventReferred, Actor: "partner", At: g.refAt,
			Summary: trajectory.Summary{ProgrammeID: programmeID, ReferrerOrg: g.org, Phase: trajectory.PhaseReferred, ReferredAt: g.refAt}}
		if i < c.consulted {
			consultation, err := s.CreateConsultation(t.Context(), Consultation{ProgrammeID: programmeID, RecordedBy: "partner:" + g.org, Situation: "s", Advice: "a"})
			if err != nil {
				t.Fatal(err)
			}
			e.Referral = &trajectory.Referral{ProgrammeID: programmeID, ConsultationID: consultation.ID,
				Referrer: trajectory.Referrer{Organisation: g.org, Reference: g.id}}
		}
		if err := s.RecordEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		day := func(d int) time.Time { return g.refAt.Add(time.Duration(d) * 24 * time.Hour) }
		switch {
		case i < c.coached:
			detail := map[string]string{"coach": "c", "step": "assignment", "step_due_at": rfc(day(5))}
			if i < c.late {
				detail["late"] = "true"
			}
			if i < c.escalated {
				g.event(trajectory.EventAlertSent, day(5), map[string]string{"step": "assignment", "due_at": rfc(day(5)), "to": "supervisor"})
			}
			g.event(trajectory.EventCoachAssigned, day(6), detail)
		case i < c.coached+c.later:
			g.event(trajectory.EventCoachAssigned, at9(start.AddDate(0, 3, 1)), map[string]string{"coach": "c", "step": "assignment", "step_due_at": rfc(day(5))})
		}
		if i < c.intakes {
			g.event(trajectory.EventIntakeDone, day(10), map[string]string{"done_at": rfc(day(10)), "next_visit_due": rfc(day(24))})
		}
		if i < c.visits {
			g.event(trajectory.EventVisitDone, day(20), map[string]string{"done_at": rfc(day(20)),
				"next_visit_due": rfc(at9(start.AddDate(1, 4, 3))), "visit": "1"})
		}
		if i < c.made {
			g.event(trajectory.EventHandoverRequested, day(30), map[string]string{"handover": "1", "service": "ocmw"})
		}
		if i < c.acked {
			g.event(trajectory.EventHandoverAcknowledged, day(31), map[string]string{"handover": "1", "service": "ocmw"})
		}
		if i < c.milestones {
			g.event(trajectory.EventMilestoneReached, day(32), map[string]string{"milestone": "opleiding_gestart"})
		}
		if i < c.planned {
			g.event(trajectory.EventPlanAgreed, day(12), map[string]string{trajectory.DetailGoals: "g1:huisvesting:open", "goal:g1": "Een woning met twee slaapkamers."})
		}
		if i < c.reached {
			g.event(trajectory.EventGoalReached, day(40), map[string]string{trajectory.DetailGoal: "g1", trajectory.DetailDomain: "huisvesting"})
		}
		if i < c.attended {
			g.event(trajectory.EventActivityAttended, day(35), map[string]string{"activity": "ac-1", "kind": "groep", "on": day(35).Format(time.DateOnly)})
		}
		switch {
		case i >= n-c.born:
			g.event(trajectory.EventBirthRecorded, g.refAt.Add(time.Hour), map[string]string{"born_on": start.AddDate(0, -5, 0).Format(time.DateOnly)})
		case i >= n-c.born-c.bornLater:
			g.event(trajectory.EventBirthRecorded, g.refAt.Add(time.Hour), map[string]string{"born_on": start.Format(time.DateOnly)})
		}
		if i >= n-closed {
			g.event(trajectory.EventClosed, at9(start.AddDate(0, 0, 19)), map[string]string{"reason": "moved_away"})
		}
	}
}

// cohortID is the id of the cohort's i-th trajectory.
func cohortID(programmeID string, start time.Time, i int) string {
	return fmt.Sprintf("%s-%s-%02d", programmeID, start.Format("2006-01"), i)
}
