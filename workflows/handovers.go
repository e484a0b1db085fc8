package workflows

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"elkgezin/activities"
	"elkgezin/trajectory"
)

func (w *trajectoryWorkflow) validateHandOver(ctx workflow.Context, req trajectory.HandOver) error {
	if err := w.rejectIfClosed(); err != nil {
		return err
	}
	if w.state.CoachID == "" {
		return reject("no coach is assigned yet: a handover names the coach as the service's contact")
	}
	if !req.Consent.Given || req.Consent.RecordedOn.IsZero() {
		return reject("the family's consent to this handover is not recorded")
	}
	for _, s := range req.Consent.Shares {
		if !slices.Contains(trajectory.ShareCategories, s) {
			return reject("consent share %q is not one of %v", s, trajectory.ShareCategories)
		}
	}
	if req.Service.ID == "" || req.Service.Email == "" {
		return reject("the service to hand over to is missing")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return reject("a handover needs a reason")
	}
	return nil
}

// handOver records the handover; the main loop emails it, so a mail
// server that is down delays the email without holding up the coach.
func (w *trajectoryWorkflow) handOver(ctx workflow.Context, req trajectory.HandOver) (trajectory.State, error) {
	now := workflow.Now(ctx)
	n := len(w.state.Handovers) + 1
	w.state.Handovers = append(w.state.Handovers, trajectory.Handover{
		Number:        n,
		Service:       req.Service,
		RequestedAt:   now,
		Shares:        append([]string{}, req.Consent.Shares...),
		LinkExpiresAt: now.Add(w.in.Programme.Handover.LinkValidFor.Std()),
	})
	w.in.PendingHandovers = append(w.in.PendingHandovers, trajectory.PendingHandover{Number: n, Request: req})
	w.wakeMainLoop()
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventHandoverRequested, req.By, map[string]string{
		"handover": strconv.Itoa(n), "service": req.Service.ID, "shares": strings.Join(req.Consent.Shares, ","),
		"consent_recorded_on": req.Consent.RecordedOn.String(), "reason": req.Reason,
	}))
}

// sendHandovers emails every handover still waiting; the service then has
// the programme's limit to acknowledge it.
func (w *trajectoryWorkflow) sendHandovers(ctx workflow.Context) error {
	for len(w.in.PendingHandovers) > 0 {
		p := w.in.PendingHandovers[0]
		key := w.state.TrajectoryID + "/handover-" + strconv.Itoa(p.Number)
		if err := w.sendHandoverEmail(ctx, key, trajectory.HandoverNotice, p.Number); err != nil {
			return err
		}
		w.in.PendingHandovers = w.in.PendingHandovers[1:]
		now := workflow.Now(ctx)
		h := &w.state.Handovers[p.Number-1]
		h.SentAt = now
		// A quick service may acknowledge before the send is reported back.
		if h.AcknowledgedAt.IsZero() {
			h.Ack = &trajectory.Step{Kind: trajectory.StepHandoverAck, Number: p.Number, DueAt: now.Add(w.in.Programme.Handover.AcknowledgementLimit.Std())}
		}
		if err := w.record(ctx, w.event(ctx, trajectory.EventHandoverSent, "elkgezin", map[string]string{
			"handover": strconv.Itoa(p.Number), "service": h.Service.ID,
		})); err != nil {
			return err
		}
	}
	return nil
}

// sendHandoverEmail sends the handover (kind HandoverNotice) or a reminder
// to acknowledge it. Only what the family consented to share goes in it.
func (w *trajectoryWorkflow) sendHandoverEmail(ctx workflow.Context, key string, kind trajectory.NotificationKind, number int) error {
	h := w.state.Handovers[number-1]
	coach, _ := w.in.Programme.Coach(w.state.CoachID)
	email := trajectory.HandoverEmail{
		Service:       h.Service,
		Key:           key,
		Kind:          kind,
		TrajectoryID:  w.state.TrajectoryID,
		ProgrammeName: w.in.Programme.Name,
		Number:        number,
		CoachName:     coach.Name,
		CoachEmail:    coach.Email,
		LinkExpiresAt: h.LinkExpiresAt,
	}
	// A reminder repeats no data: the service already has it.
	if kind == trajectory.HandoverNotice {
		for _, p := range w.in.PendingHandovers {
			if p.Number == number {
				email.Reason = p.Request.Reason
			}
		}
		email.Shared = w.sharedData(h.Shares)
	}
	return workflow.ExecuteActivity(withEmailOptions(ctx), (*activities.Activities).SendHandover, email).Get(ctx, nil)
}

// sharedData is the family's data the family consented to share, and nothing else.
func (w *trajectoryWorkflow) sharedData(shares []string) trajectory.SharedData {
	var d trajectory.SharedData
	r := w.in.Referral
	if slices.Contains(shares, trajectory.ShareContact) {
		family := r.Family
		d.Contact = &family
	}
	if slices.Contains(shares, trajectory.ShareChildren) {
		d.Children = append([]trajectory.Child{}, r.Children...)
	}
	if slices.Contains(shares, trajectory.SharePregnancy) && w.state.BornOn.IsZero() {
		d.ExpectedDueDate = r.ExpectedDueDate
	}
	return d
}

func (w *trajectoryWorkflow) validateAcknowledgeHandover(ctx workflow.Context, req trajectory.AcknowledgeHandover) error {
	if req.Number < 1 || req.Number > len(w.state.Handovers) {
		return reject("this trajectory has no handover %d", req.Number)
	}
	h := w.state.Handovers[req.Number-1]
	if !h.AcknowledgedAt.IsZero() {
		return reject("handover %d was already acknowledged on %s", req.Number, h.AcknowledgedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// acknowledgeHandover is the service confirming receipt; its reminder and
// alert are no longer owed.
func (w *trajectoryWorkflow) acknowledgeHandover(ctx workflow.Context, req trajectory.AcknowledgeHandover) (trajectory.State, error) {
	h := &w.state.Handovers[req.Number-1]
	h.AcknowledgedAt = workflow.Now(ctx)
	h.Ack = nil
	w.wakeMainLoop()
	return w.state, w.record(ctx, w.event(ctx, trajectory.EventHandoverAcknowledged, req.By, map[string]string{
		"handover": strconv.Itoa(req.Number), "service": h.Service.ID,
	}))
}
