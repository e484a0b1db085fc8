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

// sent runs req through the interceptor and returns what would go on the wire.
func sent(t *testing.T, codec *Codec, req proto.Message) proto.Message {
	t.Helper()
	var got proto.Message
	invoker := func(_ context.Context, _ string, r, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		got = r.(proto.Message)
		return nil
	}
	if err := PlainUserMetadata(codec)(context.Background(), "/m", req, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	return got
}

func encodedString(t *testing.T, dc converter.DataConverter, s string) *commonpb.Payload {
	t.Helper()
	p, err := dc.ToPayload(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func plainString(t *testing.T, p *commonpb.Payload) string {
	t.Helper()
	if enc := string(p.GetMetadata()[MetadataEncoding]); enc != "json/plain" {
		t.Fatalf("payload encoding %q, want json/plain", enc)
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlainUserMetadataKeepsInputEncrypted(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
	input, err := dc.ToPayloads(fatima)
	if err != nil {
		t.Fatal(err)
	}
	start := &workflowservice.StartWorkflowExecutionRequest{
		WorkflowId: "t-1",
		Input:      input,
		UserMetadata: &sdkpb.UserMetadata{
			Summary: encodedString(t, dc, "Testprogramma, verwezen door Kind en Gezin"),
			Details: encodedString(t, dc, "**Programma:** Testprogramma"),
		},
	}
	before := proto.Clone(start)
	got := sent(t, codec, start).(*workflowservice.StartWorkflowExecutionRequest)

	if s := plainString(t, got.GetUserMetadata().GetSummary()); s != "Testprogramma, verwezen door Kind en Gezin" {
		t.Errorf("summary sent as %q", s)
	}
	if s := plainString(t, got.GetUserMetadata().GetDetails()); s != "**Programma:** Testprogramma" {
		t.Errorf("details sent as %q", s)
	}
	if enc := string(got.GetInput().GetPayloads()[0].GetMetadata()[MetadataEncoding]); enc != EncodingEncrypted {
		t.Errorf("the workflow input went out as %q, want %s", enc, EncodingEncrypted)
	}
	if !proto.Equal(start, before) {
		t.Error("the interceptor changed the SDK's own request")
	}
}

func TestPlainUserMetadataInCommands(t *testing.T) {
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t)))
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
	other := NewCodec(mustRing(t, "k2:"+mustKey(t)))
	foreign, err := other.Encode([]*commonpb.Payload{encodedString(t, converter.GetDefaultDataConverter(), "x")})
	if err != nil {
		t.Fatal(err)
	}
	done := &workflowservice.RespondWorkflowTaskCompletedRequest{Commands: []*commandpb.Command{
		{UserMetadata: &sdkpb.UserMetadata{Summary: encodedString(t, dc, "reminder visit-2")}},
		{UserMetadata: &sdkpb.UserMetadata{Summary: foreign[0]}},
		{},
	}}
	got := sent(t, codec, done).(*workflowservice.RespondWorkflowTaskCompletedRequest)
	if s := plainString(t, got.GetCommands()[0].GetUserMetadata().GetSummary()); s != "reminder visit-2" {
		t.Errorf("timer summary sent as %q", s)
	}
	// A summary this process cannot decode stays encrypted.
	if !proto.Equal(got.GetCommands()[1].GetUserMetadata().GetSummary(), foreign[0]) {
		t.Error("an undecodable summary was changed")
	}

	// A request without encrypted metadata goes out as it is, not copied.
	poll := &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "n"}
	if sent(t, codec, poll) != proto.Message(poll) {
		t.Error("a request without user metadata was copied")
	}
}

// The interceptor walks only requests whose type can hold user metadata:
// the RPCs a worker sends most (polls, activity results, heartbeats) pass
// untouched, without a walk.
func TestPlainUserMetadataWalksOnlyRequestsThatCarryIt(t *testing.T) {
	for _, c := range []struct {
		req  proto.Message
		want bool
	}{
		{&workflowservice.StartWorkflowExecutionRequest{}, true},
		{&workflowservice.RespondWorkflowTaskCompletedRequest{}, true},
		{&workflowservice.ExecuteMultiOperationRequest{}, true},
		{&workflowservice.PollWorkflowTaskQueueRequest{}, false},
		{&workflowservice.PollActivityTaskQueueRequest{}, false},
		{&workflowservice.RespondActivityTaskCompletedRequest{}, false},
		{&workflowservice.RecordActivityTaskHeartbeatRequest{}, false},
		{&workflowservice.UpdateWorkflowExecutionRequest{}, false},
	} {
		if got := mayHoldMetadata(c.req.ProtoReflect().Descriptor()); got != c.want {
			t.Errorf("%T may hold user metadata: %v, want %v", c.req, got, c.want)
		}
	}
}
