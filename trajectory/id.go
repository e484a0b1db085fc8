package trajectory

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/elkgezin/elkgezin/internal/secret"
)

// IDKey is the server's secret key of trajectory ids
// (TRAJECTORY_ID_SECRET). The zero IDKey is not usable.
type IDKey struct{ key []byte }

// NewIDKey checks that key is at least 32 random bytes.
func NewIDKey(key []byte) (IDKey, error) {
	if err := secret.Check(key); err != nil {
		return IDKey{}, fmt.Errorf("trajectory id key %w", err)
	}
	return IDKey{key: append([]byte(nil), key...)}, nil
}

// ParseIDKey reads TRAJECTORY_ID_SECRET: base64 of at least 32 random bytes.
func ParseIDKey(value string) (IDKey, error) {
	b, err := secret.Decode(value)
	if err != nil {
		return IDKey{}, fmt.Errorf("trajectory id key %w", err)
	}
	return IDKey{key: b}, nil
}

// ID derives a trajectory's id (and workflow id) from the programme, the
// referring organisation and that organisation's own case reference, keyed
// with the server's secret. Keyed, because programme and organisation ids
// are public and references follow patterns (PV/2025/004217): an unkeyed
// hash is reversed by trying every reference. Deterministic, so a repeated
// referral lands on the same trajectory. Ids are computed only at
// referral: existing trajectories keep the (unkeyed) ids they were given.
func ID(k IDKey, programmeID, referrerOrg, reference string) string {
	if len(k.key) == 0 {
		panic("trajectory.ID: zero IDKey (TRAJECTORY_ID_SECRET not loaded)")
	}
	mac := hmac.New(sha256.New, k.key)
	mac.Write([]byte("elkgezin trajectory id v2\x00" + programmeID + "\x00" + referrerOrg + "\x00" + reference))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(mac.Sum(nil))
	return "tr-" + strings.ToLower(enc[:26])
}

// IsZero says whether k holds no key.
func (k IDKey) IsZero() bool { return len(k.key) == 0 }

// Sum is an HMAC-SHA-256 of data under the key for another purpose than
// ids (such as the API's list cursors); the purpose keeps each use's
// sums apart from the ids' and from each other's.
func (k IDKey) Sum(purpose string, data []byte) []byte {
	if len(k.key) == 0 {
		panic("trajectory.IDKey.Sum: zero IDKey (TRAJECTORY_ID_SECRET not loaded)")
	}
	mac := hmac.New(sha256.New, k.key)
	mac.Write([]byte("elkgezin " + purpose + "\x00"))
	mac.Write(data)
	return mac.Sum(nil)
}
