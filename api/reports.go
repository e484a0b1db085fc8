package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
)

// Results per programme for its supervisors, from the read model and the
// event log, anonymised (store.SuppressBelow). JSON, or CSV with
// Accept: text/csv or ?format=csv.

type reportStore interface {
	Report(ctx context.Context, programmeIDs []string, p store.Period, ages store.FollowUpAges) ([]store.ProgrammeReport, error)
}

var _ reportStore = (*store.Store)(nil)

func (s *server) getProgrammeReport(w http.ResponseWriter, r *http.Request) {
	rs, ok := s.store.(reportStore)
	if !ok {
		writeError(w, r, CodeNotConfigured, "this API was started without the report store")
		return
	}
	id := mux.Vars(r)["programme"]
	if !slices.Contains(principal(r).Programmes, id) {
		writeError(w, r, CodeProgrammeNotYours, fmt.Sprintf("you supervise no programme %q; yours: %s", id, joinComma(principal(r).Programmes)))
		return
	}
	fe := &fieldErrors{query: true}
	q := r.URL.Query()
	period, err := store.ReportPeriod(q.Get("from"), q.Get("to"), time.Now())
	var pe store.PeriodError
	if errors.As(err, &pe) {
		for _, p := range pe {
			fe.add(p.Field, p.Message)
		}
	}
	format := q.Get("format")
	if format == "" && strings.Contains(r.Header.Get("Accept"), "text/csv") {
		format = "csv"
	}
	if format != "" && format != "csv" && format != "json" {
		fe.add("format", "must be csv or json")
	}
	if !fe.empty() {
		writeFieldErrors(w, r, fe)
		return
	}
	reports, err := rs.Report(r.Context(), []string{id}, period, s.programmes.FollowUpAges())
	if err != nil {
		s.writeStoreError(w, r, "programme report", err)
		return
	}
	noteDetail(r, "programme", id)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = WriteReportCSV(w, reports) // the status is sent; a broken connection is the client's
		return
	}
	writeJSON(w, http.StatusOK, reports[0])
}

// WriteReportCSV writes reports as rows of programme, figure, key, value
// (a suppressed figure as store.Suppressed): the supervisor's download and the fund's
// export of every programme (elkgezin report) alike.
func WriteReportCSV(w interface{ Write([]byte) (int, error) }, reports []store.ProgrammeReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"programme", "from", "to", "figure", "key", "value"})
	for _, r := range reports {
		row := func(figure, key, value string) {
			_ = cw.Write([]string{r.ProgrammeID, r.FirstDay().Format(time.DateOnly), r.LastDay().Format(time.DateOnly), figure, key, value})
		}
		num := func(v *float64) string {
			if v == nil {
				return store.Suppressed
			}
			return fmt.Sprint(*v)
		}
		row("referred", "", r.Referred.String())
		for _, b := range r.ReferredBy {
			row("referred_by", b.Key, b.Count.String())
		}
		row("referred_from_consultation", "", r.FromConsultation.String())
		for _, d := range []struct {
			name string
			d    store.Durations
		}{{"referral_to_coach", r.ToCoach}, {"referral_to_intake", r.ToIntake}} {
			row(d.name+"_days", "count", d.d.Count.String())
			row(d.name+"_days", "median", num(d.d.MedianDay))
			row(d.name+"_days", "p90", num(d.d.P90Day))
		}
		row("visits_done", "", r.VisitsDone.String())
		row("visits_planned", "", r.VisitsPlanned.String())
		shares := []struct {
			name string
			s    *store.Share
		}{{"steps_late", &r.StepsLate}, {"steps_escalated", &r.StepsEscalated}, {"followed_to_follow_up_age", r.FollowedToFollowUpAge},
			{"plan_agreed", &r.PlanAgreed}}
		if r.FollowedToFollowUpAge != nil {
			row("follow_up_months", "", fmt.Sprint(r.FollowUpMonths))
		}
		for _, s := range shares {
			if s.s != nil {
				row(s.name, "part", s.s.Part.String())
				row(s.name, "whole", s.s.Whole.String())
				row(s.name, "share", num(s.s.Value))
			}
		}
		for _, h := range r.Handovers {
			row("handovers_made", h.Service, h.Made.String())
			row("handovers_acknowledged", h.Service, h.Acknowledged.String())
		}
		for _, b := range r.ClosureReasons {
			row("closure_reason", b.Key, b.Count.String())
		}
		for _, b := range r.Milestones {
			row("milestone_reached", b.Key, b.Count.String())
		}
		row("activities_attended", "", r.ActivitiesAttended.String())
		row("consultations", "", r.Consultations.String())
		for _, g := range r.Goals {
			row("goals_set", g.Domain, g.Set.String())
			row("goals_reached", g.Domain, g.Reached.String())
		}
	}
	cw.Flush()
	return cw.Error()
}
