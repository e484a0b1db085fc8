package webhook

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/programme"
)

func TestSignVerify(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	body := []byte(`{"id":"evt_1"}`)
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	h := Sign(secret, at, body)
	if !strings.HasPrefix(h, "t=1796637600,v1=") {
		t.Fatalf("header %q", h)
	}
	if err := Verify(secret, h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"other body":   Verify(secret, h, []byte(`{"id":"evt_2"}`), at, 5*time.Minute),
		"other secret": Verify([]byte(strings.Repeat("x", 32)), h, body, at, 5*time.Minute),
		"too old":      Verify(secret, h, body, at.Add(6*time.Minute), 5*time.Minute),
		"no header":    Verify(secret, "", body, at, 5*time.Minute),
	} {
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

func TestEventIDIsPerReferralAndStatus(t *testing.T) {
	a, b := EventID("tr-1", StatusClosed), EventID("tr-1", StatusCoachAssigned)
	if a == b || a != EventID("tr-1", StatusClosed) || EventID("tr-2", StatusClosed) == a {
		t.Errorf("ids %s %s", a, b)
	}
	e := NewEvent("tr-1", StatusClosed, time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600)))
	if e.Type != "referral.closed" || e.StatusChangedAt.Location() != time.UTC || e.StatusChangedAt.Nanosecond() != 0 {
		t.Errorf("event %+v", e)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "webhooks.yaml")
	if err := os.WriteFile(file, []byte("police: https://hooks.example/elkgezin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32)))
	eps, err := Load(file, "police:"+key)
	if err != nil || eps["police"].URL != "https://hooks.example/elkgezin" || string(eps["police"].Secret) != strings.Repeat("s", 32) {
		t.Fatalf("%v %+v", err, eps)
	}
	if _, err := Load(file, ""); err == nil {
		t.Error("an endpoint without its secret loads")
	}
	short := base64.StdEncoding.EncodeToString([]byte("short"))
	if _, err := Load(file, "police:"+short); err == nil || strings.Contains(err.Error(), short) {
		t.Errorf("a short secret: %v", err)
	}
	if _, err := Parse(map[string]string{"cl": "http://hooks.example/"}, map[string][]byte{"cl": []byte(strings.Repeat("s", 32))}); err == nil {
		t.Error("plain http to another host loads")
	}
	if eps, err := Load("", ""); err != nil || len(eps) != 0 {
		t.Errorf("nothing configured: %v %v", eps, err)
	}
}

func TestCheckPartners(t *testing.T) {
	programmes := programme.Catalogue{"p": {ID: "p", Referrers: []programme.Organisation{{ID: "police"}}}}
	secret := []byte(strings.Repeat("s", 32))
	if err := (Endpoints{"police": {URL: "https://x.example", Secret: secret}}).CheckPartners(programmes); err != nil {
		t.Error(err)
	}
	if err := (Endpoints{"polcie": {URL: "https://x.example", Secret: secret}}).CheckPartners(programmes); err == nil {
		t.Error("an endpoint of no referrer passes")
	}
}
