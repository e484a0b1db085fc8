package mailer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/mailer"
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
	if mailer.IsPermanent(err) || errors.Is(err, mailer.ErrInDoubt) {
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
	// The whole message was out; the server's reply never came.
	if !errors.Is(err, mailer.ErrInDoubt) || mailer.IsPermanent(err) {
		t.Errorf("err = %v, want a retryable ErrInDoubt", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %s despite the deadline", d)
	}
}

// beforeCommit runs when the whole message but its end is written, and the
// server has not accepted it yet; the message then arrives intact. Long
// bodies make go-smtp flush its buffer several times before the end.
func TestBeforeCommitRunsBeforeTheServerAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
		body int
	}{{"short", false, 0}, {"long", false, 20000}, {"long over STARTTLS", true, 50000}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mailer.Config{From: "noreply@elkgezin.test", Timeout: 5 * time.Second}
			var sink *smtpsink.Sink
			if tc.tls {
				sink = smtpsink.StartTLS(t)
				cfg.TLS = &tls.Config{RootCAs: sink.RootCAs()}
			} else {
				sink = smtpsink.Start(t)
			}
			cfg.Addr = sink.Addr()
			m := message()
			m.TextBody += strings.Repeat("Een regel van het bericht, met één accent.\n", tc.body/44)
			calls := 0
			err := mailer.NewSender(cfg).SendCommitting(context.Background(), m, func(ctx context.Context) error {
				calls++
				if ctx.Err() != nil {
					t.Errorf("beforeCommit got an ended context")
				}
				// Were the end of the message on its way, the server
				// would have stored it by now.
				time.Sleep(100 * time.Millisecond)
				if n := sink.Count(nil); n != 0 {
					t.Errorf("the server accepted the message before beforeCommit returned")
				}
				return nil
			})
			if err != nil {
				t.Fatalf("SendCommitting: %v", err)
			}
			if calls != 1 {
				t.Errorf("beforeCommit ran %d times", calls)
			}
			got := sink.WaitFor(t, func(smtpsink.Received) bool { return true }, 5*time.Second)
			if want := strings.ReplaceAll(m.TextBody, "\n", "\r\n"); got.Body != want {
				t.Errorf("body of %d bytes arrived as %d bytes", len(want), len(got.Body))
			}
			if got.TLS != tc.tls {
				t.Errorf("TLS = %v", got.TLS)
			}
		})
	}
}

// A failing beforeCommit withdraws the message: the connection closes
// mid-DATA and the server discards what it got.
func TestBeforeCommitFailureWithdraws(t *testing.T) {
	for _, long := range []bool{false, true} {
		sink := smtpsink.Start(t)
		s := mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "noreply@elkgezin.test", Timeout: 5 * time.Second})
		m := message()
		if long {
			m.TextBody += strings.Repeat("nog een regel\n", 2000)
		}
		hookErr := errors.New("ledger unreachable")
		err := s.SendCommitting(context.Background(), m, func(context.Context) error { return hookErr })
		t.Logf("withdrawn: %v", err)
		if !errors.Is(err, mailer.ErrWithdrawn) || !errors.Is(err, hookErr) {
			t.Fatalf("err = %v, want ErrWithdrawn and the hook's error", err)
		}
		if mailer.IsPermanent(err) || errors.Is(err, mailer.ErrInDoubt) {
			t.Errorf("a withdrawn message is permanent or in doubt: %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for sink.Aborted() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if a, n := sink.Aborted(), sink.Count(nil); a != 1 || n != 0 {
			t.Fatalf("the server saw %d aborted and %d accepted messages, want 1 and 0", a, n)
		}
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("Send after a withdrawal: %v", err)
		}
		if n := sink.Count(nil); n != 1 {
			t.Errorf("%d messages arrived, want 1", n)
		}
	}
}

// Refusals before the end of the message never reach beforeCommit; a
// refusal of the message itself comes after it and is definite.
func TestOutcomesAroundTheCommit(t *testing.T) {
	for _, tc := range []struct {
		name            string
		rcpt, data      int
		stop            bool
		hook, permanent bool
	}{
		{name: "recipient refused", rcpt: 550, permanent: true},
		{name: "recipient deferred", rcpt: 451},
		{name: "server down", stop: true},
		{name: "message refused", data: 554, hook: true, permanent: true},
		{name: "message deferred", data: 451, hook: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := smtpsink.Start(t)
			sink.Reject(tc.rcpt)
			sink.RejectData(tc.data)
			if tc.stop {
				sink.Stop()
			}
			s := mailer.NewSender(mailer.Config{Addr: sink.Addr(), From: "noreply@elkgezin.test", Timeout: 2 * time.Second})
			hooked := false
			err := s.SendCommitting(context.Background(), message(), func(context.Context) error { hooked = true; return nil })
			t.Logf("%v", err)
			if err == nil {
				t.Fatal("SendCommitting succeeded")
			}
			if hooked != tc.hook {
				t.Errorf("beforeCommit ran: %v, want %v", hooked, tc.hook)
			}
			if mailer.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", !tc.permanent, tc.permanent)
			}
			if errors.Is(err, mailer.ErrInDoubt) || errors.Is(err, mailer.ErrWithdrawn) {
				t.Errorf("a definite failure is reported in doubt or withdrawn: %v", err)
			}
			if n := sink.Count(nil); n != 0 {
				t.Errorf("%d messages arrived", n)
			}
		})
	}
}

func TestReplyTo(t *testing.T) {
	m := message()
	m.From = "noreply@elkgezin.test"
	m.ReplyTo = "An Peeters <an.peeters@ocmw.example>"
	raw, err := mailer.Build(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "Reply-To: \"An Peeters\" <an.peeters@ocmw.example>\r\n") {
		t.Errorf("no Reply-To in:\n%s", raw)
	}
	m.ReplyTo = "geen adres"
	if _, err := mailer.Build(m); !errors.Is(err, mailer.ErrInvalidMessage) {
		t.Errorf("bad Reply-To: err = %v", err)
	}
}
