package sms

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestEveryTextInEveryLanguage renders each kind of SMS in each language:
// the first name and the visit's time in Belgian time (10:00 on a
// Tuesday in March, 09:00 UTC), the link for the family's page, and
// nothing left unfilled.
func TestEveryTextInEveryLanguage(t *testing.T) {
	at := time.Date(2026, 3, 17, 9, 0, 0, 0, time.UTC)
	day := map[string]string{"nl": "dinsdag 17 maart", "fr": "mardi 17 mars", "en": "Tuesday 17 March",
		"ar": "الثلاثاء 17 مارس", "tr": "17 Mart Salı"}
	tomorrow := map[string]string{"nl": "morgen", "fr": "demain", "en": "tomorrow", "ar": "غدا", "tr": "yarın"}
	for _, lang := range Languages {
		for _, kind := range trajectory.SMSKinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				text, err := Render(lang, Text{Kind: kind, FirstName: "Amina", At: at, URL: "https://elkgezin.example/v1/family/tok"})
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(text, "Amina") || strings.Contains(text, "<no value>") {
					t.Errorf("%q", text)
				}
				switch kind {
				case trajectory.SMSFamilyLink:
					if !strings.Contains(text, "https://elkgezin.example/v1/family/tok") {
						t.Errorf("no link in %q", text)
					}
				default:
					if !strings.Contains(text, "10:00") || !strings.Contains(text, day[lang]) {
						t.Errorf("%q does not say %s 10:00 (Belgian time)", text, day[lang])
					}
				}
				if kind == trajectory.SMSVisitReminder && !strings.Contains(text, tomorrow[lang]) {
					t.Errorf("the reminder %q does not say it is %s", text, tomorrow[lang])
				}
				// Three SMS at most, however the language is coded.
				if limit := 3 * 153; GSM(text) && len([]rune(text)) > limit || !GSM(text) && len([]rune(text)) > 3*67 {
					t.Errorf("%q is %d characters: more than three SMS", text, len([]rune(text)))
				}
			})
		}
	}
	if got, _ := Render("xx", Text{Kind: trajectory.SMSVisitMoved, FirstName: "A", At: at}); !strings.HasPrefix(got, "Dag A,") {
		t.Errorf("an unknown language gives %q, want Dutch", got)
	}
	if GSM("Bonjour, à demain") != true || GSM("Merhaba, yarın") || GSM("مرحبا") {
		t.Error("GSM misjudges a text")
	}
	if FirstName("  Amina  El Idrissi ") != "Amina" {
		t.Error("FirstName")
	}
}

// TestSendAsksKannel: the sendsms request carries the user, the number,
// the text in UTF-8 (UCS-2 for Arabic) and the delivery report URL with
// the token and Kannel's %d, no personal data in it.
func TestSendAsksKannel(t *testing.T) {
	var got url.Values
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("0: Accepted for delivery"))
	}))
	defer gw.Close()
	c := New(Config{URL: gw.URL + "/cgi-bin/sendsms", Username: "u", Password: "p", Sender: "elkgezin", ReportBase: "https://api.example/"})
	committed := false
	err := c.Send(context.Background(), Message{To: "+32470123456", Text: "مرحبا أمينة", ReportToken: "tok123"},
		func(context.Context) error { committed = true; return nil })
	if err != nil || !committed {
		t.Fatalf("send: %v, committed %v", err, committed)
	}
	want := map[string]string{"username": "u", "password": "p", "from": "elkgezin", "to": "+32470123456", "text": "مرحبا أمينة",
		"charset": "UTF-8", "coding": "2", "dlr-mask": "31", "dlr-url": "https://api.example/v1/sms-reports/tok123?status=%d"}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Get(k), v)
		}
	}
	if err := c.Send(context.Background(), Message{To: "1", Text: "Dag Jan"}, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got.Has("coding") || got.Has("dlr-url") {
		t.Errorf("a GSM text without token is sent with %v", got)
	}
}

// TestSendTellsWhatHappened: a refusal is for good, a gateway that cannot
// be reached certainly has nothing, one that never answers may have it,
// and a failed commit sends nothing. No error names the number.
func TestSendTellsWhatHappened(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Invalid number "+r.URL.Query().Get("to"), http.StatusBadRequest)
	}))
	defer refusing.Close()
	err := New(Config{URL: refusing.URL}).Send(context.Background(), Message{To: "+32470999999", Text: "x"}, noop)
	if !errors.Is(err, ErrRefused) || !mailer.IsPermanent(err) || errors.Is(err, mailer.ErrInDoubt) || strings.Contains(err.Error(), "32470999999") {
		t.Errorf("refused: %v", err)
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String() + "/cgi-bin/sendsms"
	l.Close()
	err = New(Config{URL: closed}).Send(context.Background(), Message{To: "+32470999999", Text: "x"}, noop)
	if err == nil || errors.Is(err, mailer.ErrInDoubt) || mailer.IsPermanent(err) || strings.Contains(err.Error(), "32470999999") {
		t.Errorf("unreachable: %v", err)
	}

	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) }))
	defer silent.Close()
	err = New(Config{URL: silent.URL, Timeout: 300 * time.Millisecond}).Send(context.Background(), Message{To: "+32470999999", Text: "x"}, noop)
	if !errors.Is(err, mailer.ErrInDoubt) || strings.Contains(err.Error(), "32470999999") {
		t.Errorf("no answer: %v", err)
	}

	asked := false
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked = true }))
	defer gw.Close()
	err = New(Config{URL: gw.URL}).Send(context.Background(), Message{To: "1", Text: "x"}, func(context.Context) error { return errors.New("superseded") })
	if err == nil || asked {
		t.Errorf("a failed commit sent the message: %v, asked %v", err, asked)
	}
	if New(Config{}) != nil {
		t.Error("a client without a URL")
	}
}

func noop(context.Context) error { return nil }

// TestReportTokenIsStableAndKeyed: the same key gives the same token under
// the same secret, another key or secret another, and the token shows
// nothing of the key.
func TestReportTokenIsStableAndKeyed(t *testing.T) {
	a := ReportToken([]byte("s1"), "tr-1/home_visit-2@x/visit_reminder/family/sms")
	if a != ReportToken([]byte("s1"), "tr-1/home_visit-2@x/visit_reminder/family/sms") ||
		a == ReportToken([]byte("s2"), "tr-1/home_visit-2@x/visit_reminder/family/sms") ||
		a == ReportToken([]byte("s1"), "tr-1/home_visit-2@y/visit_reminder/family/sms") ||
		strings.Contains(a, "tr-1") || len(a) != 32 {
		t.Errorf("token %q", a)
	}
}

func TestNumber(t *testing.T) {
	for in, want := range map[string]string{"0470 12 34 56": "+32470123456", "+32 (0)470-12 34 56": "+32470123456",
		"0031 6 1234 5678": "+31612345678", "+212 6 12 34 56 78": "+212612345678"} {
		if got := Number(in); got != want {
			t.Errorf("Number(%q) = %q, want %q", in, got, want)
		}
	}
}
