// Package keys holds elkgezin's envelope encryption: every trajectory has
// its own random data key, which encrypts its Temporal payloads and the
// personal fields of its PostgreSQL rows; the data key is stored wrapped
// (AES-256-GCM) by a key of the trajectory's programme, which only the
// configuration holds (PROGRAMME_KEYS). Destroying a trajectory's wrapped
// data key (Vault.Erase) makes everything encrypted under it unreadable at
// once: erasure by crypto-shredding.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// KeySize is the length in bytes of every key, programme and data: AES-256.
const KeySize = 32

var (
	programmeIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	keyNamePattern     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
)

// ProgrammeKeys are the keys that wrap data keys, per programme. The first
// key of a programme in the configuration wraps new data keys; all of them
// unwrap. A key's id is "programme/name", so an id names its programme and
// a rotated key gets a new name. It never shows key material.
type ProgrammeKeys struct {
	newest map[string]string      // programme -> key id that wraps
	aeads  map[string]cipher.AEAD // key id -> AEAD
	ids    []string               // configuration order
}

// ParseProgrammeKeys reads PROGRAMME_KEYS: comma-separated
// "programme:name:base64key" entries, each key 32 bytes in standard base64.
// Errors name the programme and key name, never key material.
func ParseProgrammeKeys(spec string) (*ProgrammeKeys, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("keys: no programme keys; want programme:name:base64key[,...]")
	}
	pk := &ProgrammeKeys{newest: map[string]string{}, aeads: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		parts := strings.Split(strings.TrimSpace(entry), ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("keys: entry %d: want programme:name:base64key", i+1)
		}
		prog, name, b64 := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
		if !programmeIDPattern.MatchString(prog) || !keyNamePattern.MatchString(name) {
			// Not echoed: a misplaced key may stand there.
			return nil, fmt.Errorf("keys: entry %d: a programme id and a key name (1 to 32 of A-Z a-z 0-9 . _ -) come before the key", i+1)
		}
		id := prog + "/" + name
		if _, dup := pk.aeads[id]; dup {
			return nil, fmt.Errorf("keys: key %s appears more than once", id)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("keys: key %s must be %d bytes in standard base64", id, KeySize)
		}
		aead, err := newAEAD(key)
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("keys: key %s: %w", id, err)
		}
		pk.aeads[id] = aead
		pk.ids = append(pk.ids, id)
		if _, ok := pk.newest[prog]; !ok {
			pk.newest[prog] = id
		}
	}
	return pk, nil
}

// Generate returns the PROGRAMME_KEYS configuration of one new random key
// per programme, named name (for the dev stack and tests).
func Generate(name string, programmeIDs ...string) (string, error) {
	var entries []string
	for _, p := range programmeIDs {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return "", fmt.Errorf("keys: generate: %w", err)
		}
		entries = append(entries, p+":"+name+":"+base64.StdEncoding.EncodeToString(key))
	}
	return strings.Join(entries, ","), nil
}

// Cover fails, naming them, when programmes have no key: their
// trajectories could not be referred.
func (pk *ProgrammeKeys) Cover(programmeIDs []string) error {
	var missing []string
	for _, p := range programmeIDs {
		if _, ok := pk.newest[p]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("keys: PROGRAMME_KEYS has no key for the programmes %s", strings.Join(missing, ", "))
	}
	return nil
}

// Newest is the id of the key that wraps the programme's new data keys.
func (pk *ProgrammeKeys) Newest(programmeID string) (string, bool) {
	id, ok := pk.newest[programmeID]
	return id, ok
}

// IDs lists the key ids in configuration order.
func (pk *ProgrammeKeys) IDs() []string { return slices.Clone(pk.ids) }

// String shows the key ids only.
func (pk *ProgrammeKeys) String() string {
	return "keys.ProgrammeKeys{" + strings.Join(pk.ids, ",") + "}"
}

// Format shows the key ids only, whatever the verb.
func (pk *ProgrammeKeys) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(pk.String())) }

// wrap encrypts a data key under the programme's newest key. The
// trajectory id is authenticated with it, so a wrapped key copied to
// another trajectory's row does not unwrap.
func (pk *ProgrammeKeys) wrap(programmeID, trajectoryID string, dataKey []byte) (keyID string, wrapped []byte, err error) {
	keyID, ok := pk.newest[programmeID]
	if !ok {
		return "", nil, fmt.Errorf("%w: none for programme %s in PROGRAMME_KEYS", ErrNoProgrammeKey, programmeID)
	}
	return keyID, pk.aeads[keyID].Seal(nil, nil, dataKey, wrapAAD(keyID, trajectoryID)), nil
}

func (pk *ProgrammeKeys) unwrap(keyID, trajectoryID string, wrapped []byte) ([]byte, error) {
	aead, ok := pk.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: %s is not in PROGRAMME_KEYS (dropped before `elkgezin rewrap`?)", ErrNoProgrammeKey, keyID)
	}
	key, err := aead.Open(nil, nil, wrapped, wrapAAD(keyID, trajectoryID))
	if err != nil {
		return nil, fmt.Errorf("keys: data key of %s does not unwrap with %s", trajectoryID, keyID)
	}
	return key, nil
}

func wrapAAD(keyID, trajectoryID string) []byte { return []byte(keyID + "\x00" + trajectoryID) }

// newAEAD is AES-256-GCM with a random nonce in front of the ciphertext.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// TestProgrammes are the programme ids tests use, for MustGenerate.
var TestProgrammes = []string{"p1", "p2", "p3", "p4", "other-programme", "test-seconds", "go-team-mechelen",
	"perinatal-menen", "ocmw-sint-truiden", "omdat-elk-gezin-telt-vilvoorde", "genk-opstap", "stad-gent-kinderopvang-naar-werk",
	"leuven-lampeke-perinataal", "aprestoe-brussel", "vrienden-van-het-huizeke", "felies-antwerpen", "dn-opvang-oostende"}

// MustGenerate is Generate parsed, for tests; it panics on error.
func MustGenerate(name string, programmeIDs ...string) *ProgrammeKeys {
	spec, err := Generate(name, programmeIDs...)
	if err == nil {
		var pk *ProgrammeKeys
		if pk, err = ParseProgrammeKeys(spec); err == nil {
			return pk
		}
	}
	panic(err)
}
