package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length in bytes of every key: AES-256.
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// KeyRing holds the keys of the codec, each under a key id. The first key of
// the configuration (the primary key) encrypts; every key decrypts. Rotating
// is: put a new key in front ("2026-11:NEW,2026-05:OLD"), deploy it to every
// process that reads or writes payloads (worker, API, codec server), and drop
// the old key only once no history that still matters holds payloads
// encrypted with it (retention expired, trajectories closed).
//
// A KeyRing never shows key material: it formats as its key ids only.
type KeyRing struct {
	primary string
	ids     []string // configuration order; ids[0] == primary
	aeads   map[string]cipher.AEAD
}

// ParseKeyRing reads a key ring from configuration: a comma-separated list of
// "id:base64key" entries, each key exactly 32 bytes in standard (padded)
// base64, each id 1 to 32 of [A-Za-z0-9._-] and unique. Blanks around entries
// are ignored. Errors name the key id (or, where the id itself is malformed,
// the entry's position), never the key material.
func ParseKeyRing(spec string) (*KeyRing, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("payloadcodec: key ring is empty; want id:base64key[,id:base64key...]")
	}
	ring := &KeyRing{aeads: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("payloadcodec: key ring entry %d is empty", n)
		}
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("payloadcodec: key ring entry %d has no key id; want id:base64key", n)
		}
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if !keyIDPattern.MatchString(id) {
			// The malformed id is not echoed: it may be a misplaced key.
			return nil, fmt.Errorf("payloadcodec: key ring entry %d: key id must be 1 to 32 of A-Z a-z 0-9 . _ -", n)
		}
		if _, dup := ring.aeads[id]; dup {
			return nil, fmt.Errorf("payloadcodec: key id %q appears more than once in the key ring", id)
		}
		if b64 == "" {
			return nil, fmt.Errorf("payloadcodec: key %q has no key material", id)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			// The decoder's error is left out on purpose: it quotes positions in
			// the key, nothing a reader needs.
			return nil, fmt.Errorf("payloadcodec: key %q is not valid standard base64", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("payloadcodec: key %q is %d bytes; AES-256 needs exactly %d", id, len(key), KeySize)
		}
		aead, err := newAEAD(key)
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("payloadcodec: key %q: %w", id, err)
		}
		ring.aeads[id] = aead
		ring.ids = append(ring.ids, id)
	}
	ring.primary = ring.ids[0]
	return ring, nil
}

// newAEAD returns AES-256-GCM with a random 96-bit nonce that Seal puts in
// front of the ciphertext and Open takes from there: nonce||ciphertext||tag.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// GenerateKey returns a new random key, in the standard base64 that
// ParseKeyRing reads (for the dev stack and for administrators rotating keys).
func GenerateKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("payloadcodec: generate key: %w", err)
	}
	s := base64.StdEncoding.EncodeToString(key)
	clear(key)
	return s, nil
}

// PrimaryKeyID is the id of the key that encrypts.
func (k *KeyRing) PrimaryKeyID() string { return k.primary }

// KeyIDs returns the ids of all keys, the primary first.
func (k *KeyRing) KeyIDs() []string { return append([]string(nil), k.ids...) }

// String shows the key ids only.
func (k *KeyRing) String() string {
	if k == nil {
		return "payloadcodec.KeyRing(nil)"
	}
	return "payloadcodec.KeyRing{" + strings.Join(k.ids, ",") + "}"
}

// GoString shows the key ids only, also for %#v.
func (k *KeyRing) GoString() string { return k.String() }

// Format shows the key ids only, whatever the verb, so that no formatting of
// a KeyRing can print key material.
func (k *KeyRing) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }
