// Package smtpsink is a real SMTP server for tests. It keeps every message it
// accepts, and can be stopped and restarted on the same address, made to
// reject recipients, or made to offer STARTTLS and require AUTH PLAIN, so that
// tests can exercise the failures a mail server causes in production.
package smtpsink

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one accepted message.
type Received struct {
	From      string   // envelope sender (MAIL FROM)
	To        []string // envelope recipients (RCPT TO)
	Subject   string   // decoded
	MessageID string   // as in the header, with angle brackets
	Body      string   // the first text part, decoded
	Header    mail.Header
	Raw       []byte
	TLS       bool // arrived over STARTTLS
	At        time.Time
}

// Sink is a running SMTP server.
type Sink struct {
	// OnData, when set, is called after a message has been stored and
	// before the server replies 250, so a test can kill the sender at the
	// moment the mail exists but the sender has not heard so. Set it before
	// the message is sent.
	OnData func(Received)

	t    testing.TB
	addr string
	tls  *tls.Config
	cas  *x509.CertPool

	mu       sync.Mutex
	srv      *smtp.Server
	listener net.Listener
	served   chan struct{} // closed when srv's Serve returns
	msgs     []Received
	aborted  int
	reject   int
	rejectTo map[string]int // per recipient, see RejectRecipient
	rejData  int
	hangUpTo map[string]bool // see HangUpAfterData
	user     string
	password string
	open     int // sessions open now
	maxOpen  int // the most sessions open at once
}

// Start starts a sink on 127.0.0.1 at a free port; it stops when the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpsink: listen: %v", err)
	}
	s := &Sink{t: t, addr: l.Addr().String()}
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// Listen starts a sink outside a test (the bench program) on addr
// ("127.0.0.1:0" for a free port); the caller stops it.
func Listen(addr string) (*Sink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtpsink: listen: %w", err)
	}
	s := &Sink{addr: l.Addr().String()}
	s.serve(l)
	return s, nil
}

// StartTLS starts a sink that offers STARTTLS, with a certificate for
// 127.0.0.1 signed by the pool that RootCAs returns.
func StartTLS(t testing.TB) *Sink {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatalf("smtpsink: certificate: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpsink: listen: %v", err)
	}
	s := &Sink{t: t, addr: l.Addr().String(), cas: pool,
		tls: &tls.Config{Certificates: []tls.Certificate{cert}}}
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// Addr is the host:port the sink listens on, the same after Restart.
func (s *Sink) Addr() string { return s.addr }

// RootCAs trusts the certificate of a sink made by StartTLS.
func (s *Sink) RootCAs() *x509.CertPool { return s.cas }

// RequireAuth makes the sink refuse MAIL until the client authenticated
// with AUTH PLAIN as user and password.
func (s *Sink) RequireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// Reject makes the sink answer every RCPT with code (e.g. 550 or 451),
// echoing the recipient as real servers do; 0 accepts again.
func (s *Sink) Reject(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = code
}

// RejectRecipient makes the sink answer RCPT for one address with code
// (e.g. 550), as a server does for an address that does not exist; 0
// accepts it again.
func (s *Sink) RejectRecipient(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejectTo == nil {
		s.rejectTo = map[string]int{}
	}
	s.rejectTo[addr] = code
}

// SetOnData sets OnData under the sink's lock, so that it is safe while
// sessions run.
func (s *Sink) SetOnData(hook func(Received)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.OnData = hook
}

// RejectData makes the sink read each message to its end and then refuse
// it with code (e.g. 554 or 451) instead of accepting it; 0 accepts again.
func (s *Sink) RejectData(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejData = code
}

// HangUpAfterData makes the sink keep each message to addr and then close
// the connection without replying, as a server or network that fails just
// after accepting: the sender cannot know that the message arrived. An
// empty addr ends it for every address.
func (s *Sink) HangUpAfterData(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if addr == "" {
		s.hangUpTo = nil
		return
	}
	if s.hangUpTo == nil {
		s.hangUpTo = map[string]bool{}
	}
	s.hangUpTo[strings.ToLower(addr)] = true
}

// Aborted counts the messages whose DATA ended without the final ".": the
// client closed the connection mid-message, and the sink discarded it.
func (s *Sink) Aborted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aborted
}

func (s *Sink) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		s.mu.Lock()
		s.open++
		s.maxOpen = max(s.maxOpen, s.open)
		s.mu.Unlock()
		return &session{sink: s, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = s.tls
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	// Handlers may outlive the test; logging through t would then panic.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	served := make(chan struct{})
	s.mu.Lock()
	s.srv, s.listener, s.served = srv, l, served
	s.mu.Unlock()
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
}

