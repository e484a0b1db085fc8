package familylink

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/trajectory"
)

func key(t *testing.T, id string) handoverlink.Key {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return handoverlink.Key{ID: id, Secret: b}
}

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestTokenOpensWithItsKeysOnlyAndExpires(t *testing.T) {
	k1, k2 := key(t, "k1"), key(t, "k2")
	s, err := NewSigner(k1)
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{TrajectoryID: "tr-abc", LinkID: NewLinkID(), ExpiresAt: now.Add(time.Hour)}
	token := s.Token(c)
	if strings.Contains(token, "tr-abc") || strings.Contains(token, c.LinkID) {
		t.Errorf("the token shows its claims: %s", token)
	}
	got, err := s.Verify(token, now)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
	// Rotation: a new key first still opens the links of the old one.
	rotated, _ := NewSigner(k2, k1)
	if _, err := rotated.Verify(token, now); err != nil {
		t.Errorf("after rotation: %v", err)
	}
	other, _ := NewSigner(k2)
	if _, err := other.Verify(token, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("another secret opened the link: %v", err)
	}
	if _, err := s.Verify(token, c.ExpiresAt); !errors.Is(err, ErrExpired) {
		t.Errorf("at its expiry: %v, want ErrExpired", err)
	}
	mid := len(token) - 10
	flip := byte('A')
	if token[mid] == 'A' {
		flip = 'B'
	}
	damaged := token[:mid] + string(flip) + token[mid+1:]
	if _, err := s.Verify(damaged, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("damaged token: %v", err)
	}
}

// The same secret makes handover links and family links: neither token
// opens as the other.
func TestPurposesAreSeparate(t *testing.T) {
	k := key(t, "k1")
	family, _ := NewSigner(k)
	handover, err := handoverlink.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	h := handover.Token(handoverlink.Claims{TrajectoryID: "tr-abc", Number: 1, ExpiresAt: now.Add(time.Hour)})
	if _, err := family.Verify(h, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a handover token opened a family page: %v", err)
	}
	// A handover token re-headed as a family one must not open either.
	if _, err := family.Verify("f1"+strings.TrimPrefix(h, "v2"), now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a re-headed handover token opened a family page: %v", err)
	}
	f := family.Token(Claims{TrajectoryID: "tr-abc", LinkID: NewLinkID(), ExpiresAt: now.Add(time.Hour)})
	if _, err := handover.Verify(f, now); !errors.Is(err, handoverlink.ErrInvalid) {
		t.Errorf("a family token acknowledged a handover: %v", err)
	}
	if _, err := handover.Verify("v2"+strings.TrimPrefix(f, "f1"), now); !errors.Is(err, handoverlink.ErrInvalid) {
		t.Errorf("a re-headed family token acknowledged a handover: %v", err)
	}
}

func TestMatchLanguage(t *testing.T) {
	for in, want := range map[string]string{"Arabisch": "ar", "fr-BE": "fr", "Türkçe": "tr", "english": "en", "nl": "nl"} {
		if l, ok := MatchLanguage(in); !ok || l.Code != want {
			t.Errorf("MatchLanguage(%q) = %s, %v; want %s", in, l.Code, ok, want)
		}
	}
	if l, ok := MatchLanguage("Tigrinya"); ok || l.Code != "nl" {
		t.Errorf("an unknown language = %s, %v; want nl, false", l.Code, ok)
	}
}

// Every language has every sentence of the Dutch catalogue, and no other.
func TestCatalogueComplete(t *testing.T) {
	for _, l := range Languages {
		m, ok := catalogue[l.Code]
		if !ok {
			t.Fatalf("no catalogue for %s", l.Code)
		}
		for k := range catalogue["nl"] {
			if m[k] == "" {
				t.Errorf("%s lacks %q", l.Code, k)
			}
		}
		if len(m) != len(catalogue["nl"]) {
			t.Errorf("%s has %d sentences, Dutch %d", l.Code, len(m), len(catalogue["nl"]))
		}
	}
}

