package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-smtp"
)

// ErrNoTLS is wrapped by the error of a send to a server that is not on
// this machine and offers no STARTTLS: handover emails carry personal
// data, and a missing STARTTLS may be an attacker's doing (stripped from
// the server's answer), so nothing is sent in plain text. It is not
// permanent: a retry succeeds once the server or SMTP_TLS is fixed.
var ErrNoTLS = errors.New("mailer: the SMTP server offers no STARTTLS")

// connect opens a session over TLS: implicit TLS when configured, else
// upgraded with STARTTLS. Only a server on this machine (loopback) may be
// spoken to in plain text. go-smtp cannot upgrade a session it already
// greeted, so when STARTTLS is offered the probe session is dropped and a
// second one starts with it.
func (s *Sender) connect(ctx context.Context) (*smtp.Client, *commitGate, error) {
	if s.cfg.ImplicitTLS {
		return s.dial(ctx, tlsImplicit)
	}
	c, gate, err := s.dial(ctx, tlsNone)
	if err != nil {
		return nil, nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		host, _, _ := net.SplitHostPort(s.cfg.Addr)
		if s.local(host) {
			return c, gate, nil
		}
		_ = c.Quit()
		c.Close()
		return nil, nil, fmt.Errorf("%w: %s is not on this machine, so the email is not sent in plain text; "+
			"configure the server for STARTTLS, or use implicit TLS (SMTP_TLS=implicit, usually port 465)", ErrNoTLS, s.cfg.Addr)
	}
	_ = c.Quit()
	c.Close()
	return s.dial(ctx, tlsStart)
}

type tlsMode int

const (
	tlsNone tlsMode = iota
	tlsStart
	tlsImplicit
)

func (s *Sender) dial(ctx context.Context, mode tlsMode) (*smtp.Client, *commitGate, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, nil, wrap(ctx, "connect", err)
	}
	// go-smtp knows no contexts: closing the connection is what unblocks it
	// when ctx ends. Send cancels ctx when it returns, so this also closes
	// every connection it opened.
	context.AfterFunc(ctx, func() { conn.Close() })
	// The gate is below TLS, so that it sees the encrypted records: the
	// last one carries the final ".".
	gate := &commitGate{Conn: conn}
	var c *smtp.Client
	switch mode {
	case tlsStart:
		c, err = smtp.NewClientStartTLS(gate, s.tlsConfig())
		if err != nil {
			return nil, nil, wrap(ctx, "STARTTLS", err)
		}
	case tlsImplicit:
		tc := tls.Client(gate, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, nil, wrap(ctx, "TLS handshake", err)
		}
		c = smtp.NewClient(tc)
	default:
		c = smtp.NewClient(gate)
	}
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, nil, wrap(ctx, "EHLO", err)
	}
	return c, gate, nil
}

func (s *Sender) tlsConfig() *tls.Config {
	cfg := s.cfg.TLS.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(s.cfg.Addr)
	}
	return cfg
}

// isLoopback says whether host names this machine.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
