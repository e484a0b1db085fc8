package payloadcodec

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"elkgezin/internal/pgtest"
	"elkgezin/keys"
	"elkgezin/store"
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
		return func(ids []string) error {
			asked = ids
			for _, id := range ids {
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
