package smtpsink_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/elkgezin/elkgezin/internal/smtpsink"
)

func send(addr, subject string) error {
	msg := "Subject: " + subject + "\r\nMessage-Id: <" + subject + "@test>\r\n\r\nhallo\r\n"
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail("a@test", []string{"b@test"}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

func TestStopRestartKeepsMessages(t *testing.T) {
	s := smtpsink.Start(t)
	var hooked []string
	s.OnData = func(r smtpsink.Received) { hooked = append(hooked, r.Subject) }
	if err := send(s.Addr(), "een"); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	s.Stop()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a stopped sink accepted a connection")
	}
	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr(), addr)
	}
	if err := send(s.Addr(), "twee"); err != nil {
		t.Fatal(err)
	}
	got := s.WaitFor(t, func(r smtpsink.Received) bool { return r.Subject == "twee" }, 2*time.Second)
	if got.MessageID != "<twee@test>" || got.Body != "hallo\r\n" || got.From != "a@test" || got.To[0] != "b@test" {
		t.Errorf("received %+v", got)
	}
	if n := s.Count(nil); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
	if len(hooked) != 2 {
		t.Errorf("OnData saw %v", hooked)
	}
}

func TestRejectDataStoresNothing(t *testing.T) {
	s := smtpsink.Start(t)
	s.RejectData(554)
	err := send(s.Addr(), "weg")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 554 {
		t.Fatalf("err = %v, want a 554 reply", err)
	}
	s.RejectData(0)
	if err := send(s.Addr(), "wel"); err != nil {
		t.Fatal(err)
	}
	if n := s.Count(nil); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// A client that closes the connection mid-DATA leaves no message, and the
// sink counts it as aborted.
func TestAbortedDataIsDiscarded(t *testing.T) {
	s := smtpsink.Start(t)
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("Subject: half\r\n\r\nhallo\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Close() // without the final "."
	deadline := time.Now().Add(5 * time.Second)
	for s.Aborted() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a, n := s.Aborted(), s.Count(nil); a != 1 || n != 0 {
		t.Errorf("%d aborted and %d stored, want 1 and 0", a, n)
	}
}

func TestHangUpAfterDataKeepsTheMessageWithoutAReply(t *testing.T) {
	s := smtpsink.Start(t)
	s.HangUpAfterData("B@test")
	var se *smtp.SMTPError
	if err := send(s.Addr(), "een"); err == nil || errors.As(err, &se) {
		t.Fatalf("send = %v, want the connection to end without a reply", err)
	}
	if n := s.Count(nil); n != 1 {
		t.Fatalf("%d messages kept, want 1", n)
	}
	s.HangUpAfterData("")
	if err := send(s.Addr(), "twee"); err != nil {
		t.Fatalf("after HangUpAfterData(\"\"): %v", err)
	}
}