func TestPageInTheFamilysLanguage(t *testing.T) {
	due := time.Date(2026, 3, 9, 13, 30, 0, 0, time.UTC)
	next := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	v := View{Token: "f1.k1.TOKEN", CoachName: "Sara", TeamPhone: "+32 11 22 33 44", TeamEmail: "team@example.be", Next: &next,
		Strengths: []string{"We koken graag samen"},
		Goals: []GoalView{{Domain: "Wonen", Text: "Een warmere woning", Status: "open",
			Actions: []ActionView{{What: "Huisbaas bellen", Who: "family", Due: &due}}}}}
	for _, c := range []struct{ lang, dir, title, when string }{
		{"ar", "rtl", "خطتنا", "04-03-2026 الساعة 10:00"},
		{"fr", "ltr", "Notre plan", "le 04-03-2026 à 10:00"},
		{"nl", "ltr", "Ons plan", "04-03-2026 om 10:00"},
		{"tr", "ltr", "Planımız", "04-03-2026, saat 10:00"},
	} {
		v.Language, _ = LanguageOf(c.lang)
		b, err := Render(v)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{`<html lang="` + c.lang + `" dir="` + c.dir + `">`, c.title, c.when,
			"Een warmere woning", "Huisbaas bellen", "09-03-2026", "Sara", `href="tel:&#43;3211223344"`,
			`action="/v1/family/f1.k1.TOKEN/date-request"`, "We koken graag samen"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s page lacks %q", c.lang, want)
			}
		}
	}
	v.Next, v.Goals = nil, nil
	v.Language, _ = LanguageOf("en")
	b, _ := Render(v)
	for _, want := range []string{"There is no new appointment yet", "There are no goals in the plan yet"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("empty page lacks %q", want)
		}
	}
}

func TestMessagePage(t *testing.T) {
	ar, _ := LanguageOf("ar")
	b, err := RenderMessage(ar, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `dir="rtl"`) || !strings.Contains(string(b), catalogue["ar"][msgLinkEnded]) {
		t.Errorf("message page: %s", b)
	}
}

func TestDomainNames(t *testing.T) {
	for _, l := range Languages {
		if len(domainNames[l.Code]) != len(domainNames["nl"]) {
			t.Errorf("%s names %d domains, Dutch %d", l.Code, len(domainNames[l.Code]), len(domainNames["nl"]))
		}
	}
	if got := DomainName("ar", "housing", "Wonen"); got != "السكن" {
		t.Errorf("housing in Arabic: %q", got)
	}
	if got := DomainName("fr", "sport", "Sport en vrije tijd"); got != "Sport en vrije tijd" {
		t.Errorf("a programme's own domain: %q", got)
	}
}

// Every default life domain has its name in every language.
func TestEveryDefaultDomainIsNamed(t *testing.T) {
	for _, d := range trajectory.DefaultLifeDomains {
		for _, l := range Languages {
			if domainNames[l.Code][d.ID] == "" {
				t.Errorf("domain %s has no name in %s", d.ID, l.Code)
			}
		}
	}
}

// TestLinksAlreadyGivenStillOpen: a token as released code sealed it keeps
// opening, and the same claims still seal to it.
func TestLinksAlreadyGivenStillOpen(t *testing.T) {
	const given = "f1.k1._hNf5Jisj_FFbTWfPOWth-10Vm0XDPRKNTB2oTZSIm2D6oqin9p1SO-sqz1BoFRqAX731hcEJYLDEJ88Xpwc5DQ"
	s, err := NewSigner(handoverlink.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef-golden")})
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{TrajectoryID: "tr-golden", LinkID: "abcdefghijklmnop", ExpiresAt: time.Unix(1900000000, 0).UTC()}
	if got := s.Token(c); got != given {
		t.Errorf("the claims seal to %s, want %s", got, given)
	}
	if got, err := s.Verify(given, time.Unix(1800000000, 0)); err != nil || got != c {
		t.Errorf("the given token opens as %+v (%v), want %+v", got, err, c)
	}
}
