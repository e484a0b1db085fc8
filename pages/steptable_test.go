package pages

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"
)

// TestEveryStepHasItsForm: each step of the step table (usecase.Steps)
// that someone who signs in on the pages may take has its form on the
// pages: buildStep knows it, or it has a page of its own (pageOfStep);
// and the page says in Dutch that it was done. A step only partners take
// (they use the API) has none.
func TestEveryStepHasItsForm(t *testing.T) {
	h := &handler{}
	row := store.Trajectory{TrajectorySummary: store.TrajectorySummary{ID: "tr-x", ProgrammeID: "test-seconds"}}
	for _, st := range usecase.Steps {
		if !slices.ContainsFunc(st.Kinds, mayUsePages) {
			continue
		}
		_, ownPage := pageOfStep[st.Name]
		if _, _, problem := h.buildStep(st.Name, row, url.Values{}, "coach:test", time.Now()); problem == unknownStep && !ownPage {
			t.Errorf("step %s (%s): the pages have no form for it", st.Name, st.Title)
		}
		if stepTitle(st.Name) == "" {
			t.Errorf("step %s: the page does not say it was done", st.Name)
		}
	}
}
