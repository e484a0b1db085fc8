package payloadcodec

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/store"
)

func newVault(t *testing.T) *keys.Vault {
	t.Helper()
	st, err := store.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st.WithKeys(keys.MustGenerate("test", "p1", "p2")).Vault()
}

func TestEachTrajectoryHasItsOwnKeyAndErasureShredsIt(t *testing.T) {
	vault := newVault(t)
	if _, err := vault.Ensure(t.Context(), "tr-a", "p1"); err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, "k1:"+mustKey(t))
	codec := NewCodec(ring).WithDataKeys(vault)
	forA := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: "tr-a"})
	forActivityOfA := codec.WithSerializationContext(converter.ActivitySerializationContext{WorkflowID: "tr-a"})
	forOther := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: "elkgezin-retention"})

	encA, err := forA.Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	encAct, _ := forActivityOfA.Encode(plainPayloads(t, fatima))
	encOther, _ := forOther.Encode(plainPayloads(t, fatima))
	encNone, _ := codec.Encode(plainPayloads(t, fatima))
	for name, c := range map[string]struct {
		got  *commonpb.Payload
		want string
	}{
		"workflow of tr-a": {encA[0], "trajectory:tr-a"}, "activity of tr-a": {encAct[0], "trajectory:tr-a"},
		"workflow without data key": {encOther[0], "k1"}, "no context": {encNone[0], "k1"},
	} {
		if got := string(c.got.Metadata[MetadataEncryptionKey]); got != c.want {
			t.Errorf("%s: key id %q, want %q", name, got, c.want)
		}
	}
	if ids := TrajectoryIDs(append(encA, encOther[0], encAct[0])); !slices.Equal(ids, []string{"tr-a"}) {
		t.Errorf("TrajectoryIDs = %v", ids)
	}

	// Another process (a fresh codec, no context) decodes both kinds.
	fresh := NewCodec(ring).WithDataKeys(vault)
	if dec, err := fresh.Decode(append(encA, encOther[0])); err != nil || !strings.Contains(string(dec[0].Data), "Fatima") {
		t.Fatalf("decode: %v", err)
	}

	if _, err := vault.Erase(t.Context(), "tr-a"); err != nil {
		t.Fatal(err)
	}
	_, err = NewCodec(ring).WithDataKeys(vault).Decode(encA)
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, keys.ErrErased) {
		t.Errorf("decode after erasure: %v; want ErrUnknownKey wrapping keys.ErrErased", err)
	}
	if _, err := forA.Encode(plainPayloads(t, fatima)); !errors.Is(err, keys.ErrErased) {
		t.Errorf("encode after erasure: %v; want keys.ErrErased, never the shared ring", err)
	}
	// The shared ring's payloads are untouched.
	if _, err := fresh.Decode(encOther); err != nil {
		t.Errorf("ring payload after erasure: %v", err)
	}
}

func TestScopedHandlerAsksBeforeDecoding(t *testing.T) {
	vault := newVault(t)
	for id, prog := range map[string]string{"tr-a": "p1", "tr-b": "p2"} {
		if _, err := vault.Ensure(t.Context(), id, prog); err != nil {
			t.Fatal(err)
		}
	}
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t))).WithDataKeys(vault)
	encB, err := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: "tr-b"}).Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: encB})
	var asked []string
	h := NewScopedHandler(codec, uiOrigin, func(r *http.Request) (MayRead, error) {
		if err := testAuthorize(r); err != nil {
			return nil, err
		}
		return func(s Scope) error {
			asked = s.Trajectories
			for _, id := range s.Trajectories {
				if p, err := vault.Programme(r.Context(), id); err != nil || p != "p1" {
					return ErrForbidden
				}
			}
			return nil
		}, nil
	})
	rec := serve(h, decodeRequest(t, body, "supervisor", ""))
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "Fatima") || !slices.Equal(asked, []string{"tr-b"}) {
		t.Errorf("decode of p2's payload for p1: %d %s, asked %v; want 403 after asking about tr-b", rec.Code, rec.Body, asked)
	}
}

