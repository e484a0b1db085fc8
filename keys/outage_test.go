package keys_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/store"
)

const family = "Fatima Testgezin, Kerkstraat 1"

// process is one process's store and vault on the test's database, on a
// clock the test moves.
type process struct {
	st    *store.Store
	vault *keys.Vault
}

func startProcess(t *testing.T, url string, pk *keys.ProgrammeKeys, now *time.Time) process {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	st = st.WithKeys(pk)
	keys.SetClock(st.Vault(), func() time.Time { return *now })
	return process{st: st, vault: st.Vault()}
}

func newRing(t *testing.T) *payloadcodec.KeyRing {
	t.Helper()
	k, err := payloadcodec.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := payloadcodec.ParseKeyRing("k1:" + k)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// sealedFor encodes the family's payload as the workflow of trajectoryID.
func sealedFor(t *testing.T, codec *payloadcodec.Codec, trajectoryID string) []*commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(family)
	if err != nil {
		t.Fatal(err)
	}
	out, err := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: trajectoryID}).Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustDecode(t *testing.T, codec *payloadcodec.Codec, sealed []*commonpb.Payload, what string) {
	t.Helper()
	out, err := codec.Decode(sealed)
	if err != nil || !strings.Contains(string(out[0].GetData()), "Fatima") {
		t.Errorf("%s: %v", what, err)
	}
}

// mustRetry fails unless decoding asks the SDK to retry the workflow task
// (and so reveals nothing).
func mustRetry(t *testing.T, codec *payloadcodec.Codec, sealed []*commonpb.Payload, what string) {
	t.Helper()
	out, err := codec.Decode(sealed)
	var retry *converter.WorkflowTaskFailureError
	if !errors.As(err, &retry) || strings.Contains(string(out[0].GetData()), "Fatima") {
		t.Errorf("%s: %v; want a WorkflowTaskFailureError", what, err)
	}
}

// A worker decodes and encodes the payloads of the trajectories it served
// with PostgreSQL gone (its pool closed), up to maxStale; not those of a
// trajectory it never served.
func TestAWorkerServesItsTrajectoriesKeysWithPostgreSQLDown(t *testing.T) {
	url := storetest.NewDatabase(t)
	pk := keys.MustGenerate("test", "p1")
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	worker, api := startProcess(t, url, pk, &now), startProcess(t, url, pk, &now)
	worker.vault.KeepServed(100, time.Hour)
	for p, id := range map[process]string{worker: "tr-served", api: "tr-other"} {
		if _, err := p.vault.Ensure(t.Context(), id, "p1"); err != nil {
			t.Fatal(err)
		}
	}
	ring := newRing(t)
	codec := payloadcodec.NewCodec(ring).WithDataKeys(worker.vault)
	served := sealedFor(t, codec, "tr-served")
	other := sealedFor(t, payloadcodec.NewCodec(ring).WithDataKeys(api.vault), "tr-other")

	worker.st.Close()
	now = now.Add(59 * time.Minute)
	mustDecode(t, codec, served, "decode of a served trajectory's payload, PostgreSQL down")
	again := sealedFor(t, codec, "tr-served")
	if id := string(again[0].GetMetadata()[payloadcodec.MetadataEncryptionKey]); id != "trajectory:tr-served" {
		t.Errorf("encoded with PostgreSQL down under %q", id)
	}
	mustDecode(t, payloadcodec.NewCodec(ring).WithDataKeys(api.vault), again, "the other process decodes what the worker encoded")
	mustRetry(t, codec, other, "decode of a trajectory the worker never served, PostgreSQL down")

	now = now.Add(2 * time.Minute)
	mustRetry(t, codec, served, "decode 61 min after PostgreSQL last answered (maxStale 1h)")
}

// An erasure by another process reaches the worker's kept keys at their
// next confirmation, one in the worker's own process at once; the keys
// confirmed are served through an outage for maxStale from then, however
// long ago the trajectory was last served.
func TestErasureWinsOverKeptKeysAndConfirmationRenewsTheRest(t *testing.T) {
	url := storetest.NewDatabase(t)
	pk := keys.MustGenerate("test", "p1")
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	worker, api := startProcess(t, url, pk, &now), startProcess(t, url, pk, &now)
	worker.vault.KeepServed(100, time.Hour)
	ring := newRing(t)
	codec := payloadcodec.NewCodec(ring).WithDataKeys(worker.vault)
	sealed := map[string][]*commonpb.Payload{}
	for _, id := range []string{"tr-erased-elsewhere", "tr-erased-here", "tr-live"} {
		if _, err := worker.vault.Ensure(t.Context(), id, "p1"); err != nil {
			t.Fatal(err)
		}
		sealed[id] = sealedFor(t, codec, id)
	}
	if _, err := api.vault.Erase(t.Context(), "tr-erased-elsewhere"); err != nil {
		t.Fatal(err)
	}
	if _, err := worker.vault.Erase(t.Context(), "tr-erased-here"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Minute)
	if err := worker.vault.Confirm(t.Context()); err != nil {
		t.Fatal(err)
	}

	worker.st.Close()
	now = now.Add(5 * time.Minute) // within maxStale of when each key was served
	mustRetry(t, codec, sealed["tr-erased-elsewhere"], "a key erased by another process, after a confirmation")
	mustRetry(t, codec, sealed["tr-erased-here"], "a key erased in the worker's process")
	now = now.Add(45 * time.Minute) // 100 min after tr-live was served, 50 after it was confirmed
	mustDecode(t, codec, sealed["tr-live"], "a confirmed key, PostgreSQL down")
}
