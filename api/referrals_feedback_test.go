package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPartnerReadsItsReferralsStatus: the partner that referred reads the
// status by id and by its reference; another partner gets 403 (by id) and
// nothing (by reference); no answer holds the family's data or the coach.
func TestPartnerReadsItsReferralsStatus(t *testing.T) {
	w := newWorld(t)
	status, body := w.do(t, "partner", http.MethodGet, "/v1/referrals/"+w.mine, "")
	if status != http.StatusOK {
		t.Fatalf("own referral: %d %s", status, body)
	}
	var got ReferralStatusResponse
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != w.mine || got.Reference != matrixReference || got.Programme != "test-seconds" || got.Status != "coach_assigned" {
		t.Errorf("status %+v", got)
	}
	// The world's coach was assigned a minute after the referral, an hour ago.
	if d := time.Since(got.StatusChangedAt); d < 58*time.Minute || d > 62*time.Minute || !strings.Contains(string(body), `Z"`) {
		t.Errorf("status_changed_at %s (%s ago), want UTC about 59 minutes ago: %s", got.StatusChangedAt, d, body)
	}
	noPersonalData(t, body)

	status, byRef := w.do(t, "partner", http.MethodGet, "/v1/referrals?reference="+url.QueryEscape(matrixReference), "")
	var list ReferralList
	if err := json.Unmarshal(byRef, &list); status != http.StatusOK || err != nil || len(list.Items) != 1 || list.Items[0] != got {
		t.Errorf("by reference: %d %s, want the same status as by id", status, byRef)
	}
	noPersonalData(t, byRef)
	status, inProgramme := w.do(t, "partner", http.MethodGet, "/v1/referrals?programme=test-seconds&reference="+url.QueryEscape(matrixReference), "")
	if status != http.StatusOK || !strings.Contains(string(inProgramme), w.mine) {
		t.Errorf("by reference in its programme: %d %s", status, inProgramme)
	}

	status, other := w.do(t, "partner-other", http.MethodGet, "/v1/referrals/"+w.mine, "")
	if status != http.StatusForbidden {
		t.Errorf("another partner: %d %s", status, other)
	}
	noPersonalData(t, other)
	if strings.Contains(string(other), matrixReference) {
		t.Errorf("another partner learns the reference: %s", other)
	}
	status, otherRef := w.do(t, "partner-other", http.MethodGet, "/v1/referrals?reference="+url.QueryEscape(matrixReference), "")
	if status != http.StatusOK || strings.TrimSpace(string(otherRef)) != `{"items":[]}` {
		t.Errorf("another partner by reference: %d %s", status, otherRef)
	}

	for _, q := range []string{"", "?reference=", "?reference=x&programme=NOT%20AN%20ID"} {
		if status, body := w.do(t, "partner", http.MethodGet, "/v1/referrals"+q, ""); status != http.StatusBadRequest {
			t.Errorf("query %q: %d %s", q, status, body)
		}
	}
	if status, body := w.do(t, "partner", http.MethodGet, "/v1/referrals/"+w.unknown, ""); status != http.StatusNotFound {
		t.Errorf("unknown referral: %d %s", status, body)
	}
}

// noPersonalData fails if body holds any of the world's family data or
// who coaches it.
func noPersonalData(t *testing.T, body []byte) {
	t.Helper()
	for _, personal := range []string{matrixFamily, matrixPhone, matrixReason, "test-coach", "family", "coach\""} {
		if strings.Contains(string(body), personal) {
			t.Errorf("answer holds %q: %s", personal, body)
		}
	}
}
