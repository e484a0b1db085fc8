package worker

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"

	"github.com/elkgezin/elkgezin/trajectory"
)

// fakeOperator is a namespace's search attributes, as the operator
// service lists and adds them.
type fakeOperator struct {
	operatorservice.OperatorServiceClient // any other call panics
	attrs                                 map[string]enumspb.IndexedValueType
	adds                                  int
}

func (f *fakeOperator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: f.attrs}, nil
}

func (f *fakeOperator) AddSearchAttributes(_ context.Context, req *operatorservice.AddSearchAttributesRequest, _ ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	f.adds++
	for name, typ := range req.GetSearchAttributes() {
		if _, ok := f.attrs[name]; ok {
			// The real service refuses to add an attribute twice.
			return nil, &alreadyExists{name}
		}
		f.attrs[name] = typ
	}
	return &operatorservice.AddSearchAttributesResponse{}, nil
}

type alreadyExists struct{ name string }

func (e *alreadyExists) Error() string { return "search attribute " + e.name + " already exists" }

func TestSetupRegistersOnlyWhatIsMissingAndWorkerChecks(t *testing.T) {
	ctx := context.Background()
	ops := &fakeOperator{attrs: map[string]enumspb.IndexedValueType{
		"Programme": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"Other":     enumspb.INDEXED_VALUE_TYPE_TEXT,
	}}

	err := CheckSearchAttributes(ctx, ops, "ns")
	if err == nil || !strings.Contains(err.Error(), "EmailFailed") || !strings.Contains(err.Error(), "elkgezin setup") ||
		strings.Contains(err.Error(), "Programme") {
		t.Fatalf("check before setup: %v; want the missing attributes named, not Programme, and `elkgezin setup`", err)
	}

	added, err := RegisterSearchAttributes(ctx, ops, "ns")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(trajectory.SearchAttributeTypes()) - 1; len(added) != want {
		t.Errorf("added %v, want the %d missing ones", added, want)
	}
	if err := CheckSearchAttributes(ctx, ops, "ns"); err != nil {
		t.Errorf("check after setup: %v", err)
	}

	// A second setup changes nothing.
	if added, err := RegisterSearchAttributes(ctx, ops, "ns"); err != nil || len(added) != 0 || ops.adds != 1 {
		t.Errorf("second setup: added %v, %v, %d calls to add", added, err, ops.adds)
	}
}

func TestSearchAttributeOfAnotherTypeIsRefused(t *testing.T) {
	ops := &fakeOperator{attrs: map[string]enumspb.IndexedValueType{"Overdue": enumspb.INDEXED_VALUE_TYPE_KEYWORD}}
	if _, err := RegisterSearchAttributes(context.Background(), ops, "ns"); err == nil || !strings.Contains(err.Error(), "Overdue") {
		t.Errorf("setup over Overdue as Keyword: %v, want an error naming it", err)
	}
	if err := CheckSearchAttributes(context.Background(), ops, "ns"); err == nil || !strings.Contains(err.Error(), "Overdue") {
		t.Errorf("check with Overdue as Keyword: %v, want an error naming it", err)
	}
}

// countingVisibility refuses queries on search attributes until the
// frontend's namespace cache would have them (refusals left), as a
// cluster's frontend does for a few seconds after they are added.
type countingVisibility struct {
	workflowservice.WorkflowServiceClient
	refusals int
	queries  []string
}

func (c *countingVisibility) CountWorkflowExecutions(_ context.Context, req *workflowservice.CountWorkflowExecutionsRequest, _ ...grpc.CallOption) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	c.queries = append(c.queries, req.GetQuery())
	if c.refusals > 0 {
		c.refusals--
		return nil, serviceerror.NewInvalidArgument("no mapping defined for search attribute")
	}
	return &workflowservice.CountWorkflowExecutionsResponse{}, nil
}

// TestSetupWaitsUntilTheAttributesAreUsable: every attribute is probed
// with a query valid for its type; a frontend that accepts at once costs
// no wait, one that refused first is waited for until it accepts.
func TestSetupWaitsUntilTheAttributesAreUsable(t *testing.T) {
	attrs := slices.Sorted(maps.Keys(trajectory.SearchAttributeTypes()))
	at := &countingVisibility{}
	start := time.Now()
	if err := WaitSearchAttributesUsable(context.Background(), at, "ns", attrs); err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a frontend that accepts at once: %v after %v", err, time.Since(start))
	}
	if len(at.queries) != len(attrs) {
		t.Errorf("queries %q, want one per attribute", at.queries)
	}
	late := &countingVisibility{refusals: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := WaitSearchAttributesUsable(ctx, late, "ns", attrs); err == nil || late.refusals != 0 {
		t.Errorf("a late frontend: %v with %d refusals left; want the wait to outlast the refusals and the context to end it", err, late.refusals)
	}
}
