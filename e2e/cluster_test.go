package e2e

import (
	"context"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// useCluster points the stack at an external Temporal cluster
// (E2E_TEMPORAL_ADDRESS, e.g. the frontend of deploy/cluster) instead of a
// dev server of its own. The stack still gets namespaces of its own there
// (registered now, deleted when the test ends), so tests that count
// trajectories see only theirs, and `elkgezin setup` registers the search
// attributes in them as an operator would.
func (s *stack) useCluster(hostPort string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: hostPort, Logger: quietLogger{}})
	if err != nil {
		s.t.Fatalf("connect to the Temporal cluster at %s (E2E_TEMPORAL_ADDRESS): %v", hostPort, err)
	}
	defer nc.Close()
	for _, ns := range []string{s.namespace, s.namespace + "-bare"} {
		err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        ns,
			Description:                      "elkgezin e2e test, deleted when the test ends",
			WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
		})
		if err != nil {
			s.t.Fatalf("register namespace %s on %s: %v", ns, hostPort, err)
		}
		s.t.Cleanup(func() {
			c, err := client.Dial(client.Options{HostPort: hostPort, Logger: quietLogger{}})
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = c.OperatorService().DeleteNamespace(context.Background(), &operatorservice.DeleteNamespaceRequest{Namespace: ns})
		})
	}
	// A new namespace reaches every service of a cluster within seconds.
	for {
		c, err := s.tryTemporal(hostPort)
		if err == nil {
			if _, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.namespace, PageSize: 1}); err == nil {
				s.client = c
				s.t.Cleanup(c.Close)
				return hostPort
			}
			c.Close()
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("namespace %s not usable on %s within 2 minutes: %v", s.namespace, hostPort, err)
		case <-time.After(time.Second):
		}
	}
}
