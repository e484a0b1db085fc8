// Package handoverlink makes and checks the signed, expiring links with
// which a regular service acknowledges a handover. The link is the
// credential (the service has no login), so it names only the trajectory
// and the handover number, is signed with HMAC-SHA256 under a secret that
// the worker and the API share, and expires. Single use is enforced by the
// trajectory workflow, which accepts one acknowledgement per handover.
package handoverlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MinSecretLength is the shortest secret accepted, in bytes.
const MinSecretLength = 32

// Claims is what a link says.
type Claims struct {
	TrajectoryID string
	Number       int
	ExpiresAt    time.Time
}

// Errors of Verify. ErrInvalid covers every forged, damaged or foreign token
// alike, so a caller learns nothing about why.
var (
	ErrInvalid = errors.New("handover link is not valid")
	ErrExpired = errors.New("handover link has expired")
)

// Signer signs and verifies links with one secret.
type Signer struct{ secret []byte }

// NewSigner checks the secret's length.
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("handover link secret must be at least %d bytes, got %d", MinSecretLength, len(secret))
	}
	return &Signer{secret: append([]byte(nil), secret...)}, nil
}

var enc = base64.RawURLEncoding

// Token is the same for the same claims, so a retried email carries the
// same link.
func (s *Signer) Token(c Claims) string {
	payload := c.TrajectoryID + "." + strconv.Itoa(c.Number) + "." + strconv.FormatInt(c.ExpiresAt.Unix(), 10)
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(s.mac(payload))
}

// Verify checks the signature first, then the expiry at now.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return Claims{}, ErrInvalid
	}
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(payload))) {
		return Claims{}, ErrInvalid
	}
	parts := strings.Split(string(payload), ".")
	if len(parts) != 3 {
		return Claims{}, ErrInvalid
	}
	n, err1 := strconv.Atoi(parts[1])
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || n < 1 || parts[0] == "" {
		return Claims{}, ErrInvalid
	}
	c := Claims{TrajectoryID: parts[0], Number: n, ExpiresAt: time.Unix(exp, 0).UTC()}
	if !now.Before(c.ExpiresAt) {
		return c, ErrExpired
	}
	return c, nil
}

func (s *Signer) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte("elkgezin handover acknowledgement v1\x00" + payload))
	return h.Sum(nil)
}
