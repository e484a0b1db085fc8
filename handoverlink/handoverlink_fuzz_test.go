package handoverlink

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: no token, however damaged, panics or verifies without the
// secret's signature; a token made by Token verifies to its claims.
func FuzzVerify(f *testing.F) {
	s, err := NewSigner(Key{ID: "k", Secret: fuzzSecret("k")})
	if err != nil {
		f.Fatal(err)
	}
	other, err := NewSigner(Key{ID: "o", Secret: fuzzSecret("o")})
	if err != nil {
		f.Fatal(err)
	}
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Add(s.Token(Claims{TrajectoryID: "tr-abc", Number: 1, ExpiresAt: exp}), "tr-abc", 1, exp.Unix())
	f.Add(other.Token(Claims{TrajectoryID: "tr-abc", Number: 2, ExpiresAt: exp}), "x", 2, int64(0))
	f.Add("a.b", "", 0, int64(-1))
	f.Add("", "tr.dot", 3, int64(1<<40))
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, token, id string, n int, unix int64) {
		c, err := s.Verify(token, now)
		if err == nil {
			if c.TrajectoryID == "" || c.Number < 1 || !now.Before(c.ExpiresAt) {
				t.Fatalf("Verify accepted %q with claims %+v", token, c)
			}
		} else if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("Verify(%q): an error of neither kind: %v", token, err)
		}
		if _, err := other.Verify(token, now); err == nil {
			if _, own := s.Verify(token, now); own == nil {
				t.Fatalf("%q verifies under two secrets", token)
			}
		}
		if id == "" || strings.Contains(id, ".") || n < 1 {
			return
		}
		want := Claims{TrajectoryID: id, Number: n, ExpiresAt: time.Unix(unix, 0).UTC()}
		got, err := s.Verify(s.Token(want), now)
		if err != nil && !errors.Is(err, ErrExpired) {
			if len(s.Token(want)) > 512 {
				return // too long to be a link: refused by design
			}
			t.Fatalf("a token made by Token does not verify: %+v: %v", want, err)
		}
		if got != want {
			t.Fatalf("round trip: got %+v, want %+v", got, want)
		}
	})
}

// fuzzSecret is 32 bytes that pass NewSigner's randomness check.
func fuzzSecret(seed string) []byte {
	sum := sha256.Sum256([]byte("fuzz secret " + seed))
	return sum[:]
}
