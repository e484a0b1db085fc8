package workflows

import (
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/elkgezin/elkgezin/trajectory"
)

// TestStartKeepsItsFrameSmall guards what a cached trajectory's stack
// costs: start's frame stays under the main loop for as long as the
// trajectory is cached, and a large one (a Start or an Event built in it:
// 2.7 KB before) sends the first workflow task past the 8 KB a goroutine
// starts with, to a 16 KB stack the collector never halves again
// (BENCHMARKS.md, the memory row). The frame is read from the compiler's
// listing of this package.
func TestStartKeepsItsFrameSmall(t *testing.T) {
	out, err := exec.Command("go", "build", "-gcflags=-S", "-o", "/dev/null", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`\(\*trajectoryWorkflow\)\.start STEXT .*locals=0x([0-9a-f]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("the compiler's listing has no trajectoryWorkflow.start")
	}
	locals, err := strconv.ParseInt(string(m[1]), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 256
	if locals > limit {
		t.Errorf("trajectoryWorkflow.start keeps %d bytes of locals, over %d: build large values in a function of its own and pass the Start by pointer", locals, limit)
	}
}

// A start with no input ("null") fails the run for good, with a reason,
// rather than retrying a workflow task that cannot succeed.
func TestTrajectoryWithoutInputFails(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Trajectory, workflow.RegisterOptions{Name: trajectory.WorkflowName})
	env.ExecuteWorkflow(trajectory.WorkflowName, nil)
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != "MissingStart" || !app.NonRetryable() {
		t.Fatalf("workflow error %v, want a non-retryable MissingStart", err)
	}
}
