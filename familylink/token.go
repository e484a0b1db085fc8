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
	"crypto/rand"
	"encoding/base32"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/handoverlink"
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

var linkIDPattern = regexp.MustCompile(`^[a-z0-9]{16,40}$`)

// Signer seals family links with its first key and opens them with any.
type Signer struct {
	sealer *handoverlink.Sealer
}

// NewSigner takes the handover link keys (HANDOVER_LINK_SECRETS): one
// secret to configure and rotate, from which keys of this purpose only are
// derived.
func NewSigner(keys ...handoverlink.Key) (*Signer, error) {
	sealer, err := handoverlink.NewSealer("family link", "elkgezin family page link f1 ", header, keys...)
	if err != nil {
		return nil, err
	}
	return &Signer{sealer: sealer}, nil
}

// NewLinkID is a fresh random id for a link's row.
func NewLinkID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Token seals c: "f1.<key id>.<sealed>". The same claims give the same
// token, so an email sent again carries the same link.
func (s *Signer) Token(c Claims) string {
	return s.sealer.Seal(c.TrajectoryID + "." + c.LinkID + "." + strconv.FormatInt(c.ExpiresAt.Unix(), 10))
}

// Verify opens the token, then checks its expiry at now. Whether the link
// was revoked, or the trajectory closed, is the store's to say.
func (s *Signer) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > 512 {
		return Claims{}, ErrInvalid
	}
	payload, ok := s.sealer.Open(token)
	if !ok {
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
