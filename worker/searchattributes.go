package worker

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/elkgezin/elkgezin/trajectory"
)

// RegisterSearchAttributes adds the search attributes supervisors filter on
// to the namespace, through the operator service: `elkgezin setup` runs it
// once per namespace, with rights a worker does not need (Temporal Cloud
// and secured clusters give them to operators only). Attributes already
// there are left alone. It returns the names it added.
func RegisterSearchAttributes(ctx context.Context, ops operatorservice.OperatorServiceClient, namespace string) ([]string, error) {
	missing, err := missingSearchAttributes(ctx, ops, namespace)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		return nil, fmt.Errorf("add search attributes %s to namespace %s: %w", names(missing), namespace, err)
	}
	return slices.Sorted(maps.Keys(missing)), nil
}

// CheckSearchAttributes fails, naming them, when search attributes the
// workflow upserts are missing from the namespace: without them every
// workflow task would fail, so the worker refuses to start instead.
func CheckSearchAttributes(ctx context.Context, ops operatorservice.OperatorServiceClient, namespace string) error {
	missing, err := missingSearchAttributes(ctx, ops, namespace)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("namespace %s lacks the search attributes %s: run `elkgezin setup` once (with operator rights) to register them", namespace, names(missing))
	}
	return nil
}

// missingSearchAttributes lists the search attributes the namespace lacks,
// with their types; one that exists with another type is an error, since
// no setup can fix it without an operator deciding.
func missingSearchAttributes(ctx context.Context, ops operatorservice.OperatorServiceClient, namespace string) (map[string]enumspb.IndexedValueType, error) {
	existing, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	missing := trajectory.SearchAttributeTypes()
	for name, typ := range missing {
		have, ok := existing.GetCustomAttributes()[name]
		if !ok {
			continue
		}
		if have != typ {
			return nil, fmt.Errorf("search attribute %s exists in namespace %s as %s, want %s", name, namespace, have, typ)
		}
		delete(missing, name)
	}
	return missing, nil
}

func names(attrs map[string]enumspb.IndexedValueType) string {
	return strings.Join(slices.Sorted(maps.Keys(attrs)), ", ")
}

// namespaceRefresh is how long every Temporal service may take to see a
// namespace change (the server's namespace cache refreshes every 10 s).
const namespaceRefresh = 10 * time.Second

// WaitSearchAttributesUsable waits until the frontend accepts a query on
// each of attrs. A server that took a while (its namespace cache refreshes
// on a period, as a cluster's does) gets one more period for the history
// service's cache too; one that accepted at once (the dev server) none. A
// worker or API started at once after `elkgezin setup` would otherwise see
// starts refused and workflow tasks fail on the attributes they upsert.
func WaitSearchAttributesUsable(ctx context.Context, ws workflowservice.WorkflowServiceClient, namespace string, attrs []string) error {
	types := trajectory.SearchAttributeTypes()
	waited := false
	for _, name := range attrs {
		query := probeQuery(name, types[name])
		for {
			_, err := ws.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
			if err == nil {
				break
			}
			waited = true
			select {
			case <-ctx.Done():
				return fmt.Errorf("search attribute %s not usable in namespace %s yet: %w", name, namespace, err)
			case <-time.After(time.Second):
			}
		}
	}
	if !waited {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(namespaceRefresh):
		return nil
	}
}

// probeQuery is a visibility query on the attribute that is valid for its type.
func probeQuery(name string, typ enumspb.IndexedValueType) string {
	switch typ {
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return name + " > '2000-01-01T00:00:00Z'"
	case enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return name + " > 0"
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return name + " = true"
	}
	return name + " = 'probe'"
}
