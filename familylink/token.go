// Package familylink is the family's own page: the personal link that
// opens it, and the page itself in the family's language.
//
// The link is the credential (a family has no login), like a handover
// link: sealed (AES-256-GCM) under the same configured secrets, with key
// rotation, and expiring. Its keys are derived for this purpose only and
// its header differs, so a handover token never opens a family page and a
// family token never acknowledges a handover. A link is one row of the
// store (the link id in the token), so a coach can revoke it; the page
// also stops working when the trajectory is closed or erased.
package familylink

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"elkgezin/handoverlink"
	"elkgezin/internal/secret"
)

// Claims is what a family link says: whose page and until when. LinkID
// names the store's row of the link, which says whether it was revoked.
type Claims struct {
	TrajectoryID string
	LinkID       string
	ExpiresAt    time.Time
}

// Errors of Verify. ErrInvalid covers every forged, damaged or foreign
// token (a handover link included) alike.
var (
	ErrInvalid = errors.New("family link is not valid")
	ErrExpired = errors.New("family link has expired")
)

// DefaultValidFor is how long a link works when the programme says nothing.
const DefaultValidFor = 90 * 24 * time.Hour

// header starts every family token; handover tokens start "v2.".
const header = "f1"

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)
var linkIDPattern = regexp.MustCompile(`^[a-z0-9]{16,40}$`)

// Signer seals family links with its first key and opens them with any.
type Signer struct {
	keys []sealKey
}

type sealKey struct {
	id    string
	aead  cipher.AEAD
	nonce []byte
}

// NewSigner takes the handover link keys (HANDOVER_LINK_SECRETS): one
// secret to configure and rotate, from which this package derives keys of
// its own.
func NewSigner(keys ...handoverlink.Key) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("family link secret: none given")
	}
	s := &Signer{}
	seen := map[string]bool{}
	for _, k := range keys {
		if !keyIDPattern.MatchString(k.ID) || seen[k.ID] {
			return nil, fmt.Errorf("family link key id %q: want 1-16 letters, digits, _ or -, each id once", k.ID)
		}
		seen[k.ID] = true
		if err := secret.Check(k.Secret); err != nil {
			return nil, fmt.Errorf("family link secret %s %w", k.ID, err)
		}
		block, err := aes.NewCipher(derive(k.Secret, "seal"))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, sealKey{id: k.ID, aead: aead, nonce: derive(k.Secret, "nonce")})
	}
	return s, nil
}

// derive makes this package's sub-keys; the label differs from every
// label of package handoverlink, so no key is shared between the two.
func derive(secret []byte, purpose string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("elkgezin family page link f1 " + purpose))
	return h.Sum(nil)
}

var enc = base64.RawURLEncoding

// NewLinkID is a fresh random id for a link's row.
func NewLinkID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Token seals c: "f1.<key id>.<sealed>". The same claims give the same
// token, so an email sent again carries the same link.
func (s *Signer) Token(c Claims) string {
	k := s.keys[0]
	payload := c.TrajectoryID + "." + c.LinkID + "." + strconv.FormatInt(c.ExpiresAt.Unix(), 10)
	h := hmac.New(sha256.New, k.nonce)
	h.Write([]byte(payload))
	nonce := h.Sum(nil)[:k.aead.NonceSize()]
	head := header + "." + k.id
	return head + "." + enc.EncodeToString(k.aead.Seal(nonce, nonce, []byte(payload), []byte(head)))
}

// Verify opens the token, then checks its expiry at now. Whether the link
// was revoked, or the trajectory closed, is the store's to say.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > 512 {
		return Claims{}, ErrInvalid
	}
	rest, ok := strings.CutPrefix(token, header+".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	id, sealed, ok := strings.Cut(rest, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	raw, err := enc.DecodeString(sealed)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var payload []byte
	for _, k := range s.keys {
		if k.id != id || len(raw) < k.aead.NonceSize() {
			continue
		}
		nonce, box := raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():]
		if p, err := k.aead.Open(nil, nonce, box, []byte(header+"."+id)); err == nil {
			payload = p
			break
		}
	}
	if payload == nil {
		return Claims{}, ErrInvalid
	}
	parts := strings.Split(string(payload), ".")
	if len(parts) != 3 || parts[0] == "" || !linkIDPattern.MatchString(parts[1]) {
		return Claims{}, ErrInvalid
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	c := Claims{TrajectoryID: parts[0], LinkID: parts[1], ExpiresAt: time.Unix(exp, 0).UTC()}
	if !now.Before(c.ExpiresAt) {
		return c, ErrExpired
	}
	return c, nil
}