// TestScopedHandlerNeverDecodesWhatNoTrajectoryOwns: a payload under the
// shared ring (or a key id that names no trajectory) may be any family's,
// so a scoped handler refuses the whole request, even when its mayRead
// lets everything through; plain payloads and the trajectory's own pass.
func TestScopedHandlerNeverDecodesWhatNoTrajectoryOwns(t *testing.T) {
	vault := newVault(t)
	if _, err := vault.Ensure(t.Context(), "tr-a", "p1"); err != nil {
		t.Fatal(err)
	}
	codec := NewCodec(mustRing(t, "k1:"+mustKey(t))).WithDataKeys(vault)
	ofA, err := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: "tr-a"}).Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := codec.Encode(plainPayloads(t, person{Name: "Gezin Gedeeld"}))
	plain := plainPayloads(t, "zonder sleutel")
	noKey := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingEncrypted), MetadataEncryptionKey: []byte(TrajectoryKeyPrefix)}, Data: shared[0].Data}
	var scopes []Scope
	h := NewScopedHandler(codec, uiOrigin, func(r *http.Request) (MayRead, error) {
		return func(s Scope) error { scopes = append(scopes, s); return nil }, testAuthorize(r)
	})
	for _, tc := range []struct {
		name     string
		payloads []*commonpb.Payload
		want     int
		scope    Scope
	}{
		{"the trajectory's", ofA, http.StatusOK, Scope{Trajectories: []string{"tr-a"}}},
		{"the trajectory's and a plain one", append(slices.Clone(ofA), plain...), http.StatusOK, Scope{Trajectories: []string{"tr-a"}}},
		{"the shared ring's alone", shared, http.StatusForbidden, Scope{Unattributed: 1}},
		{"the trajectory's and the ring's", append(slices.Clone(ofA), shared...), http.StatusForbidden, Scope{Trajectories: []string{"tr-a"}, Unattributed: 1}},
		{"a key id without a trajectory", []*commonpb.Payload{ofA[0], noKey}, http.StatusForbidden, Scope{Trajectories: []string{"tr-a"}, Unattributed: 1}},
	} {
		scopes = nil
		body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: tc.payloads})
		rec := serve(h, decodeRequest(t, body, "supervisor", ""))
		if rec.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.want)
		}
		if tc.want != http.StatusOK && (strings.Contains(rec.Body.String(), "payloads") || strings.Contains(rec.Body.String(), "Fatima")) {
			t.Errorf("%s: a refusal that decoded: %s", tc.name, rec.Body)
		}
		if len(scopes) != 1 || !slices.Equal(scopes[0].Trajectories, tc.scope.Trajectories) || scopes[0].Unattributed != tc.scope.Unattributed {
			t.Errorf("%s: asked %+v, want %+v", tc.name, scopes, tc.scope)
		}
	}
}

// unreachableKeys is a vault whose database does not answer.
type unreachableKeys struct{}

func (unreachableKeys) Key(context.Context, string) (*keys.DataKey, error) {
	return nil, errors.New("keys: read data key: dial tcp 127.0.0.1:5432: connect: connection refused")
}

// TestKeyLookupThatFailsForNowRetriesTheWorkflowTask: a data key that
// cannot be read while PostgreSQL is down asks the SDK for a workflow task
// failure, which Temporal retries, so no trajectory fails (or refuses an
// Update) for an outage; an erased key does not, it never comes back.
func TestKeyLookupThatFailsForNowRetriesTheWorkflowTask(t *testing.T) {
	vault := newVault(t)
	if _, err := vault.Ensure(t.Context(), "tr-a", "p1"); err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, "k1:"+mustKey(t))
	ofA := converter.WorkflowSerializationContext{WorkflowID: "tr-a"}
	sealed, err := NewCodec(ring).WithDataKeys(vault).WithSerializationContext(ofA).Encode(plainPayloads(t, fatima))
	if err != nil {
		t.Fatal(err)
	}
	down := NewCodec(ring).WithDataKeys(unreachableKeys{})
	var retry *converter.WorkflowTaskFailureError
	if _, err := down.WithSerializationContext(ofA).Encode(plainPayloads(t, fatima)); !errors.As(err, &retry) {
		t.Errorf("encode with the database down: %v; want a WorkflowTaskFailureError", err)
	}
	if _, err := down.Decode(sealed); !errors.As(err, &retry) || !errors.Is(err, ErrUnknownKey) {
		t.Errorf("decode with the database down: %v; want a WorkflowTaskFailureError wrapping ErrUnknownKey", err)
	}

	if _, err := vault.Erase(t.Context(), "tr-a"); err != nil {
		t.Fatal(err)
	}
	erased := NewCodec(ring).WithDataKeys(vault)
	if _, err := erased.Decode(sealed); errors.As(err, &retry) || !errors.Is(err, keys.ErrErased) {
		t.Errorf("decode after erasure: %v; want keys.ErrErased, not a retry", err)
	}
	if _, err := erased.WithSerializationContext(ofA).Encode(plainPayloads(t, fatima)); errors.As(err, &retry) || !errors.Is(err, keys.ErrErased) {
		t.Errorf("encode after erasure: %v; want keys.ErrErased, not a retry", err)
	}
}

