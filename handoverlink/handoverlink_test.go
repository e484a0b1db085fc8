package handoverlink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func randomKey(t *testing.T, id string) Key {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return Key{ID: id, Secret: b}
}

func signer(t *testing.T, keys ...Key) *Signer {
	t.Helper()
	s, err := NewSigner(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLinks(t *testing.T) {
	s := signer(t, randomKey(t, "k1"))
	other := signer(t, randomKey(t, "k1"))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := Claims{TrajectoryID: "tr-abcdefghijklmnopqrstuvwxyz", Number: 2, ExpiresAt: now.Add(time.Hour)}
	token := s.Token(c)
	if token != s.Token(c) {
		t.Error("the same claims must give the same token")
	}
	if !strings.HasPrefix(token, "v2.k1.") {
		t.Errorf("token %q does not name its key id", token)
	}
	tampered := []byte(token)
	tampered[len(tampered)-3] ^= 1
	cases := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"valid", token, now, nil},
		{"expired", token, now.Add(time.Hour), ErrExpired},
		{"tampered", string(tampered), now, ErrInvalid},
		{"other secret, same key id", other.Token(c), now, ErrInvalid},
		{"unknown key id", strings.Replace(token, "v2.k1.", "v2.k9.", 1), now, ErrInvalid},
		{"no sealed part", "v2.k1", now, ErrInvalid},
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
}

// TestTokenRevealsNothing: the token is opaque, neither the trajectory id
// nor the handover number can be read from it.
func TestTokenRevealsNothing(t *testing.T) {
	s := signer(t, randomKey(t, "k1"))
	c := Claims{TrajectoryID: "tr-abcdefghijklmnopqrstuvwxyz", Number: 7, ExpiresAt: time.Unix(1900000000, 0)}
	token := s.Token(c)
	for _, part := range strings.Split(token, ".") {
		for _, dec := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
			b, _ := dec.DecodeString(part)
			if strings.Contains(string(b), "tr-") || strings.Contains(string(b), "abcdefghij") || strings.Contains(string(b), "1900000000") {
				t.Fatalf("token %q shows the claims: %q", token, b)
			}
		}
	}
	if strings.Contains(token, "abcdefghij") || strings.Contains(token, "tr-") {
		t.Fatalf("token %q shows the trajectory id", token)
	}
}

// TestRotation: the first key seals, every key opens, so a new key goes
// first and the old one stays until its links expired.
func TestRotation(t *testing.T) {
	old, fresh := randomKey(t, "2025"), randomKey(t, "2026")
	now := time.Now()
	c := Claims{TrajectoryID: "tr-x", Number: 1, ExpiresAt: now.Add(time.Hour)}
	before := signer(t, old).Token(c)
	rotated := signer(t, fresh, old)
	if _, err := rotated.Verify(before, now); err != nil {
		t.Errorf("a link sealed with the old key, after rotation: %v", err)
	}
	after := rotated.Token(c)
	if !strings.HasPrefix(after, "v2.2026.") {
		t.Errorf("after rotation the new key must seal: %q", after)
	}
	if _, err := signer(t, fresh).Verify(before, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a link of a dropped key: %v, want ErrInvalid", err)
	}
}

// TestLinksSentBeforeKeepWorking: a v1 link (claims in clear, HMAC of the
// raw HANDOVER_LINK_SECRET) still opens, until it expires, when the same
// secret is configured.
func TestLinksSentBeforeKeepWorking(t *testing.T) {
	legacy := base64.StdEncoding.EncodeToString(randomKey(t, "x").Secret)
	now := time.Now()
	payload := "tr-abc.3." + strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	mac := hmac.New(sha256.New, []byte(legacy))
	mac.Write([]byte("elkgezin handover acknowledgement v1\x00" + payload))
	v1 := enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(mac.Sum(nil))

	keys, err := ParseKeys(base64Key(t, "new"), legacy)
	if err != nil {
		t.Fatal(err)
	}
	s := signer(t, keys...)
	c, err := s.Verify(v1, now)
	if err != nil || c.TrajectoryID != "tr-abc" || c.Number != 3 {
		t.Fatalf("v1 link: %+v %v", c, err)
	}
	if _, err := s.Verify(v1, now.Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("an expired v1 link: %v", err)
	}
	if !strings.HasPrefix(s.Token(c), "v2.new.") {
		t.Error("with HANDOVER_LINK_SECRETS set, its first key must seal")
	}
	only, _ := ParseKeys("", legacy)
	if tok := signer(t, only...).Token(c); !strings.HasPrefix(tok, "v2."+LegacyKeyID+".") {
		t.Errorf("HANDOVER_LINK_SECRET alone must seal too: %q", tok)
	}
}

func base64Key(t *testing.T, id string) string {
	return id + ":" + base64.StdEncoding.EncodeToString(randomKey(t, id).Secret)
}

func TestParseKeysRefusesWeakSecrets(t *testing.T) {
	good := base64Key(t, "a")
	for name, c := range map[string][2]string{
		"nothing":                {"", ""},
		"legacy not base64":      {"", "e2e-handover-link-secret-of-32-bytes!"},
		"legacy short":           {"", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))},
		"legacy repeated":        {"", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("ab", 24)))},
		"key without id":         {base64.StdEncoding.EncodeToString(randomKey(t, "x").Secret), ""},
		"key short":              {"a:" + base64.StdEncoding.EncodeToString([]byte("short")), ""},
		"key id twice":           {good + "," + strings.Replace(base64Key(t, "b"), "b:", "a:", 1), ""},
		"key id with a dot":      {strings.Replace(good, "a:", "a.b:", 1), ""},
		"a word, base64 encoded": {"k:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("password", 5))), ""},
	} {
		keys, err := ParseKeys(c[0], c[1])
		if err == nil {
			_, err = NewSigner(keys...)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := NewSigner(Key{ID: "k", Secret: []byte(strings.Repeat("k", 64))}); err == nil {
		t.Error("a secret that is not random was accepted")
	}
}

// TestLinksAlreadySentStillOpen: a token as released code sealed it keeps
// opening, and the same claims still seal to it (links already emailed to
// services must keep working).
func TestLinksAlreadySentStillOpen(t *testing.T) {
	const sent = "v2.k1.PeVZE48__e-yORwWxXXLDtEDUcfomagiihkT4Q7pqFlewAhtaEWC9NOspIRddWTxuuk"
	s, err := NewSigner(Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef-golden")})
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{TrajectoryID: "tr-golden", Number: 2, ExpiresAt: time.Unix(1900000000, 0).UTC()}
	if got := s.Token(c); got != sent {
		t.Errorf("the claims seal to %s, want %s", got, sent)
	}
	if got, err := s.Verify(sent, time.Unix(1800000000, 0)); err != nil || got != c {
		t.Errorf("the sent token opens as %+v (%v), want %+v", got, err, c)
	}
}
