package main

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// The bare step must do what it is compared with: an Update that runs one
// activity and answers once it completed.
func TestBareStepRunsAnActivity(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(BareActivity)
	var got []int
	for i := range 2 {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(bareUpdate, string(rune('a'+i)), &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("rejected: %v", err) },
				OnAccept: func() {},
				OnComplete: func(v any, err error) {
					if err != nil {
						t.Errorf("step %d: %v", i, err)
					}
					got = append(got, v.(int))
				},
			})
		}, time.Duration(i+1)*time.Second)
	}
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(BareTrajectory)
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("steps answered %v, want [1 2]", got)
	}
}
