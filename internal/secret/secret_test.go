package secret

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	good := base64.StdEncoding.EncodeToString(random)
	if b, err := Decode(good); err != nil || string(b) != string(random) {
		t.Fatalf("a random key: %v", err)
	}
	if _, err := Decode(base64.RawURLEncoding.EncodeToString(random)); err != nil {
		t.Errorf("unpadded URL base64: %v", err)
	}
	for name, v := range map[string]string{
		"empty":      "",
		"not base64": "this is not base64!",
		"short":      base64.StdEncoding.EncodeToString(random[:16]),
		"repeated":   base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 48))),
		"a word":     base64.StdEncoding.EncodeToString([]byte(strings.Repeat("secret", 8))),
	} {
		if _, err := Decode(v); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "/dev/urandom") {
			t.Errorf("%s: the error says not how to make a good one: %v", name, err)
		}
	}
}
