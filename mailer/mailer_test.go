package mailer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"elkgezin/internal/smtpsink"
	"elkgezin/mailer"
)

func message() mailer.Message {
	return mailer.Message{
		MessageID: "<0123456789abcdef@elkgezin>",
		To:        "coach.an@example.org",
		Subject:   "Herinnering: huisbezoek 2 vervalt op 03-02-2026 14:00 (traject tr-abc) – één",
		TextBody:  "Beste coach,\n\nDe stap vervalt binnenkort. Ça va, één, ü, €.\n" + strings.Repeat("lange regel ", 20) + "\n",
		Headers:   map[string]string{"X-Elkgezin-Trajectory": "tr-abc"},
	}
}

func TestSendArrivesIntact(t *testing.T) {
	sink := smtpsink.Start(t)
	s := mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "Elkgezin <noreply@elkgezin.test>", Timeout: 5 * time.Second})
	m := message()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
	if got.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, m.Subject)
	}
	if got.MessageID != m.MessageID {
		t.Errorf("Message-Id = %q, want %q", got.MessageID, m.MessageID)
	}
	if want := strings.ReplaceAll(m.TextBody, "\n", "\r\n"); got.Body != want {
		t.Errorf("body = %q, want %q", got.Body, want)
	}
	if got.From != "noreply@elkgezin.test" || len(got.To) != 1 || got.To[0] != m.To {
		t.Errorf("envelope = %q -> %q", got.From, got.To)
	}
	if v := got.Header.Get("X-Elkgezin-Trajectory"); v != "tr-abc" {
		t.Errorf("X-Elkgezin-Trajectory = %q", v)
	}
	if ct := got.Header.Get("Content-Type"); !strings.Contains(ct, "text/plain") || !strings.Contains(ct, "utf-8") {
		t.Errorf("Content-Type = %q", ct)
	}
	if cte := got.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding = %q", cte)
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	// The raw subject is encoded: a non-ASCII header would be malformed.
	for _, b := range got.Raw {
		if b >= 0x80 {
			t.Fatalf("raw message holds a non-ASCII byte")
		}
	}
}

func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	sink := smtpsink.StartTLS(t)
	sink.RequireAuth("elkgezin", "geheim")
	s := mailer.NewSender(mailer.Config{
		Addr: sink.Addr(), From: "noreply@elkgezin.test", Username: "elkgezin", Password: "geheim",
		Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: sink.RootCAs()},
	})
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second); !got.TLS {
		t.Errorf("message did not arrive over TLS")
	}

	anonymous := mailer.NewSender(mailer.Config{
		Addr: sink.Addr(), From: "noreply@elkgezin.test",
		Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: sink.RootCAs()},
	})
	err := anonymous.Send(context.Background(), message())
	t.Logf("no credentials: %v", err)
	if err == nil || mailer.IsPermanent(err) {
		t.Errorf("no credentials: err = %v, want a retryable error", err)
	}

	bad := mailer.NewSender(mailer.Config{
		Addr: sink.Addr(), From: "noreply@elkgezin.test", Username: "elkgezin", Password: "fout",
		Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: sink.RootCAs()},
	})
	err = bad.Send(context.Background(), message())
	t.Logf("wrong password: %v", err)
	if err == nil || mailer.IsPermanent(err) {
		t.Errorf("wrong password: err = %v, want a retryable error", err)
	}
}

func TestServerDownIsNotPermanent(t *testing.T) {
	sink := smtpsink.Start(t)
	sink.Stop()
	s := mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "noreply@elkgezin.test", Timeout: 2 * time.Second})
	err := s.Send(context.Background(), message())
	if err == nil {
		t.Fatal("Send to a stopped server succeeded")
	}
	t.Logf("server down: %v", err)
	if mailer.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true", err)
	}

	sink.Restart()
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if n := sink.Count(nil); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

func TestRejections(t *testing.T) {
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{550, true}, {451, false}} {
		sink := smtpsink.Start(t)
		sink.Reject(tc.code)
		s := mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "noreply@elkgezin.test", Timeout: 2 * time.Second})
		m := message()
		err := s.Send(context.Background(), m)
		if err == nil {
			t.Fatalf("%d: Send succeeded", tc.code)
		}
		t.Logf("%d: %v", tc.code, err)
		if mailer.IsPermanent(err) != tc.permanent {
			t.Errorf("%d: IsPermanent(%v) = %v, want %v", tc.code, err, !tc.permanent, tc.permanent)
		}
		// The server echoed the recipient; the error must not.
		if strings.Contains(err.Error(), m.To) {
			t.Errorf("%d: error reveals the recipient: %v", tc.code, err)
		}
	}
}

func TestInvalidMessageIsPermanent(t *testing.T) {
	s := mailer.NewSender(mailer.Config{Addr: "127.0.0.1:1", From: "noreply@elkgezin.test"})
	m := message()
	m.To = "geen adres"
	err := s.Send(context.Background(), m)
	if !errors.Is(err, mailer.ErrInvalidMessage) || !mailer.IsPermanent(err) {
		t.Errorf("err = %v, want a permanent ErrInvalidMessage", err)
	}
	m = message()
	m.Headers = map[string]string{"X-Evil": "a\r\nBcc: x@example.org"}
	if _, err := mailer.Build(m); !errors.Is(err, mailer.ErrInvalidMessage) {
		t.Errorf("header injection: err = %v", err)
	}
}

func TestContextDeadline(t *testing.T) {
	sink := smtpsink.Start(t)
	block := make(chan struct{})
	sink.OnData = func(smtpsink.Received) { <-block }
	defer close(block)
	s := mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "noreply@elkgezin.test", Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, message())
	t.Logf("deadline: %v", err)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %s despite the deadline", d)
	}
}
