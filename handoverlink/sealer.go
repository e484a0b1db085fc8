package handoverlink

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/elkgezin/elkgezin/internal/secret"
)

// Sealer seals short payloads into URL-safe tokens "<header>.<key id>.<sealed>"
// (AES-256-GCM under keys derived from the configured secrets for one
// domain), seals with its first key and opens with any, so the secrets can
// rotate. Two domains never open each other's tokens: their keys and
// headers differ. The nonce is derived from the payload, so the same
// payload gives the same token (an email sent again carries the same link).
type Sealer struct {
	header string
	keys   []sealerKey
}

type sealerKey struct {
	id    string
	aead  cipher.AEAD
	nonce []byte // key of the nonce derivation
}

// NewSealer checks each key (at least 32 random bytes, a short id, no id
// twice) and derives its keys for domain; name says whose keys they are in
// errors ("handover link").
func NewSealer(name, domain, header string, keys ...Key) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New(name + " secret: none given")
	}
	s := &Sealer{header: header}
	seen := map[string]bool{}
	for _, k := range keys {
		if !keyIDPattern.MatchString(k.ID) || seen[k.ID] {
			return nil, fmt.Errorf("%s key id %q: want 1-16 letters, digits, _ or -, each id once", name, k.ID)
		}
		seen[k.ID] = true
		if err := secret.Check(k.Secret); err != nil {
			return nil, fmt.Errorf("%s secret %s %w", name, k.ID, err)
		}
		block, err := aes.NewCipher(deriveIn(domain, k.Secret, "seal"))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, sealerKey{id: k.ID, aead: aead, nonce: deriveIn(domain, k.Secret, "nonce")})
	}
	return s, nil
}

// deriveIn makes a sub-key for one purpose of one domain, so no two keys
// are the same bytes.
func deriveIn(domain string, secret []byte, purpose string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(domain + purpose))
	return h.Sum(nil)
}

// Seal is payload's token.
func (s *Sealer) Seal(payload string) string {
	k := s.keys[0]
	h := hmac.New(sha256.New, k.nonce)
	h.Write([]byte(payload))
	nonce := h.Sum(nil)[:k.aead.NonceSize()]
	head := s.header + "." + k.id
	return head + "." + enc.EncodeToString(k.aead.Seal(nonce, nonce, []byte(payload), []byte(head)))
}

// Open is the payload token seals, or false for any token it did not seal.
func (s *Sealer) Open(token string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(token, s.header+".")
	if !ok {
		return nil, false
	}
	id, sealed, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, false
	}
	raw, err := enc.DecodeString(sealed)
	if err != nil {
		return nil, false
	}
	for _, k := range s.keys {
		if k.id != id || len(raw) < k.aead.NonceSize() {
			continue
		}
		nonce, box := raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():]
		if payload, err := k.aead.Open(nil, nonce, box, []byte(s.header+"."+id)); err == nil {
			return payload, true
		}
	}
	return nil, false
}
