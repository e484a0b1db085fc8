package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/elkgezin/elkgezin/payloadcodec"
)

// TestCodecShowsAFailureUnderItsTrajectorysKey: a handover the mail server
// refuses leaves an activity failure in the history. Its message is
// encrypted under the trajectory's data key, as the rest of the history:
// the supervisor of the programme reads it through the codec endpoint,
// with the whole history in one request (nothing of it is under the shared
// ring), and a supervisor of another programme gets 403.
func TestCodecShowsAFailureUnderItsTrajectorysKey(t *testing.T) {
	s := startStack(t)
	coach := "coach:test-coach"
	s.smtp.RejectRecipient("service@test.example", 550)
	status, created := s.call("partner:test-partner", "POST", "/v1/referrals", map[string]any{
		"programme": "test-seconds",
		"referrer":  map[string]any{"organisation": "test-partner", "reference": "FAILURE-1"},
		"family":    map[string]any{"contact_name": "Noor Foutgezin", "phone": "+32 485 11 22 44"},
		"reason":    "no income since the summer",
	}, nil)
	if status != http.StatusCreated {
		t.Fatalf("referral: %d %v", status, created)
	}
	id := created["id"].(string)
	s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(coach, id, "intake", map[string]any{"note": "first visit"})
	s.mustStep(coach, id, "handovers", handover("contact"))
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "email_failed") == 1 })

	var failures []*commonpb.Payload
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if f := e.GetActivityTaskFailedEventAttributes().GetFailure(); f != nil {
			failures = append(failures, collectPayloads(f)...)
		}
	}
	if len(failures) == 0 {
		t.Fatal("the history holds no activity failure")
	}
	for i, p := range failures {
		if key := string(p.GetMetadata()[payloadcodec.MetadataEncryptionKey]); key != payloadcodec.TrajectoryKeyPrefix+id {
			t.Errorf("payload %d of the failure is under %q, want the trajectory's key", i, key)
		}
	}
	if status, plain := s.decodeAs("supervisor:test", failures); status != http.StatusOK || !strings.Contains(plain, "refused") {
		t.Errorf("the failure through the codec: %d %q; want its message", status, plain)
	}
	s.tokenIn("supervisor:other", "go-team-mechelen")
	if status, plain := s.decodeAs("supervisor:other", failures); status != http.StatusForbidden || strings.Contains(plain, "refused") {
		t.Errorf("the failure for another programme's supervisor: %d; want 403", status)
	}
	if status, plain := s.decodeAs("supervisor:test", s.historyPayloads(id)); status != http.StatusOK || !strings.Contains(plain, "Noor Foutgezin") {
		t.Errorf("the whole history in one request: %d; want it decoded", status)
	}
}
