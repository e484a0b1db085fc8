package payloadcodec

import (
	"context"
	"sync"

	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// PlainUserMetadata returns a gRPC unary client interceptor (for
// grpc.WithChainUnaryInterceptor) that sends user metadata in clear: an
// encrypted summary or details payload of a UserMetadata (a workflow's
// static summary and details, a timer's or an activity's summary) is
// replaced by its decoded form, so the Temporal UI shows summaries to
// anyone; inputs, results, signals and memos stay encrypted. Callers keep
// personal data out of user metadata (docs/supervisors.md, "What stays in
// clear"). A summary that does not decode is sent as it is, encrypted: the
// interceptor never fails a call. The request is copied before it is
// changed, so the SDK's own commands keep what it encoded.
func PlainUserMetadata(codec *Codec) grpc.UnaryClientInterceptor {
	if codec == nil {
		panic("payloadcodec.PlainUserMetadata: nil Codec")
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if m, ok := req.(proto.Message); ok && mayHoldMetadata(m.ProtoReflect().Descriptor()) && hasEncryptedMetadata(m.ProtoReflect()) {
			clone := proto.Clone(m)
			decodeMetadata(codec.WithContext(ctx), clone.ProtoReflect())
			req = clone
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

var userMetadataName = (&sdkpb.UserMetadata{}).ProtoReflect().Descriptor().FullName()

// holders caches, by message type, whether a message of that type can hold
// a UserMetadata at any depth: most RPCs (polls, heartbeats, queries,
// activity results) cannot, and pass untouched, and the walk of one that can
// enters only the fields that may lead to it (not payloads, failures...).
var holders sync.Map // protoreflect.FullName -> bool

// mayHoldMetadata says whether a message of type md can hold a
// UserMetadata, following its message fields (lists and map values too).
func mayHoldMetadata(md protoreflect.MessageDescriptor) bool {
	if v, ok := holders.Load(md.FullName()); ok {
		return v.(bool)
	}
	seen := map[protoreflect.FullName]bool{}
	var reach func(protoreflect.MessageDescriptor) bool
	reach = func(d protoreflect.MessageDescriptor) bool {
		if d.FullName() == userMetadataName {
			return true
		}
		if seen[d.FullName()] {
			return false
		}
		seen[d.FullName()] = true
		fields := d.Fields()
		for i := range fields.Len() {
			if sub := fieldMessage(fields.Get(i)); sub != nil && reach(sub) {
				return true
			}
		}
		return false
	}
	found := reach(md)
	holders.Store(md.FullName(), found)
	return found
}

// fieldMessage is the message type a field holds (a map's value type for a
// map), or nil for a field of scalars.
func fieldMessage(fd protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
		return nil
	}
	return fd.Message()
}

// walk calls visit on every UserMetadata within m (fields, lists and map
// values, at any depth), entering only fields that may hold one.
func walk(m protoreflect.Message, visit func(*sdkpb.UserMetadata) bool) bool {
	if m.Descriptor().FullName() == userMetadataName {
		if um, ok := m.Interface().(*sdkpb.UserMetadata); ok {
			return visit(um)
		}
		return true
	}
	more := true
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if sub := fieldMessage(fd); sub == nil || !mayHoldMetadata(sub) {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && more; i++ {
				more = walk(l.Get(i).Message(), visit)
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				more = walk(mv.Message(), visit)
				return more
			})
		default:
			more = walk(v.Message(), visit)
		}
		return more
	})
	return more
}

func encrypted(p *commonpb.Payload) bool {
	return p != nil && string(p.GetMetadata()[MetadataEncoding]) == EncodingEncrypted
}

func hasEncryptedMetadata(m protoreflect.Message) bool {
	found := false
	walk(m, func(um *sdkpb.UserMetadata) bool {
		found = encrypted(um.GetSummary()) || encrypted(um.GetDetails())
		return !found
	})
	return found
}

func decodeMetadata(codec *Codec, m protoreflect.Message) {
	walk(m, func(um *sdkpb.UserMetadata) bool {
		if p := um.GetSummary(); encrypted(p) {
			if out, err := codec.Decode([]*commonpb.Payload{p}); err == nil {
				um.Summary = out[0]
			}
		}
		if p := um.GetDetails(); encrypted(p) {
			if out, err := codec.Decode([]*commonpb.Payload{p}); err == nil {
				um.Details = out[0]
			}
		}
		return true
	})
}
