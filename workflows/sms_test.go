package workflows

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/sms"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// smsSent is one SMS the gateway accepted: its kind, the workflow clock
// when the activity ran, the number and the text.
type smsSent struct {
	Kind trajectory.SMSKind
	At   time.Time
	To   string
	Text string
}

// smsGateway is a gateway with Kannel's sendsms interface for the
// workflow tests, and the SMS activities of run r sending to it through
// the run's real store and ledger. It returns what reached the gateway,
// with the workflow clock of each send.
func (r *run) smsGateway(t *testing.T) func() []smsSent {
	var mu sync.Mutex
	var texts []smsSent
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		texts = append(texts, smsSent{To: req.URL.Query().Get("to"), Text: req.URL.Query().Get("text")})
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(gw.Close)
	acts := &activities.SMSActivities{Gateway: sms.New(sms.Config{URL: gw.URL, ReportBase: "http://elkgezin.test"}),
		Families: r.store, Ledger: store.SMSLedger{Store: r.store}, ReportSecret: []byte("secret")}
	var sent []smsSent
	r.env.RegisterActivity(acts)
	r.env.OnActivity(acts.SendFamilySMS, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, m trajectory.FamilySMS) (trajectory.SMSResult, error) {
			at := r.env.Now().UTC()
			mu.Lock()
			before := len(texts)
			mu.Unlock()
			res, err := acts.SendFamilySMS(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			if len(texts) > before {
				s := texts[len(texts)-1]
				s.Kind, s.At = m.Kind, at
				sent = append(sent, s)
			}
			return res, err
		})
	return func() []smsSent {
		mu.Lock()
		defer mu.Unlock()
		return append([]smsSent(nil), sent...)
	}
}

// smsReferral is the referral of a family that agreed to SMS, in Arabic.
func smsReferral(start trajectory.Start) trajectory.Start {
	start.Referral.Family = trajectory.Family{ContactName: "Amina El Idrissi", Phone: "0470 12 34 56", Language: "Arabisch",
		SMSConsent: &trajectory.SMSConsent{RecordedOn: trajectory.DateOf(t0), Channel: "in_person"}}
	return start
}

// TestSMSReminderADayAheadFollowsTheVisit: visit 1 is planned with the
// family for t0+20d 09:00 UTC; at t0+18d it moves to t0+30d: the family
// gets the confirmation at once, no reminder at t0+19d, the reminder at
// exactly t0+29d, in Arabic with its first name and the time in Belgian
// time, each once; the next visit, planned at t0+200d, is not reminded
// once the trajectory is closed at t0+30d.
func TestSMSReminderADayAheadFollowsTheVisit(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	sent := r.smsGateway(t)
	coach := p.Coaches[0].ID
	by := "coach:" + coach
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day), By: by})
	r.at(18*day, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: t0.Add(30 * day), By: by})
	r.at(29*day+12*time.Hour, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(200 * day), By: by})
	r.at(30*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	r.execute(smsReferral(referral(p)))

	got := sent()
	want := []smsSent{{Kind: trajectory.SMSVisitMoved, At: t0.Add(18 * day)}, {Kind: trajectory.SMSVisitReminder, At: t0.Add(29 * day)}}
	if len(got) != len(want) {
		t.Fatalf("sent %+v, want %+v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.Kind || !g.At.Equal(w.At) || g.To != "+32470123456" {
			t.Errorf("sms %d: %s at %s to %s, want %s at %s", i, g.Kind, g.At, g.To, w.Kind, w.At)
		}
		// t0+30d is Wednesday 1 April 2026, 11:00 in Brussels (CEST).
		if !strings.Contains(g.Text, "أمينة") && !strings.Contains(g.Text, "Amina") || !strings.Contains(g.Text, "11:00") ||
			!strings.Contains(g.Text, "الأربعاء 1 أبريل") || strings.Contains(g.Text, "Idrissi") {
			t.Errorf("sms %d says %q; want the first name and the visit's time in Arabic, nothing else of the family", i, g.Text)
		}
	}
	var smsEvents []trajectory.Event
	for _, e := range r.events {
		if e.Kind == trajectory.EventSMSSent || e.Kind == trajectory.EventSMSFailed {
			smsEvents = append(smsEvents, e)
		}
	}
	if len(smsEvents) != 2 || smsEvents[0].Detail["sms"] != "visit_moved" || smsEvents[1].Detail["sms"] != "visit_reminder" ||
		smsEvents[1].Detail["step"] != "home_visit-1" || smsEvents[0].Kind != trajectory.EventSMSSent {
		t.Errorf("sms events %+v", smsEvents)
	}
}

// TestNoSMSWithoutConsent: the same trajectory without the family's
// consent sends no SMS and records none.
func TestNoSMSWithoutConsent(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	sent := r.smsGateway(t)
	coach := p.Coaches[0].ID
	by := "coach:" + coach
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day), By: by})
	r.at(18*day, trajectory.UpdateMoveVisit, trajectory.MoveVisit{Step: "home_visit-1", To: t0.Add(30 * day), By: by})
	r.at(31*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	start := smsReferral(referral(p))
	start.Referral.Family.SMSConsent = nil
	r.execute(start)
	if got := sent(); len(got) != 0 {
		t.Errorf("sent %+v to a family that did not agree to SMS", got)
	}
	for _, k := range r.eventKinds() {
		if strings.HasPrefix(k, "sms_") {
			t.Errorf("event %s without consent", k)
		}
	}
}

// TestFailedSMSNeverFailsTheTrajectory: a gateway that answers 503 to
// every request has the reminder tried a bounded number of times, then
// recorded as sms_failed; the visit is recorded and the trajectory closes.
func TestFailedSMSNeverFailsTheTrajectory(t *testing.T) {
	p := loadProgramme(t, "omdat-elk-gezin-telt-vilvoorde")
	r := newRun(t, p)
	var mu sync.Mutex
	tries := 0
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		tries++
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(gw.Close)
	r.env.RegisterActivity(&activities.SMSActivities{Gateway: sms.New(sms.Config{URL: gw.URL}),
		Families: r.store, Ledger: store.SMSLedger{Store: r.store}, ReportSecret: []byte("secret")})
	coach := p.Coaches[0].ID
	by := "coach:" + coach
	r.at(1*day, trajectory.UpdateAssignCoach, trajectory.AssignCoach{CoachID: coach, By: "supervisor:x"})
	r.at(2*day, trajectory.UpdateRecordIntake, trajectory.RecordIntake{NextVisitDue: t0.Add(20 * day), By: by})
	r.at(20*day, trajectory.UpdateRecordVisit, trajectory.RecordVisit{NextVisitDue: t0.Add(200 * day), By: by})
	r.at(21*day, trajectory.UpdateClose, trajectory.Close{Reason: trajectory.CloseGoalsReached, By: by})
	r.execute(smsReferral(referral(p)))

	failed := r.eventOf(trajectory.EventSMSFailed)
	if failed.Detail["sms"] != "visit_reminder" || failed.Detail["reason"] != "not_sent" || failed.Detail["step"] != "home_visit-1" {
		t.Errorf("sms_failed detail %v", failed.Detail)
	}
	if tries < 2 || tries > smsAttempts {
		t.Errorf("%d tries, want a few and at most %d", tries, smsAttempts)
	}
	r.eventOf(trajectory.EventVisitDone)
	r.eventOf(trajectory.EventClosed)
}
