// Package secret reads the random secrets of elkgezin's configuration
// (trajectory id key, handover link keys) and refuses values that cannot
// be random: a guessable secret makes the ids reversible and the links
// forgeable, so a mistake must stop the process at start.
package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinBytes is the shortest secret accepted, in decoded bytes.
const MinBytes = 32

// minDistinct is the fewest distinct byte values a secret must hold: 32
// random bytes hold fewer than 20 distinct values with a probability below
// one in 10^9, while "aaaa..." or a repeated word holds a handful.
const minDistinct = 20

// Generate is how to make a good value, for error messages.
const Generate = "make one with: head -c 32 /dev/urandom | base64"

// Decode reads a base64 value (standard or URL alphabet, padded or not)
// that must decode to at least MinBytes random bytes.
func Decode(value string) ([]byte, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, errors.New("is not set; " + Generate)
	}
	b, err := decodeBase64(value)
	if err != nil {
		return nil, fmt.Errorf("is not base64 (%v); %s", err, Generate)
	}
	if err := Check(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Check refuses a key shorter than MinBytes or too regular to be random.
func Check(b []byte) error {
	if len(b) < MinBytes {
		return fmt.Errorf("must be at least %d random bytes, got %d; %s", MinBytes, len(b), Generate)
	}
	seen := map[byte]bool{}
	for _, c := range b {
		seen[c] = true
	}
	if len(seen) < minDistinct {
		return fmt.Errorf("does not look random (only %d distinct byte values in %d bytes); %s", len(seen), len(b), Generate)
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}
