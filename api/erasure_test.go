package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/elkgezin/elkgezin/trajectory"
)

// fakeEraser records the trajectories it erased.
type fakeEraser struct {
	mu     sync.Mutex
	erased []string
}

func (f *fakeEraser) Erase(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.erased = append(f.erased, id)
	return true, nil
}

func (f *fakeEraser) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.erased)
}

// TestErasureRecordsItsReason: an administrator, who may erase any
// trajectory, must say why, in a short line; the audit entry keeps it. A
// supervisor may say why, and may leave the body out.
func TestErasureRecordsItsReason(t *testing.T) {
	eraser := &fakeEraser{}
	f := newFixture(t, func(c *Config) { c.Eraser = eraser })
	f.store.add(openID, trajectory.PhaseClosed)
	path := "/v1/trajectories/" + openID + "/erasure"

	for _, tc := range []struct {
		body         any
		short, field string
	}{
		{nil, "invalid erasure", "reason"},
		{`{}`, "invalid erasure", "reason"},
		{`{"reason":"  "}`, "invalid erasure", "reason"},
		{`{"reason":"` + strings.Repeat("x", 201) + `"}`, "invalid erasure", "reason"},
		{`{"reason":"two\nlines"}`, "invalid erasure", "reason"},
		{`{"reason":"hidden\u200b"}`, "invalid text", "reason"},
		{`{"reason":"x","why":"y"}`, "unknown field", "why"},
	} {
		checkFields(t, f.do(http.MethodPost, path, tc.body, authHeader, asAdmin), tc.short, []string{tc.field})
	}
	if n := eraser.count(); n != 0 {
		t.Fatalf("%d erasures without a valid reason", n)
	}

	f.do(http.MethodPost, path, `{"reason":"verzoek van het gezin"}`, authHeader, asAdmin).want(t, http.StatusOK)
	e := f.audit.last(t)
	if e.Action != "erase_trajectory" || e.Actor != "admin:root" || e.Detail["reason"] != "verzoek van het gezin" || e.TrajectoryID != openID {
		t.Errorf("audit entry %+v, want the erasure with its reason", e)
	}

	f.do(http.MethodPost, path, nil, authHeader, asSupervisor).want(t, http.StatusOK)
	if e := f.audit.last(t); e.Actor != "supervisor:sup-vilvoorde" || e.Detail["reason"] != "" {
		t.Errorf("a supervisor's erasure without a reason: %+v", e)
	}
	f.do(http.MethodPost, path, `{"reason":"einde bewaartermijn"}`, authHeader, asSupervisor).want(t, http.StatusOK)
	if e := f.audit.last(t); e.Detail["reason"] != "einde bewaartermijn" {
		t.Errorf("a supervisor's reason is not recorded: %+v", e)
	}
	f.do(http.MethodPost, path, `{"reason":"a\u0007"}`, authHeader, asSupervisor).want(t, http.StatusBadRequest)
	if n := eraser.count(); n != 3 {
		t.Errorf("%d erasures, want 3", n)
	}
}
