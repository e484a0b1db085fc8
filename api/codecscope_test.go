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

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// A supervisor of one programme cannot have another programme's family
// decoded, and the audit log names the trajectory asked for.
func TestCodecDecodesOnlyTheSupervisorsProgrammes(t *testing.T) {
	ctx := t.Context()
	st := keyedStore(t)
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

// TestCodecDecodesARequestOnlyWhenEveryPayloadIsTheCallers: one decode
// request carries payloads of several trajectories, of two programmes and
// of two coaches of one programme; it is decoded only when each of them
// belongs to a programme of the supervisor (or is plain), and otherwise
// answers 403 with nothing decoded. A payload under the shared ring (a
// failed workflow task, a history from before data keys) is nobody's in
// particular, so it is refused to every supervisor.
func TestCodecDecodesARequestOnlyWhenEveryPayloadIsTheCallers(t *testing.T) {
	ctx := t.Context()
	st := keyedStore(t)
	_, vilvoorde, _ := st.CreateToken(ctx, store.TokenSupervisor, "sup-vilvoorde", []string{"test-seconds"}, "")
	_, mechelen, _ := st.CreateToken(ctx, store.TokenSupervisor, "sup-mechelen", []string{"go-team-mechelen"}, "")
	_, both, _ := st.CreateToken(ctx, store.TokenSupervisor, "sup-beide", []string{"test-seconds", "go-team-mechelen"}, "")
	_, coach, _ := st.CreateToken(ctx, store.TokenCoach, "test-coach", []string{"test-seconds"}, "")

	ring, err := payloadcodec.ParseKeyRing("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	codec := payloadcodec.NewCodec(ring).WithDataKeys(st.Vault())
	// The family's name is in each payload; the 403s must show none of them.
	seal := func(programmeID, reference, family string) *commonpb.Payload {
		id := trajectory.ID(testIDKey, programmeID, "test-partner", reference)
		if _, err := st.Vault().Ensure(ctx, id, programmeID); err != nil {
			t.Fatal(err)
		}
		plain, _ := converter.GetDefaultDataConverter().ToPayloads(map[string]string{"contact_name": family})
		enc, err := codec.WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: id}).Encode(plain.Payloads)
		if err != nil {
			t.Fatal(err)
		}
		return enc[0]
	}
	ofCoach := seal("test-seconds", "VIL-1", "Gezin Coach Een")                   // test-seconds, coach test-coach
	ofCoach2 := seal("test-seconds", "VIL-2", "Gezin Coach Twee")                 // test-seconds, coach test-coach-2
	ofMechelen := seal("go-team-mechelen", "MEC-1", "Gezin Mechelen")             // go-team-mechelen
	shared, _ := codec.Encode([]*commonpb.Payload{mustPlain(t, "Gezin Gedeeld")}) // the ring's: no trajectory
	plain := mustPlain(t, "niets geheims")
	unknown := &commonpb.Payload{Metadata: map[string][]byte{
		payloadcodec.MetadataEncoding:      []byte(payloadcodec.EncodingEncrypted),
		payloadcodec.MetadataEncryptionKey: []byte(payloadcodec.TrajectoryKeyPrefix + "tr-bestaatniet"),
	}, Data: shared[0].Data}

	auth := TokenAuthenticator{Store: st}
	sessions := newFakeSessions(newFakeTokens()).manager()
	h := NewHandler(Config{
		Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey, Temporal: &fakeTemporal{},
		Store: st, Auth: auth, Audit: st, Logger: slog.New(slog.DiscardHandler), Timeout: 10 * time.Second, Sessions: sessions,
		Codec: payloadcodec.NewScopedHandler(codec, "", ScopedSupervisorAuthorizer(auth, sessions, st.Vault().Programme)),
	})
	families := []string{"Gezin Coach Een", "Gezin Coach Twee", "Gezin Mechelen", "Gezin Gedeeld"}
	for _, tc := range []struct {
		name     string
		token    string
		payloads []*commonpb.Payload
		want     int
		reason   string // the audit entry's reason of a refusal
	}{
		{"two coaches of the supervisor's programme", vilvoorde, ps(ofCoach, ofCoach2), http.StatusOK, ""},
		{"the supervisor's and a plain one", vilvoorde, ps(ofCoach, plain), http.StatusOK, ""},
		{"the supervisor's, then another programme's", vilvoorde, ps(ofCoach, ofMechelen), http.StatusForbidden, "programme"},
		{"another programme's, then the supervisor's", vilvoorde, ps(ofMechelen, ofCoach2), http.StatusForbidden, "programme"},
		{"the other way round for Mechelen", mechelen, ps(ofMechelen, ofCoach, ofCoach2), http.StatusForbidden, "programme"},
		{"Mechelen's own", mechelen, ps(ofMechelen), http.StatusOK, ""},
		{"a supervisor of both programmes", both, ps(ofCoach, ofMechelen, ofCoach2), http.StatusOK, ""},
		{"the supervisor's and the shared ring's", vilvoorde, ps(ofCoach, shared[0]), http.StatusForbidden, "unattributed"},
		{"both programmes and the shared ring's", both, ps(ofCoach, ofMechelen, shared[0]), http.StatusForbidden, "unattributed"},
		{"the shared ring's alone", both, ps(shared[0]), http.StatusForbidden, "unattributed"},
		{"the supervisor's and an unknown trajectory's", vilvoorde, ps(ofCoach, unknown), http.StatusForbidden, "trajectory"},
		{"a coach", coach, ps(ofCoach), http.StatusForbidden, ""},
	} {
		body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: tc.payloads})
		req := httptest.NewRequest(http.MethodPost, codecPath+"decode", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tc.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.want)
			continue
		}
		if tc.want == http.StatusOK {
			var out commonpb.Payloads
			if err := protojson.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Payloads) != len(tc.payloads) {
				t.Errorf("%s: %d payloads decoded of %d (%v)", tc.name, len(out.Payloads), len(tc.payloads), err)
			}
			for _, p := range out.Payloads {
				if string(p.Metadata[payloadcodec.MetadataEncoding]) == payloadcodec.EncodingEncrypted {
					t.Errorf("%s: a payload left encrypted", tc.name)
				}
			}
			continue
		}
		for _, f := range families {
			if strings.Contains(rec.Body.String(), f) || strings.Contains(rec.Body.String(), "payloads") {
				t.Errorf("%s: the refusal decoded something: %s", tc.name, rec.Body)
			}
		}
		if tc.reason == "" {
			continue
		}
		entries, err := st.AuditEntries(ctx, "", 1)
		if err != nil || len(entries) != 1 || entries[0].Action != "decode_payloads" || entries[0].Outcome != store.OutcomeDenied ||
			entries[0].Detail["reason"] != tc.reason {
			t.Errorf("%s: audit %+v (%v); want a denied decode_payloads, reason %s", tc.name, entries, err, tc.reason)
		}
	}
}

func ps(payloads ...*commonpb.Payload) []*commonpb.Payload { return payloads }

func mustPlain(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// keyedStore is a store on a database of the test's own, with the test
// programmes' keys.
func keyedStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st.WithKeys(keys.MustGenerate("test", keys.TestProgrammes...))
}
