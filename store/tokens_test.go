package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/apitoken"
)

func TestCreateAndAuthenticateToken(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()

	id, token, err := s.CreateToken(ctx, TokenCoach, "test-coach", []string{"test-seconds", "go-team", "test-seconds"}, "An's laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^tok_[a-z2-7]{8}\.[A-Za-z0-9_-]{43}$`).MatchString(token) || !strings.HasPrefix(token, id+".") {
		t.Fatalf("token %q, id %q", token, id)
	}
	if !apitoken.ValidID(id) || apitoken.ID(token) != id {
		t.Errorf("TokenID(%q) = %q, want %q", token, apitoken.ID(token), id)
	}

	// Only the hash is stored.
	var hash []byte
	if err := s.Pool().QueryRow(ctx, `SELECT secret_hash FROM api_tokens WHERE id = $1`, id).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if string(hash) != string(sum[:]) {
		t.Error("the stored hash is not the SHA-256 of the token")
	}
	var dump string
	if err := s.Pool().QueryRow(ctx, `SELECT row_to_json(t)::text FROM api_tokens t`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	_, secret, _ := strings.Cut(token, ".")
	if strings.Contains(dump, secret) {
		t.Errorf("the secret is stored: %s", dump)
	}

	info, err := s.AuthenticateToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != id || info.Kind != TokenCoach || info.Subject != "test-coach" || info.Label != "An's laptop" ||
		!slices.Equal(info.Programmes, []string{"go-team", "test-seconds"}) || info.RevokedAt != nil || info.LastUsedAt == nil ||
		info.Actor() != "coach:test-coach" {
		t.Errorf("info %+v", info)
	}
	first := *info.LastUsedAt

	// Within the minute, last_used_at stays.
	again, err := s.AuthenticateToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if again.LastUsedAt == nil || !again.LastUsedAt.Equal(first) {
		t.Errorf("last used %v, want %v", again.LastUsedAt, first)
	}
	// A minute later it moves.
	if _, err := s.Pool().Exec(ctx, `UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	later, err := s.AuthenticateToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if later.LastUsedAt == nil || time.Since(*later.LastUsedAt) > 30*time.Second {
		t.Errorf("last used %v, want now", later.LastUsedAt)
	}

	// Wrong tokens, all alike.
	wrongSecret := id + "." + strings.Repeat("A", 43)
	otherID := "tok_aaaaaaaa." + secret
	for name, bad := range map[string]string{
		"empty":          "",
		"no dot":         id,
		"wrong secret":   wrongSecret,
		"unknown id":     otherID,
		"short secret":   token[:len(token)-1],
		"long secret":    token + "A",
		"upper-case id":  strings.ToUpper(id) + "." + secret,
		"with spaces":    " " + token,
		"bearer in it":   "Bearer " + token,
		"two dots":       token + ".x",
		"base64 padding": token[:len(token)-1] + "=",
	} {
		if _, err := s.AuthenticateToken(ctx, bad); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: %v, want ErrTokenInvalid", name, err)
		}
	}

	// Revoked: refused at once.
	if err := s.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, token); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("revoked token: %v, want ErrTokenInvalid", err)
	}
	if err := s.RevokeToken(ctx, id); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if err := s.RevokeToken(ctx, "tok_zzzzzzzz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an unknown token: %v, want ErrNotFound", err)
	}
}

func TestAuthenticateTokenDatabaseDown(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	_, token, err := s.CreateToken(t.Context(), TokenAdmin, "root", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.AuthenticateToken(ctx, token); err == nil || errors.Is(err, ErrTokenInvalid) {
		t.Errorf("a database that does not answer gave %v; want an error that is not ErrTokenInvalid", err)
	}
}

func TestCreateTokenChecksRequest(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, tc := range []struct {
		name, kind, subject string
		programmes          []string
		label               string
	}{
		{"unknown kind", "family", "x1", nil, ""},
		{"no kind", "", "x1", nil, ""},
		{"coach without programme", TokenCoach, "test-coach", nil, ""},
		{"supervisor without programme", TokenSupervisor, "sup", []string{}, ""},
		{"partner with programme", TokenPartner, "test-partner", []string{"test-seconds"}, ""},
		{"admin with programme", TokenAdmin, "root", []string{"test-seconds"}, ""},
		{"blank subject", TokenAdmin, "", nil, ""},
		{"subject with capitals", TokenCoach, "Test-Coach", []string{"p1"}, ""},
		{"subject with colon", TokenCoach, "coach:x", []string{"p1"}, ""},
		{"bad programme", TokenCoach, "test-coach", []string{"Test Seconds"}, ""},
		{"label of two lines", TokenAdmin, "root", nil, "a\nb"},
		{"label too long", TokenAdmin, "root", nil, strings.Repeat("l", 201)},
	} {
		if _, _, err := s.CreateToken(t.Context(), tc.kind, tc.subject, tc.programmes, tc.label); !errors.Is(err, ErrTokenRequest) {
			t.Errorf("%s: %v, want ErrTokenRequest", tc.name, err)
		}
	}
	tokens, err := s.ListTokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 0 {
		t.Errorf("refused requests stored %d tokens", len(tokens))
	}
}

func TestListTokens(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	var ids []string
	for _, k := range []struct {
		kind, subject string
		programmes    []string
	}{
		{TokenPartner, "test-partner", nil},
		{TokenSupervisor, "sup-vilvoorde", []string{"test-seconds"}},
		{TokenAdmin, "root", nil},
	} {
		id, _, err := s.CreateToken(ctx, k.kind, k.subject, k.programmes, "label "+k.subject)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.RevokeToken(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	tokens, err := s.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 3 {
		t.Fatalf("%d tokens", len(tokens))
	}
	for i, tok := range tokens {
		if tok.ID != ids[i] {
			t.Errorf("token %d is %s, want %s (oldest first)", i, tok.ID, ids[i])
		}
	}
	if tokens[0].Kind != TokenPartner || len(tokens[0].Programmes) != 0 || tokens[0].Label != "label test-partner" ||
		tokens[1].Programmes[0] != "test-seconds" || tokens[0].RevokedAt != nil || tokens[2].RevokedAt == nil || tokens[0].LastUsedAt != nil {
		t.Errorf("tokens %+v", tokens)
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	entries := []AuditEntry{
		{Actor: "coach:test-coach", Action: "read_trajectory", TrajectoryID: "tr-a", Outcome: OutcomeOK, Detail: map[string]string{"token_id": "tok_aaaaaaaa"}},
		{Actor: "anonymous", Action: "list_trajectories", Outcome: OutcomeUnauthenticated},
		{Actor: "coach:test-coach-2", Action: "record_visit", TrajectoryID: "tr-a", Outcome: OutcomeDenied},
		{Actor: "coach:test-coach", Action: "read_trajectory", TrajectoryID: "tr-b", Outcome: OutcomeOK},
	}
	for _, e := range entries {
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Audit(ctx, AuditEntry{Action: "x", Outcome: "ok"}); err == nil {
		t.Error("an entry without actor was written")
	}

	got, err := s.AuditEntries(ctx, "tr-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "record_visit" || got[0].Outcome != OutcomeDenied || got[1].Detail["token_id"] != "tok_aaaaaaaa" ||
		got[1].Actor != "coach:test-coach" || got[1].At.IsZero() || time.Since(got[1].At) > time.Minute || got[0].ID <= got[1].ID {
		t.Errorf("entries of tr-a %+v", got)
	}
	all, err := s.AuditEntries(ctx, "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].TrajectoryID != "tr-b" || all[2].TrajectoryID != "" || all[2].Outcome != OutcomeUnauthenticated {
		t.Errorf("newest three %+v", all)
	}

	// Append-only.
	for _, stmt := range []string{
		`UPDATE audit_log SET outcome = 'ok'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := s.Pool().Exec(ctx, stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", stmt, err)
		}
	}
	if left, _ := s.AuditEntries(ctx, "", 0); len(left) != 4 {
		t.Errorf("%d entries left, want 4", len(left))
	}
}
