package pages

import (
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// TestEveryRefusalHasADutchSentence: each code a step can be refused with
// has its Dutch sentence, with its args and without them (a refusal from
// an older worker may lack some), and none leaks English or a format verb.
func TestEveryRefusalHasADutchSentence(t *testing.T) {
	full := map[string]string{
		trajectory.ArgReason: string(trajectory.CloseMovedAway), trajectory.ArgCoach: "coach-a", trajectory.ArgCoWorker: "vroedvrouw-b",
		trajectory.ArgRole: "vroedvrouw", trajectory.ArgDoneAt: "2026-03-04T09:00:00Z", trajectory.ArgNotBefore: "2026-03-02T09:00:00Z",
		trajectory.ArgAcknowledgedAt: "2026-03-05T12:30:00Z", trajectory.ArgExpiredAt: "2026-03-06T12:30:00Z", trajectory.ArgHandover: "2",
		trajectory.ArgProgramme: "test-seconds", trajectory.ArgUntil: "2026-09-01", trajectory.ArgFollowUpEnd: "2026-08-01",
		trajectory.ArgTiming: "intake_deadline", trajectory.ArgField: "timings.milestones[0].after", trajectory.ArgMilestone: "gesprek",
		trajectory.ArgMilestones: "intake,gesprek", trajectory.ArgAfter: "intake",
	}
	english := []string{" the ", " is not ", " must ", "already", "%!", "%s", "<nil>"}
	for _, code := range trajectory.RefusalCodes {
		if _, ok := dutch[code]; !ok {
			t.Errorf("%s has no Dutch sentence in pages/refusals.go", code)
			continue
		}
		for _, args := range []map[string]string{full, nil} {
			text, known := say(trajectory.Refusal{Code: code, Args: args})
			if !known || text == "" || !strings.HasSuffix(text, ".") || text[0] < 'A' || text[0] > 'Z' {
				t.Errorf("%s with args %v says %q", code, args != nil, text)
			}
			for _, w := range english {
				if strings.Contains(text, w) {
					t.Errorf("%s says %q, with %q in it", code, text, w)
				}
			}
		}
	}
	if len(dutch) != len(trajectory.RefusalCodes) {
		t.Errorf("%d Dutch sentences for %d codes: one is for a code that does not exist", len(dutch), len(trajectory.RefusalCodes))
	}
}

// TestRefusalsInBelgianTime: instants are said as the pages say them
// elsewhere, in Belgian time; dates as days.
func TestRefusalsInBelgianTime(t *testing.T) {
	for _, c := range []struct {
		r    trajectory.Refusal
		want string
	}{
		{trajectory.Refusal{Code: trajectory.CodeIntakeAlreadyRecorded, Args: map[string]string{trajectory.ArgDoneAt: "2026-03-04T09:00:00Z"}},
			"De intake werd al opgeslagen, op wo 04-03-2026 10:00."},
		{trajectory.Refusal{Code: trajectory.CodeIntakeAlreadyRecorded}, "De intake werd al eerder opgeslagen."},
		{trajectory.Refusal{Code: trajectory.CodeHandoverLinkExpired, Args: map[string]string{trajectory.ArgHandover: "2", trajectory.ArgExpiredAt: "2026-07-01T22:30:00Z"}},
			"De link van overdracht 2 is verlopen, op do 02-07-2026 00:30."},
		{trajectory.Refusal{Code: trajectory.CodeExtensionNotAfterEnd, Args: map[string]string{trajectory.ArgUntil: "2026-09-01", trajectory.ArgFollowUpEnd: "2026-10-04"}},
			"De nieuwe einddatum (di 01-09-2026) moet na het huidige einde van de opvolging liggen (zo 04-10-2026)."},
		{trajectory.Refusal{Code: trajectory.CodeTrajectoryClosed, Args: map[string]string{trajectory.ArgReason: string(trajectory.CloseMovedAway)}},
			"Dit traject is afgesloten (verhuisd); er kunnen geen stappen meer bij."},
		{trajectory.Refusal{Code: "from_a_newer_worker"}, refusedUnknown},
	} {
		if got, _ := say(c.r); got != c.want {
			t.Errorf("%s says %q, want %q", c.r.Code, got, c.want)
		}
	}
}

// TestRejectedSaysEveryRefusal: a step refused for more than one problem
// says each; one from a worker older than the codes says so in Dutch.
func TestRejectedSaysEveryRefusal(t *testing.T) {
	e := &usecase.RejectedError{Reason: "done_at lies in the future; next_visit_due_at must lie in the future",
		Refusal: trajectory.Refusal{Code: trajectory.CodeDoneAtInFuture},
		Also:    []trajectory.Refusal{{Code: trajectory.CodeNextVisitNotInFuture}}}
	text, known := sayRejected(e)
	if !known || !strings.Contains(text, "Het tijdstip van het bezoek ligt in de toekomst") || !strings.Contains(text, "Het volgende bezoek moet in de toekomst liggen.") {
		t.Errorf("says %q (known %v)", text, known)
	}
	if text, known := sayRejected(&usecase.RejectedError{Reason: "the intake was already recorded on 2026-03-04T09:00:00Z"}); known || text != refusedUnknown {
		t.Errorf("a refusal without a code says %q (known %v)", text, known)
	}
}
