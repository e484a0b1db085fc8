package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/elkgezin/elkgezin/trajectory"
)

// referralJSON is validReferral as text, so a case can repeat a key or
// change its case, which a map cannot.
func referralJSON(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(validReferral())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStrictJSONRefusesRepeatedAndMiscasedKeys(t *testing.T) {
	cases := []struct {
		name, body, short, field string
	}{
		{"repeated top-level key", `{"reason":"a",` + referralJSON(t)[1:], "duplicate field", "reason"},
		{"repeated nested key", strings.Replace(referralJSON(t), `"phone":`, `"phone":"+32 470 00 00 00","phone":`, 1), "duplicate field", "family.phone"},
		{"key in other case", strings.Replace(referralJSON(t), `"reason":`, `"Reason":`, 1), "unknown field", "Reason"},
		{"nested key in other case", strings.Replace(referralJSON(t), `"contact_name":`, `"Contact_Name":`, 1), "unknown field", "family.Contact_Name"},
		{"repeated key in a child", strings.Replace(referralJSON(t), `"reason":`, `"children":[{"name":"A","name":"B","birth_date":"2024-01-01"}],"reason":`, 1), "duplicate field", "children[0].name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(http.MethodPost, "/v1/referrals", tc.body, authHeader, asPartner)
			checkFields(t, res, tc.short, []string{tc.field})
			if len(f.temporal.starts) != 0 {
				t.Error("a refused body started a trajectory")
			}
		})
	}
	// A repeated key in a step body too: every body goes through decodeBody.
	f := newFixture(t)
	f.store.add(openID, trajectory.PhaseInSupport)
	res := f.do(http.MethodPost, stepPath("intake"), `{"note":"a","note":"b"}`, authHeader, asCoach)
	checkFields(t, res, "duplicate field", []string{"note"})
	res = f.do(http.MethodPost, stepPath("visits"), `{"note":"zie \u202Egnilleb"}`, authHeader, asCoach)
	checkFields(t, res, "invalid text", []string{"note"})
	if len(f.temporal.updates) != 0 {
		t.Error("a refused step reached the workflow")
	}
}

func TestTextRefusesFormatCharactersAndIsNFC(t *testing.T) {
	for name, bad := range map[string]string{
		"right-to-left override": "Fatima\u202Eeilimaf",
		"zero-width space":       "Fa\u200Btima",
		"byte order mark":        "\uFEFFFatima",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			res := f.do(http.MethodPost, "/v1/referrals", set(validReferral(), "family.contact_name", bad), authHeader, asPartner)
			checkFields(t, res, "invalid text", []string{"family.contact_name"})
			if !strings.Contains(res.err.Detail, "U+") {
				t.Errorf("the detail does not name the character: %s", res.err.Detail)
			}
		})
	}
	f := newFixture(t)
	res := f.do(http.MethodPost, "/v1/referrals", set(set(validReferral(), "family.contact_name", "Zoe\u0308 Lefe\u0300vre"), "reason", "Tre\u0301ma"), authHeader, asPartner)
	res.want(t, http.StatusCreated)
	start := f.temporal.startArgs[0].(trajectory.Start)
	if got := start.Referral.Family.ContactName; got != "Zoë Lefèvre" || !norm.NFC.IsNormalString(got) {
		t.Errorf("contact name %q was not normalised to NFC", got)
	}
	if got := start.Referral.Reason; got != "Tréma" {
		t.Errorf("reason %q was not normalised to NFC", got)
	}
}
