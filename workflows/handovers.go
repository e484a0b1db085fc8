package workflows

import (
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

func (w *trajectoryWorkflow) validateHandOver(ctx workflow.Context, req trajectory.HandOver) error {
	if w.c.State.CoachID == "" {
		return reject(trajectory.CodeHandoverNeedsCoach, nil, "no coach is assigned yet: a handover names the coach as the service's contact")
	}
	if err := rejectProblems(trajectory.ConsentProblems(req.Consent)); err != nil {
		return err
	}
	if req.Service.ID == "" || req.Service.Email == "" {
		return reject(trajectory.CodeHandoverServiceMissing, nil, "the service to hand over to is missing")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return reject(trajectory.CodeHandoverReasonRequired, nil, "a handover needs a reason")
	}
	return nil
}

// handOver records the handover; the main loop emails it, so a mail
// server that is down delays the email without holding up the coach.
func (w *trajectoryWorkflow) handOver(ctx workflow.Context, req trajectory.HandOver) (trajectory.State, error) {
	now := workflow.Now(ctx)
	n := len(w.c.State.Handovers) + 1
	w.c.State.Handovers = append(w.c.State.Handovers, trajectory.Handover{
		Number:      n,
		Service:     req.Service,
		RequestedAt: now,
		Shares:      append([]string{}, req.Consent.Shares...),
		// Set again when the email goes out (changeLinkExpiryFromSend).
		LinkExpiresAt: now.Add(w.c.Timings.LinkValidFor.Std()),
	})
	w.c.PendingHandovers = append(w.c.PendingHandovers, trajectory.PendingHandover{Number: n, Request: req})
	w.wakeMainLoop()
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventHandoverRequested, req.By, map[string]string{
		"handover": strconv.Itoa(n), "service": req.Service.ID, "shares": strings.Join(req.Consent.Shares, ","),
		"consent_recorded_on": req.Consent.RecordedOn.String(), "reason": req.Reason,
	}))
}

// handoverKey names one handover email: the first attempt keeps the key
// of the runs before attempts existed, a corrected one gets its own.
func (w *trajectoryWorkflow) handoverKey(h trajectory.Handover) string {
	key := w.c.State.TrajectoryID + "/handover-" + strconv.Itoa(h.Number)
	if h.Attempt > 0 {
		key += "/attempt-" + strconv.Itoa(h.Attempt+1)
	}
	return key
}

// handoverEmail is the handover email (kind HandoverNotice) or a reminder
// to acknowledge it, and the step it is about. Only what the family
// consented to share goes in it.
func (w *trajectoryWorkflow) handoverEmail(key string, kind trajectory.NotificationKind, number int) (trajectory.HandoverEmail, trajectory.Step) {
	h := w.c.State.Handovers[number-1]
	email := trajectory.HandoverEmail{
		Service:       h.Service,
		Key:           key,
		Kind:          kind,
		TrajectoryID:  w.c.State.TrajectoryID,
		ProgrammeID:   w.c.State.ProgrammeID,
		ProgrammeName: w.programmeName(),
		Number:        number,
		CoachID:       w.c.State.CoachID,
		LinkExpiresAt: h.LinkExpiresAt,
		ReportInDoubt: true,
	}
	// A reminder repeats no data: the service already has it.
	if kind == trajectory.HandoverNotice {
		for _, p := range w.c.PendingHandovers {
			if p.Number == number {
				email.Reason = p.Request.Reason
			}
		}
		email.Shared = w.sharedData(h.Shares)
	}
	step := trajectory.Step{Kind: trajectory.StepHandoverAck, Number: number, DueAt: h.LinkExpiresAt}
	if h.Ack != nil {
		step = *h.Ack
	}
	return email, step
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
		d.Children = append(append([]trajectory.Child{}, r.Children...), w.c.BornChildren...)
	}
	if slices.Contains(shares, trajectory.SharePregnancy) && w.c.State.BornOn.IsZero() {
		d.ExpectedDueDate = r.ExpectedDueDate
	}
	return d
}

