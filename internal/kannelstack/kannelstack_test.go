package kannelstack

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestKannelCarriesSMS: an SMS sent to smsbox reaches fakesmsc, in UTF-8
// and in UCS-2 (Arabic), and is read back as sent.
func TestKannelCarriesSMS(t *testing.T) {
	k := Start(t, "../../deploy/kannel/kannel.conf.tmpl")
	long := "Merhaba Ayşe, ev ziyaretinin zamanı değişti. Yeni zaman: 7 Aralık Pazartesi, saat 14:36."
	for _, text := range []string{"Dag Jan, morgen om 10:00", "مرحبا أمينة", long} {
		q := url.Values{"username": {k.User}, "password": {k.Password}, "to": {"+32470123456"}, "text": {text}, "charset": {"UTF-8"}}
		if text != "Dag Jan, morgen om 10:00" {
			q.Set("coding", "2")
		}
		resp, err := http.Get(k.URL + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("sendsms: %d", resp.StatusCode)
		}
		m := k.WaitFor(t, func(m Message) bool { return m.Text == text }, 15*time.Second)
		if m.To != "+32470123456" || m.From != "elkgezin" {
			t.Errorf("got %+v", m)
		}
	}
	k.Stop()
	if _, err := http.Get(k.URL); err == nil {
		t.Error("Kannel still answers after Stop")
	}
}
