package handoverlink

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLinks(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner([]byte(strings.Repeat("o", 32)))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := Claims{TrajectoryID: "tr-abc", Number: 2, ExpiresAt: now.Add(time.Hour)}
	token := s.Token(c)
	if token != s.Token(c) {
		t.Error("the same claims must give the same token")
	}
	tampered := []byte(token)
	tampered[3] ^= 1
	cases := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"valid", token, now, nil},
		{"expired", token, now.Add(time.Hour), ErrExpired},
		{"tampered", string(tampered), now, ErrInvalid},
		{"other secret", other.Token(c), now, ErrInvalid},
		{"no signature", strings.Split(token, ".")[0], now, ErrInvalid},
		{"garbage", "a.b", now, ErrInvalid},
		{"empty", "", now, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Verify(tc.token, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && got != c {
				t.Errorf("claims %+v, want %+v", got, c)
			}
		})
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
}