func (w *trajectoryWorkflow) validateAcknowledgeHandover(ctx workflow.Context, req trajectory.AcknowledgeHandover) error {
	n := strconv.Itoa(req.Number)
	number := map[string]string{trajectory.ArgHandover: n}
	if req.Number < 1 || req.Number > len(w.c.State.Handovers) {
		return reject(trajectory.CodeHandoverUnknown, number, "this trajectory has no handover %d", req.Number)
	}
	h := w.c.State.Handovers[req.Number-1]
	switch {
	case !h.AcknowledgedAt.IsZero():
		return reject(trajectory.CodeHandoverAlreadyAcknowledged, map[string]string{trajectory.ArgHandover: n, trajectory.ArgAcknowledgedAt: rfc3339(h.AcknowledgedAt)},
			"handover %d was already acknowledged on %s", req.Number, rfc3339(h.AcknowledgedAt))
	case h.Failed:
		return reject(trajectory.CodeHandoverUndelivered, number, "handover %d could not be delivered; the coach will send it again", req.Number)
	case !h.SentAt.IsZero() && h.Ack == nil:
		return reject(trajectory.CodeHandoverLinkExpired, map[string]string{trajectory.ArgHandover: n, trajectory.ArgExpiredAt: rfc3339(h.LinkExpiresAt)},
			"the link of handover %d expired on %s", req.Number, rfc3339(h.LinkExpiresAt))
	}
	return nil
}

// acknowledgeHandover is the service confirming receipt; its reminder and
// alert are no longer owed.
func (w *trajectoryWorkflow) acknowledgeHandover(ctx workflow.Context, req trajectory.AcknowledgeHandover) (trajectory.State, error) {
	h := &w.c.State.Handovers[req.Number-1]
	h.AcknowledgedAt = workflow.Now(ctx)
	h.Ack = nil
	w.wakeMainLoop()
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventHandoverAcknowledged, req.By, map[string]string{
		"handover": strconv.Itoa(req.Number), "service": h.Service.ID,
	}))
}

func (w *trajectoryWorkflow) validateResendHandover(ctx workflow.Context, req trajectory.ResendHandover) error {
	number := map[string]string{trajectory.ArgHandover: strconv.Itoa(req.Number)}
	if req.Number < 1 || req.Number > len(w.c.State.Handovers) {
		return reject(trajectory.CodeHandoverUnknown, number, "this trajectory has no handover %d", req.Number)
	}
	if !w.c.State.Handovers[req.Number-1].Failed || !slices.ContainsFunc(w.c.PendingHandovers, func(p trajectory.PendingHandover) bool { return p.Number == req.Number && p.Held }) {
		return reject(trajectory.CodeHandoverNotResendable, number,
			"handover %d did not fail, or can no longer be sent: only a handover whose email could not be delivered is sent again", req.Number)
	}
	if req.Service.ID == "" || req.Service.Email == "" {
		return reject(trajectory.CodeHandoverServiceMissing, nil, "the service to hand over to is missing")
	}
	return rejectProblems(trajectory.ResendConsentProblems(w.c.State.Handovers[req.Number-1].Service.ID, req))
}

// resendHandover sends a failed handover again, to the corrected service
// or, with the family's consent for it, to another; a new consent decides
// what the email shares.
func (w *trajectoryWorkflow) resendHandover(ctx workflow.Context, req trajectory.ResendHandover) (trajectory.State, error) {
	h := &w.c.State.Handovers[req.Number-1]
	h.Service, h.Failed = req.Service, false
	h.Attempt++
	h.LinkExpiresAt = workflow.Now(ctx).Add(w.c.Timings.LinkValidFor.Std())
	if req.Consent != nil {
		h.Shares = append([]string{}, req.Consent.Shares...)
	}
	for i := range w.c.PendingHandovers {
		if p := &w.c.PendingHandovers[i]; p.Number == req.Number {
			p.Held = false
			p.Request.Service = req.Service
			if req.Consent != nil {
				p.Request.Consent = *req.Consent
			}
		}
	}
	w.wakeMainLoop()
	detail := map[string]string{"handover": strconv.Itoa(req.Number), "service": req.Service.ID}
	if req.Consent != nil {
		detail["shares"] = strings.Join(req.Consent.Shares, ",")
		detail["consent_recorded_on"] = req.Consent.RecordedOn.String()
	}
	return w.c.State, w.record(ctx, w.event(ctx, updateTrigger(ctx), trajectory.EventHandoverResent, req.By, detail))
}

// heldHandoverExpiries are the instants at which handovers held after a
// failed email give up waiting for a correction.
func (w *trajectoryWorkflow) heldHandoverExpiries() []owed {
	var o []owed
	for _, p := range w.c.PendingHandovers {
		if p.Held {
			h := w.c.State.Handovers[p.Number-1]
			o = append(o, owed{linkExpired, &trajectory.Step{Kind: trajectory.StepHandoverAck, Number: p.Number, DueAt: h.LinkExpiresAt}, h.LinkExpiresAt})
		}
	}
	return o
}
