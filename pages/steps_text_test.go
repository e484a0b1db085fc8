package pages

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestStepFormsApplyTheTextRules: every text a step's form carries meets
// the rules the JSON API applies (trajectory.CleanText): an invisible
// formatting character, a control character or too long a text is refused
// in Dutch, before any Update; a text that passes is sent normalised.
func TestStepFormsApplyTheTextRules(t *testing.T) {
	h := &handler{Config: Config{Services: programme.Services{"caw": {ID: "caw", Name: "CAW", Email: "onthaal@caw.example"}}}}
	row := store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: "tr-x", ProgrammeID: "test-seconds"}}
	base := map[string]url.Values{
		"intake":     {},
		"bezoek":     {},
		"geboorte":   {"born_on": {"2026-11-20"}},
		"overdracht": {"service": {"caw"}, "consent_given": {"ja"}, "recorded_on": {"2026-11-20"}, "reason": {"schulden"}},
		"afsluiting": {"reason": {"other"}, "text": {"verhuisd"}, "bevestigd": {"ja"}},
		"verlenging": {"until": {"2027-06-01"}, "reason": {"huisvesting"}},
	}
	fields := map[string]string{"intake": "note", "bezoek": "note", "geboorte": "name", "overdracht": "reason", "afsluiting": "text", "verlenging": "reason"}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for step, field := range fields {
		for name, value := range map[string]string{
			"format character": "ver\u202Ehuisd",
			"control":          "ver\x07huisd",
			"too long":         strings.Repeat("a", trajectory.MaxNoteLength+1),
		} {
			f := url.Values{}
			for k, v := range base[step] {
				f[k] = v
			}
			f.Set(field, value)
			if _, _, problem := h.buildStep(step, row, f, "coach:test", now); problem == "" {
				t.Errorf("%s with a %s in %s: accepted", step, name, field)
			}
		}
		f := url.Values{}
		for k, v := range base[step] {
			f[k] = v
		}
		f.Set(field, "Jose\u0301 verhuisd")
		_, req, problem := h.buildStep(step, row, f, "coach:test", now)
		if problem != "" {
			t.Errorf("%s with a decomposed é in %s: %s", step, field, problem)
			continue
		}
		if got := textOf(req); !strings.Contains(got, "José") {
			t.Errorf("%s sends %q, want the text normalised to NFC", step, got)
		}
	}
}

// textOf is the typed text a step's request carries.
func textOf(req any) string {
	switch r := req.(type) {
	case trajectory.RecordIntake:
		return r.Note
	case trajectory.RecordVisit:
		return r.Note
	case trajectory.RecordBirth:
		return r.Name
	case trajectory.HandOver:
		return r.Reason
	case trajectory.Close:
		return r.Text
	case trajectory.ExtendFollowUp:
		return r.Reason
	}
	return ""
}

// TestStepFormsApplyTheDateRules: the birth and extension forms refuse,
// in Dutch, the dates the API refuses (trajectory.BirthDateProblems,
// ExtensionProblems): a follow-up extended to 2099, a birth two years ago.
func TestStepFormsApplyTheDateRules(t *testing.T) {
	h := &handler{}
	row := store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: "tr-x", ProgrammeID: "test-seconds"}}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		step string
		form url.Values
		says string
	}{
		{"verlenging", url.Values{"until": {"2099-06-01"}, "reason": {"huisvesting"}}, "hoogstens tot"},
		{"verlenging", url.Values{"until": {"2026-11-30"}, "reason": {"huisvesting"}}, "in de toekomst"},
		{"geboorte", url.Values{"born_on": {"2024-11-20"}}, "meer dan een jaar"},
		{"geboorte", url.Values{"born_on": {"2026-12-02"}}, "toekomst"},
	} {
		if _, _, problem := h.buildStep(c.step, row, c.form, "coach:test", now); !strings.Contains(problem, c.says) {
			t.Errorf("%s %v: %q, want a refusal saying %q", c.step, c.form, problem, c.says)
		}
	}
	if _, _, problem := h.buildStep("verlenging", row, url.Values{"until": {"2032-06-01"}, "reason": {"huisvesting"}}, "supervisor:s", now); problem != "" {
		t.Errorf("an extension within six years: %q", problem)
	}
}