// failurePayloads are the payloads of a failure and its causes: the
// encoded message and stack trace, and an application error's details.
func failurePayloads(f *failurepb.Failure) []*commonpb.Payload {
	var ps []*commonpb.Payload
	for ; f != nil; f = f.GetCause() {
		if a := f.GetEncodedAttributes(); a != nil {
			ps = append(ps, a)
		}
		ps = append(ps, f.GetApplicationFailureInfo().GetDetails().GetPayloads()...)
	}
	return ps
}

// TestFailuresOfATrajectoryAreSealedUnderItsKey: the failure converter
// honours the serialization context the SDK gives it, as the data
// converter does: a failure of a trajectory's workflow or activity, its
// causes and details, is encrypted under the trajectory's data key, and
// erasure shreds it. A failure without context stays under the ring.
func TestFailuresOfATrajectoryAreSealedUnderItsKey(t *testing.T) {
	vault := newVault(t)
	if _, err := vault.Ensure(t.Context(), "tr-a", "p1"); err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, "k1:"+mustKey(t))
	_, fc := ClientOptionsWithDataKeys(ring, vault)
	failed := func() error {
		return temporal.NewApplicationErrorWithCause("Fatima Testgezin could not be reached", "NotReachable",
			errors.New("home visit to Fatima cancelled"), fatima)
	}
	for name, c := range map[string]struct {
		sc   converter.SerializationContext
		want string
	}{
		"workflow of tr-a": {converter.WorkflowSerializationContext{WorkflowID: "tr-a"}, "trajectory:tr-a"},
		"activity of tr-a": {converter.ActivitySerializationContext{WorkflowID: "tr-a"}, "trajectory:tr-a"},
		"another workflow": {converter.WorkflowSerializationContext{WorkflowID: "elkgezin-retention"}, "k1"},
	} {
		f := converter.WithFailureConverterSerializationContext(fc, c.sc).ErrorToFailure(failed())
		ps := failurePayloads(f)
		if len(ps) != 3 {
			t.Fatalf("%s: %d payloads in the failure, want message, details and the cause's message", name, len(ps))
		}
		for i, p := range ps {
			if got := string(p.Metadata[MetadataEncryptionKey]); got != c.want {
				t.Errorf("%s: payload %d under %q, want %q", name, i, got, c.want)
			}
		}
	}
	if f := fc.ErrorToFailure(failed()); string(f.GetEncodedAttributes().GetMetadata()[MetadataEncryptionKey]) != "k1" {
		t.Errorf("a failure without context: %v, want it under the ring", f.GetEncodedAttributes().GetMetadata())
	}

	sealed := converter.WithFailureConverterSerializationContext(fc, converter.WorkflowSerializationContext{WorkflowID: "tr-a"}).ErrorToFailure(failed())
	if ids := TrajectoryIDs(failurePayloads(sealed)); !slices.Equal(ids, []string{"tr-a"}) {
		t.Errorf("the failure's payloads name %v, want tr-a", ids)
	}
	// Another process, without context, reads it back.
	_, fresh := ClientOptionsWithDataKeys(ring, vault)
	var ae *temporal.ApplicationError
	if back := fresh.FailureToError(proto.Clone(sealed).(*failurepb.Failure)); !errors.As(back, &ae) || ae.Message() != "Fatima Testgezin could not be reached" {
		t.Fatalf("decoded failure: %v", back)
	}

	if _, err := vault.Erase(t.Context(), "tr-a"); err != nil {
		t.Fatal(err)
	}
	_, after := ClientOptionsWithDataKeys(ring, vault)
	back := after.FailureToError(proto.Clone(sealed).(*failurepb.Failure))
	if strings.Contains(back.Error(), "Fatima") {
		t.Errorf("the failure reads after erasure: %v", back)
	}
	// A failure of the erased trajectory is never sealed under the ring instead.
	func() {
		defer func() { _ = recover() }()
		f := converter.WithFailureConverterSerializationContext(after, converter.WorkflowSerializationContext{WorkflowID: "tr-a"}).ErrorToFailure(failed())
		t.Errorf("a failure of an erased trajectory was converted: %v", f.GetEncodedAttributes().GetMetadata())
	}()
}
