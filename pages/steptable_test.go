package pages

import (
	"net/url"
	"testing"
	"time"

	"elkgezin/store"
	"elkgezin/usecase"
)

// TestEveryStepHasItsForm: each step of the step table (usecase.Steps)
// has its form on the pages: buildStep knows it, and the page says in
// Dutch that it was done.
func TestEveryStepHasItsForm(t *testing.T) {
	h := &handler{}
	row := store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: "tr-x", ProgrammeID: "test-seconds"}}
	for _, st := range usecase.Steps {
		if _, _, problem := h.buildStep(st.Name, row, url.Values{}, "coach:test", time.Now()); problem == unknownStep {
			t.Errorf("step %s (%s): the pages have no form for it", st.Name, st.Title)
		}
		if stepTitle(st.Name) == "" {
			t.Errorf("step %s: the page does not say it was done", st.Name)
		}
	}
}
