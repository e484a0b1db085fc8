// Package apitoken is the shape of an API token: "tok_" + 8 base32
// characters (the public id, 40 random bits), a dot, and 32 random bytes
// in unpadded base64url (43 characters). The store keeps the tokens; the
// rate limiter and the logs need only their public id, without the store.
package apitoken

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

const (
	idPrefix    = "tok_"
	secretBytes = 32
)

var (
	idPattern    = regexp.MustCompile(`^tok_[a-z2-7]{8}$`)
	tokenPattern = regexp.MustCompile(`^tok_[a-z2-7]{8}\.[A-Za-z0-9_-]{43}$`)
	lowerBase32  = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
)

// ValidID says whether id has the shape of a token id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ID returns the public id of a token, or "" when the token does not
// have the shape of one. The id is not secret: it may go to logs.
func ID(token string) string {
	if !tokenPattern.MatchString(token) {
		return ""
	}
	id, _, _ := strings.Cut(token, ".")
	return id
}

// New makes a fresh token and its public id.
func New() (id, token string, err error) {
	idBytes := make([]byte, 5)
	secret := make([]byte, secretBytes)
	if _, err := rand.Read(idBytes); err != nil {
		return "", "", fmt.Errorf("create token: random id: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return "", "", fmt.Errorf("create token: random secret: %w", err)
	}
	id = idPrefix + lowerBase32.EncodeToString(idBytes)
	return id, id + "." + base64.RawURLEncoding.EncodeToString(secret), nil
}
