package payloadcodec

import (
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
