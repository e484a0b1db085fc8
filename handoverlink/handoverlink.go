// Package handoverlink makes and checks the signed, expiring links with
// which a regular service acknowledges a handover. The link is the
// credential (the service has no login), so it is sealed (AES-256-GCM,
// which both hides and authenticates) under a secret that the worker and
// the API share, names its key by id so the secret can rotate, and
// expires. The token shows neither the trajectory id nor the handover
// number. Single use is enforced by the trajectory workflow, which accepts
// one acknowledgement per handover.
package handoverlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/internal/secret"
)

// MinSecretLength is the shortest secret accepted, in bytes.
const MinSecretLength = secret.MinBytes

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

// Key is one link secret and the id that names it in the tokens it seals.
type Key struct {
	ID     string
	Secret []byte
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

// Signer seals links with its first key and opens them with any.
type Signer struct {
	sealer *Sealer
	legacy [][]byte // the raw secrets: the HMAC keys of v1 tokens
}

// NewSigner checks each key (at least 32 random bytes, a short id, no id
// twice); the first seals new links, all open them.
func NewSigner(keys ...Key) (*Signer, error) {
	sealer, err := NewSealer("handover link", "elkgezin handover link v2 ", v2, keys...)
	if err != nil {
		return nil, err
	}
	s := &Signer{sealer: sealer}
	for _, k := range keys {
		s.legacy = append(s.legacy, append([]byte(nil), k.Secret...))
	}
	return s, nil
}

var enc = base64.RawURLEncoding

const v2 = "v2"

// Token is the same for the same claims (the nonce is derived from them),
// so a retried email carries the same link; it is "v2.<key id>.<sealed>".
func (s *Signer) Token(c Claims) string {
	return s.sealer.Seal(c.TrajectoryID + "." + strconv.Itoa(c.Number) + "." + strconv.FormatInt(c.ExpiresAt.Unix(), 10))
}

// Verify opens the token first, then checks the expiry at now. Links sent
// before sealing (v1: the claims in clear, HMAC-signed with the secret)
// still open with any key until they expire.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > 512 {
		return Claims{}, ErrInvalid
	}
	var payload []byte
	if strings.HasPrefix(token, v2+".") {
		payload, _ = s.sealer.Open(token)
	} else {
		payload = s.verifyV1(token)
	}
	if payload == nil {
		return Claims{}, ErrInvalid
	}
	return parse(string(payload), now)
}

// verifyV1 checks a link of the first format: base64(payload).base64(mac).
func (s *Signer) verifyV1(token string) []byte {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil
	}
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return nil
	}
	for _, secret := range s.legacy {
		h := hmac.New(sha256.New, secret)
		h.Write([]byte("elkgezin handover acknowledgement v1\x00"))
		h.Write(payload)
		if hmac.Equal(mac, h.Sum(nil)) {
			return payload
		}
	}
	return nil
}

func parse(payload string, now time.Time) (Claims, error) {
	parts := strings.Split(payload, ".")
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
