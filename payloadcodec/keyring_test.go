package payloadcodec

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func mustKey(t testing.TB) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return k
}

func mustRing(t testing.TB, spec string) *KeyRing {
	t.Helper()
	r, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return r
}

func TestGenerateKey(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	if a == b {
		t.Fatal("two generated keys are equal")
	}
	raw, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(raw) != KeySize {
		t.Fatalf("generated key decodes to %d bytes, err %v; want %d", len(raw), err, KeySize)
	}
}

func TestParseKeyRing(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	r := mustRing(t, " 2026-11:"+k1+" , 2026-05:"+k2+"\n")
	if got := r.PrimaryKeyID(); got != "2026-11" {
		t.Errorf("primary = %q, want 2026-11", got)
	}
	if got := strings.Join(r.KeyIDs(), ","); got != "2026-11,2026-05" {
		t.Errorf("ids = %q", got)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{r, *r} {
			s := fmt.Sprintf(verb, v)
			if strings.Contains(s, k1) || strings.Contains(s, k2) {
				t.Errorf("Sprintf(%s) of the key ring shows key material: %s", verb, s)
			}
		}
	}
}

func TestParseKeyRingRejects(t *testing.T) {
	good := mustKey(t)
	raw, _ := base64.StdEncoding.DecodeString(good)
	short := base64.StdEncoding.EncodeToString(raw[:16])
	long := base64.StdEncoding.EncodeToString(append(raw, raw...))
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(good)
	if urlSafe == good {
		urlSafe = "!" + good[1:]
	}
	tests := []struct {
		name, spec string
		wantIn     string // the error must contain this
		secrets    []string
	}{
		{"empty", "", "empty", nil},
		{"blank", "  \n", "empty", nil},
		{"empty entry", "a:" + good + ",,b:" + good, "entry 2 is empty", []string{good}},
		{"trailing comma", "a:" + good + ",", "entry 2 is empty", []string{good}},
		{"no id", good, "entry 1 has no key id", []string{good}},
		{"empty id", ":" + good, "entry 1: key id", []string{good}},
		{"bad id chars", "jan/2026:" + good, "entry 1: key id", []string{good}},
		{"id too long", strings.Repeat("x", 33) + ":" + good, "entry 1: key id", []string{good}},
		{"key in id place", "k1:" + good + "," + good + ":k2", "entry 2", []string{good}},
		{"duplicate id", "k1:" + good + ",k1:" + mustKey(t), `"k1" appears more than once`, []string{good}},
		{"no key", "k1:", `key "k1" has no key material`, nil},
		{"short key", "k1:" + short, `key "k1" is 16 bytes`, []string{short}},
		{"long key", "k1:" + long, `key "k1" is 64 bytes`, []string{long}},
		{"url base64", "k1:" + urlSafe, `key "k1" is not valid standard base64`, []string{urlSafe}},
		{"unpadded", "k1:" + strings.TrimRight(good, "="), `key "k1" is not valid standard base64`, []string{strings.TrimRight(good, "=")}},
		{"second bad", "k1:" + good + ",k2:" + short, `key "k2"`, []string{good, short}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseKeyRing(tt.spec)
			if err == nil {
				t.Fatalf("ParseKeyRing accepted %q: %v", tt.name, r)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantIn) {
				t.Errorf("error %q does not contain %q", msg, tt.wantIn)
			}
			for _, s := range tt.secrets {
				if strings.Contains(msg, s) || strings.Contains(msg, s[:12]) {
					t.Errorf("error %q shows key material", msg)
				}
			}
		})
	}
}
