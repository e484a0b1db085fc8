package trajectory

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"testing"
)

// unkeyedID is how ids were made before they were keyed: anyone could
// compute it from public ids and a guessed reference.
func unkeyedID(programmeID, org, reference string) string {
	sum := sha256.Sum256([]byte(programmeID + "\x00" + org + "\x00" + reference))
	return "tr-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:26])
}

func testKey(t *testing.T, seed byte) IDKey {
	t.Helper()
	b := make([]byte, 32)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	k, err := NewIDKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIDIsKeyed(t *testing.T) {
	const prog, org, ref = "go-team-mechelen", "politie-jeugd-en-gezin", "PV/2025/004217"
	k1, k2 := testKey(t, 1), testKey(t, 2)
	id := ID(k1, prog, org, ref)
	if id != ID(k1, prog, org, ref) {
		t.Error("the same referral must give the same id")
	}
	if id == unkeyedID(prog, org, ref) {
		t.Error("the id is the unkeyed hash: the reference can be recovered by guessing")
	}
	if id == ID(k2, prog, org, ref) {
		t.Error("the id does not change with the secret")
	}
	if id == ID(k1, prog, org, "PV/2025/004218") {
		t.Error("two references give the same id")
	}
	if !strings.HasPrefix(id, "tr-") || len(id) != 29 || strings.Contains(id, "004217") {
		t.Errorf("id %q: want tr- and 26 base32 characters, like the ids already given", id)
	}
	if _, err := NewIDKey(bytes.Repeat([]byte("k"), 32)); err == nil {
		t.Error("a secret that is not random was accepted")
	}
	if _, err := ParseIDKey("c2hvcnQ="); err == nil {
		t.Error("a short secret was accepted")
	}
}
