package payloadcodec

import (
	"context"
	"testing"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// BenchmarkPlainUserMetadata: what the interceptor costs the RPCs a
// worker sends, with and without user metadata in them.
func BenchmarkPlainUserMetadata(b *testing.B) {
	codec := NewCodec(mustRing(b, "k1:"+mustKey(b)))
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
	payload := func(s string) *commonpb.Payloads {
		p, err := dc.ToPayloads(s)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	summary, err := dc.ToPayload("reminder visit-2")
	if err != nil {
		b.Fatal(err)
	}
	input := payload(string(make([]byte, 2048)))
	activity := func() *commandpb.Command {
		return &commandpb.Command{Attributes: &commandpb.Command_ScheduleActivityTaskCommandAttributes{
			ScheduleActivityTaskCommandAttributes: &commandpb.ScheduleActivityTaskCommandAttributes{ActivityId: "1", Input: input},
		}}
	}
	marker := &commandpb.Command{Attributes: &commandpb.Command_RecordMarkerCommandAttributes{
		RecordMarkerCommandAttributes: &commandpb.RecordMarkerCommandAttributes{MarkerName: "LocalActivity",
			Details: map[string]*commonpb.Payloads{"data": input, "result": input}},
	}}
	for _, c := range []struct {
		name string
		req  proto.Message
	}{
		{"poll", &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "n", Identity: "worker"}},
		{"activity-result", &workflowservice.RespondActivityTaskCompletedRequest{TaskToken: make([]byte, 200), Result: input}},
		{"task-without-metadata", &workflowservice.RespondWorkflowTaskCompletedRequest{TaskToken: make([]byte, 200),
			Commands: []*commandpb.Command{marker, activity(), activity()}}},
		{"task-with-summary", &workflowservice.RespondWorkflowTaskCompletedRequest{TaskToken: make([]byte, 200),
			Commands: []*commandpb.Command{marker, activity(), {UserMetadata: &sdkpb.UserMetadata{Summary: summary}}}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			intercept := PlainUserMetadata(codec)
			invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
			b.ReportAllocs()
			for b.Loop() {
				if err := intercept(context.Background(), "/m", c.req, nil, nil, invoker); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
