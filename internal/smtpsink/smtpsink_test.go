package smtpsink_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"elkgezin/internal/smtpsink"
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