// Stop closes the listener and every open connection: connecting is then
// refused. It is safe to call twice.
func (s *Sink) Stop() {
	s.mu.Lock()
	srv, l, served := s.srv, s.listener, s.served
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	// srv.Close closes the connections, but the listener only once Serve
	// has registered it, which may not have happened yet.
	_ = srv.Close()
	_ = l.Close()
	<-served
}

// Restart listens again on the same address, keeping the messages received
// so far. It stops the sink first if it is running.
func (s *Sink) Restart() {
	if s.t != nil {
		s.t.Helper()
	}
	s.Stop()
	var l net.Listener
	var err error
	// The port was just released; give the kernel a moment if it disagrees.
	for range 50 {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil && s.t == nil {
		panic(fmt.Sprintf("smtpsink: listen again on %s: %v", s.addr, err))
	}
	if err != nil {
		s.t.Fatalf("smtpsink: listen again on %s: %v", s.addr, err)
	}
	s.serve(l)
}

// Messages returns a copy of every message accepted so far, oldest first.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Count counts the accepted messages that match; a nil match counts all.
func (s *Sink) Count(match func(Received) bool) int {
	n := 0
	for _, m := range s.Messages() {
		if match == nil || match(m) {
			n++
		}
	}
	return n
}

// WaitFor returns the first message that matches, polling until timeout;
// then it fails the test, listing what did arrive.
func (s *Sink) WaitFor(t testing.TB, match func(Received) bool, timeout time.Duration) Received {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		msgs := s.Messages()
		for _, m := range msgs {
			if match(m) {
				return m
			}
		}
		if time.Now().After(end) {
			var b strings.Builder
			for _, m := range msgs {
				fmt.Fprintf(&b, "\n  %s to %v: %q (%s)", m.At.Format(time.RFC3339Nano), m.To, m.Subject, m.MessageID)
			}
			t.Fatalf("smtpsink: no matching message within %s; %d arrived:%s", timeout, len(msgs), b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// session is one SMTP connection.
type session struct {
	sink   *Sink
	conn   *smtp.Conn
	tls    bool
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, password string) error {
		ss.sink.mu.Lock()
		ok := ss.sink.user != "" && user == ss.sink.user && password == ss.sink.password
		ss.sink.mu.Unlock()
		if !ok {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.sink.mu.Lock()
	need := ss.sink.user != ""
	ss.sink.mu.Unlock()
	if need && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	code := ss.sink.reject
	if c := ss.sink.rejectTo[to]; c != 0 {
		code = c
	}
	ss.sink.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{
			Code:         code,
			EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1},
			Message:      "<" + to + ">: recipient rejected",
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		// The message did not end with its "."; a real server drops it.
		ss.sink.mu.Lock()
		ss.sink.aborted++
		ss.sink.mu.Unlock()
		return err
	}
	ss.sink.mu.Lock()
	code := ss.sink.rejData
	ss.sink.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{
			Code:         code,
			EnhancedCode: smtp.EnhancedCode{code / 100, 6, 0},
			Message:      "message refused",
		}
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparsable message: " + err.Error()}
	}
	m.From, m.To, m.TLS, m.At = ss.from, ss.to, ss.tls, time.Now()
	ss.sink.mu.Lock()
	ss.sink.msgs = append(ss.sink.msgs, m)
	hook := ss.sink.OnData
	hangUp := false
	for _, to := range m.To {
		hangUp = hangUp || ss.sink.hangUpTo[strings.ToLower(to)]
	}
	ss.sink.mu.Unlock()
	if hook != nil {
		hook(m)
	}
	if hangUp {
		// The reply that would follow never gets out.
		_ = ss.conn.Close()
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error {
	ss.sink.mu.Lock()
	ss.sink.open--
	ss.sink.mu.Unlock()
	return nil
}

// MaxOpenSessions is the most SMTP sessions that were open at once.
func (s *Sink) MaxOpenSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxOpen
}

// parse decodes the header and the first text part of a message.
func parse(raw []byte) (Received, error) {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	subject, err := mr.Header.Subject()
	if err != nil {
		return Received{}, fmt.Errorf("subject: %w", err)
	}
	m := Received{
		Subject:   subject,
		MessageID: strings.TrimSpace(mr.Header.Get("Message-Id")),
		Header:    mr.Header,
		Raw:       raw,
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return Received{}, err
		}
		if _, ok := p.Header.(*mail.InlineHeader); ok {
			body, err := io.ReadAll(p.Body)
			if err != nil {
				return Received{}, err
			}
			m.Body = string(body)
			return m, nil
		}
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
