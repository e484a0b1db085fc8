package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"elkgezin/internal/pgtest"
	"elkgezin/keys"
	"elkgezin/payloadcodec"
	"elkgezin/store"
	"elkgezin/trajectory"
)

// A supervisor of one programme cannot have another programme's family
// decoded, and the audit log names the trajectory asked for.
func TestCodecDecodesOnlyTheSupervisorsProgrammes(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	st = st.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
	_, mine, _ := st.CreateToken(ctx, store.TokenSupervisor, "sup-vilvoorde", []string{"test-seconds"}, "")
	_, goTeam, _ := st.CreateToken(ctx, store.TokenSupervisor, "sup-mechelen", []string{"go-team-mechelen"}, "")

	police := trajectory.ID(testIDKey, "go-team-mechelen", "politie-jeugd-en-gezin", "PV/2025/004217")
	if _, err := st.Vault().Ensure(ctx, police, "go-team-mechelen"); err != nil {
		t.Fatal(err)
	}
	ring, err := payloadcodec.ParseKeyRing("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	codec := payloadcodec.NewCodec(ring).WithDataKeys(st.Vault())
	plain, _ := converter.GetDefaultDataConverter().ToPayloads(map[string]string{"contact_name": "Gezin Politiezaak"})
	enc, err := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: police}).Encode(plain.Payloads)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})

	auth := TokenAuthenticator{Store: st}
	sessions := newFakeSessions(newFakeTokens()).manager()
	h := NewHandler(Config{
		Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey, Temporal: &fakeTemporal{},
		Store: st, Auth: auth, Audit: st, Logger: slog.New(slog.DiscardHandler), Timeout: 10 * time.Second, Sessions: sessions,
		Codec: payloadcodec.NewScopedHandler(codec, "", ScopedSupervisorAuthorizer(auth, sessions, st.Vault().Programme)),
	})
	decode := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, codecPath+"decode", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	if rec := decode(mine); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "Politiezaak") {
		t.Fatalf("supervisor of test-seconds decoding a GO-team payload: %d %s; want 403", rec.Code, rec.Body)
	}
	entries, err := st.AuditEntries(ctx, police, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "decode_payloads" || entries[0].Actor != "supervisor:sup-vilvoorde" ||
		entries[0].Outcome != store.OutcomeDenied || entries[0].Detail["reason"] != "programme" {
		t.Fatalf("audit of the refused decode: %+v; want one denied decode_payloads naming the trajectory", entries)
	}

	if rec := decode(goTeam); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "anNvbi9wbGFpbg==") { // json/plain
		t.Fatalf("supervisor of go-team-mechelen: %d %s; want the payload decoded", rec.Code, rec.Body)
	}
	entries, _ = st.AuditEntries(ctx, police, 0)
	if len(entries) != 2 || entries[0].Actor != "supervisor:sup-mechelen" || entries[0].Outcome != store.OutcomeOK {
		t.Errorf("audit of the decode: %+v; want an ok entry naming the trajectory", entries)
	}
}
