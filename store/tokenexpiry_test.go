package store

import (
	"errors"
	"testing"
	"time"
)

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := t.Context()
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	id, expired, err := s.CreateExpiringToken(ctx, TokenCoach, "test-coach", []string{"test-seconds"}, "", at)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.AuthenticateToken(ctx, expired)
	if !errors.Is(err, ErrTokenExpired) || !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("an expired token: %v, want ErrTokenExpired (an ErrTokenInvalid)", err)
	}
	if info.ID != id || info.ExpiresAt == nil || !info.ExpiresAt.Equal(at) {
		t.Errorf("an expired token's info %+v: want its id and expiry, to say when", info)
	}
	_, valid, err := s.CreateExpiringToken(ctx, TokenCoach, "test-coach", []string{"test-seconds"}, "", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, valid); err != nil {
		t.Errorf("a token that expires in an hour: %v", err)
	}
	// Revoked beats expired: a revoked token says nothing more.
	if err := s.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, expired); errors.Is(err, ErrTokenExpired) || !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("a revoked, expired token: %v, want invalid, not expired", err)
	}
	tokens, err := s.ListTokens(ctx)
	if err != nil || len(tokens) != 2 || tokens[0].ExpiresAt == nil {
		t.Errorf("list: %+v %v, want the expiry listed", tokens, err)
	}
}
