package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestTokenCache(t *testing.T) {
	t.Parallel()
	base := newStore(t)
	cases := []struct {
		name   string
		ttl    time.Duration
		revoke string        // "", "elsewhere" (another process) or "here" (through the caching Store)
		after  time.Duration // how far the cache's clock moves after the first lookup
		want   error         // nil, or what the second lookup wraps
	}{
		{name: "believed within the TTL", ttl: 5 * time.Second, after: time.Second},
		{name: "revoked elsewhere: believed until the TTL ends", ttl: 5 * time.Second, revoke: "elsewhere", after: 4 * time.Second},
		{name: "revoked elsewhere: refused once the TTL ends", ttl: 5 * time.Second, revoke: "elsewhere", after: 5 * time.Second, want: ErrTokenInvalid},
		{name: "revoked here: refused at once", ttl: 5 * time.Second, revoke: "here", want: ErrTokenInvalid},
		{name: "no cache: revoked elsewhere is refused at once", ttl: 0, revoke: "elsewhere", want: ErrTokenInvalid},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			s := base.WithTokenCache(c.ttl, 0)
			var shift time.Duration
			if s.tokens != nil {
				s.tokens.now = func() time.Time { return time.Now().Add(shift) }
			}
			id, token, err := base.CreateToken(ctx, TokenCoach, fmt.Sprintf("coach-%d", i), []string{"test-seconds"}, "")
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.AuthenticateToken(ctx, token)
			if err != nil || first.ID != id {
				t.Fatalf("first lookup: %+v, %v", first, err)
			}
			switch c.revoke {
			case "elsewhere":
				err = base.RevokeToken(ctx, id)
			case "here":
				err = s.RevokeToken(ctx, id)
			}
			if err != nil {
				t.Fatal(err)
			}
			shift = c.after
			got, err := s.AuthenticateToken(ctx, token)
			switch {
			case c.want == nil && (err != nil || got.ID != id || got.Actor() != first.Actor()):
				t.Errorf("second lookup: %+v, %v; want the token's holder", got, err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Errorf("second lookup: %v; want %v", err, c.want)
			}
		})
	}
}

func TestTokenCacheKeepsOnlyVerifiedTokensByHash(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).WithTokenCache(time.Minute, 2)
	id, token, err := s.CreateToken(ctx, TokenPartner, "partner-a", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	// Refused tokens are not kept: a wrong secret for a real id, an unknown id.
	for _, bad := range []string{id + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "tok_aaaaaaaa.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := s.AuthenticateToken(ctx, bad); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: %v, want invalid", bad[:12], err)
		}
	}
	if n := len(s.tokens.entries); n != 0 {
		t.Errorf("%d entries after refused tokens, want 0", n)
	}
	if _, err := s.AuthenticateToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.tokens.entries[sha256.Sum256([]byte(token))]; !ok || len(s.tokens.entries) != 1 {
		t.Errorf("the cache is not keyed by the token's SHA-256: %d entries", len(s.tokens.entries))
	}
	// Bounded: a third token pushes one out rather than growing the cache.
	for i := range 3 {
		_, tok, err := s.CreateToken(ctx, TokenPartner, fmt.Sprintf("partner-%d", i), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if n := len(s.tokens.entries); n > 2 {
			t.Fatalf("%d entries, bound 2", n)
		}
	}
}

// TestTokenCacheRevocationAfterTTL is the promise as it runs: a token
// revoked by another process (elkgezin token revoke) is refused once the
// TTL has passed, on the real clock.
func TestTokenCacheRevocationAfterTTL(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	other := newStore(t)
	const ttl = time.Second
	s := other.WithTokenCache(ttl, 0)
	id, token, err := other.CreateToken(ctx, TokenCoach, "test-coach", []string{"test-seconds"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := other.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	if _, err := s.AuthenticateToken(ctx, token); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("a token revoked elsewhere, after the TTL: %v, want invalid", err)
	}
}

// TestTokenCacheHonoursExpiry: a token that expires within the TTL is
// refused from its expiry on, not at the end of the TTL.
func TestTokenCacheHonoursExpiry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t).WithTokenCache(time.Hour, 0)
	expires := time.Now().Add(1500 * time.Millisecond)
	_, token, err := s.CreateExpiringToken(ctx, TokenCoach, "test-coach", []string{"test-seconds"}, "", expires)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.tokens.get(sha256.Sum256([]byte(token))); !ok {
		t.Fatal("a valid token was not kept")
	}
	time.Sleep(time.Until(expires) + 50*time.Millisecond)
	if _, err := s.AuthenticateToken(ctx, token); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("after its expiry: %v, want expired", err)
	}
}
