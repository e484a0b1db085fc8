package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestConsultationRefusesContactDataInEitherText: a consultation is
// anonymous; an email address, a phone, a national or an account number
// in its situation or in its advice is refused, naming the field, and
// nothing is stored.
func TestConsultationRefusesContactDataInEitherText(t *testing.T) {
	w := newWorld(t)
	for _, contact := range []string{
		"mail naar yasmina@voorbeeld.example", "bel 0470 12 34 56", "+32 470 99 88 77",
		"rijksregister 85.07.30-033.28", "rekening BE68 5390 0754 7034",
	} {
		for _, field := range []string{"situation", "advice"} {
			body := map[string]string{"programme": "test-seconds", "situation": "Een ouder vraagt raad.", "advice": "Langs het OCMW."}
			body[field] = "Situatie: " + contact
			b, _ := json.Marshal(body)
			status, answer := w.do(t, "partner", http.MethodPost, pathConsultations, string(b))
			if status != http.StatusBadRequest || !strings.Contains(string(answer), `"/`+field+`"`) {
				t.Errorf("%s holding %q: %d %s, want 400 naming %s", field, contact, status, answer, field)
			}
		}
	}
	var n int
	if err := w.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM consultations`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d consultations stored (%v), want none", n, err)
	}
}

// TestAnotherPartnersConsultationIsUnknown: a consultation can become a
// referral only by the partner it was about; another partner gets, byte
// for byte, what an unknown consultation gets.
func TestAnotherPartnersConsultationIsUnknown(t *testing.T) {
	w := newWorld(t)
	status, created := w.do(t, "partner", http.MethodPost, pathConsultations,
		`{"programme":"test-seconds","situation":"Een ouder vraagt raad.","advice":"Langs het OCMW."}`)
	if status != http.StatusCreated {
		t.Fatalf("consultation: %d %s", status, created)
	}
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(created, &c); err != nil || c.ID == "" {
		t.Fatalf("consultation answer %s: %v", created, err)
	}
	referral := `{"referrer":{"organisation":"politie-mechelen","reference":"PV-1"},"family":{"contact_name":"Gezin","phone":"+32 470 00 00 00"},` +
		`"reason":"raad gevraagd","consent":{"given":true,"recorded_on":"2026-11-30"}}`
	theirs, theirsBody := w.do(t, "partner-other", http.MethodPost, "/v1/consultations/"+c.ID+"/referral", referral)
	unknown, unknownBody := w.do(t, "partner-other", http.MethodPost, "/v1/consultations/co-unknown/referral", referral)
	if theirs != http.StatusNotFound || theirs != unknown || string(theirsBody) != string(unknownBody) {
		t.Errorf("another partner's consultation: %d %s; an unknown one: %d %s; want the same 404", theirs, theirsBody, unknown, unknownBody)
	}
}
