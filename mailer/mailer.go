// Package mailer builds plain-text emails and hands them to an SMTP server.
//
// Errors never carry the message's addresses or text: they end up in logs
// and in Temporal's history, which are not meant to hold personal data.
package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config says how to reach the SMTP server.
type Config struct {
	Addr string // host:port
	From string // default sender address, used when a Message has none
	// Username and Password, when set, authenticate with AUTH PLAIN.
	Username, Password string
	// Timeout bounds one whole Send; zero means 30 seconds.
	Timeout time.Duration
	// TLS, when set, is used for STARTTLS or implicit TLS (e.g. to trust
	// a private CA); nil verifies the server against the system roots.
	TLS *tls.Config
	// ImplicitTLS connects with TLS from the first byte (SMTPS, port 465)
	// instead of upgrading with STARTTLS.
	ImplicitTLS bool
}

// Message is one plain-text email to one recipient.
type Message struct {
	// MessageID is the stable Message-Id, with or without angle brackets.
	// A resend with the same id is recognisably the same message.
	MessageID, From, To, Subject, TextBody string
	// ReplyTo, when set, is where replies go instead of From.
	ReplyTo string
	// Headers are extra header fields, e.g. X-Elkgezin-Trajectory.
	Headers map[string]string
}

// ErrInvalidMessage is wrapped by errors about a message that can never be
// sent as it is; IsPermanent reports true for it.
var ErrInvalidMessage = errors.New("mailer: invalid message")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidMessage}, args...)...)
}

var headerKey = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// Build renders m as an RFC 5322 message: UTF-8 text/plain in
// quoted-printable, the subject encoded when it is not plain ASCII.
func Build(m Message) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, invalid("From is not an address: %v", err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, invalid("To is not an address: %v", err)
	}
	var replyTo *mail.Address
	if m.ReplyTo != "" {
		if replyTo, err = mail.ParseAddress(m.ReplyTo); err != nil {
			return nil, invalid("Reply-To is not an address: %v", err)
		}
	}
	id := strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">")
	if !strings.Contains(id, "@") || strings.ContainsAny(id, "<> \t\r\n") {
		return nil, invalid("Message-Id must look like local@domain")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, invalid("Subject must be one line")
	}

	var h mail.Header
	// Extra fields first, sorted so the output is stable; the standard
	// fields set after them cannot be overridden by accident.
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m.Headers[k]
		if !headerKey.MatchString(k) || strings.ContainsAny(v, "\r\n") {
			return nil, invalid("header field %q is malformed", k)
		}
		h.SetText(k, v)
	}
	h.SetDate(time.Now())
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{to})
	if replyTo != nil {
		h.SetAddressList("Reply-To", []*mail.Address{replyTo})
	}
	h.SetSubject(m.Subject)
	h.SetMessageID(id)
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})

	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("mailer: write header: %w", err)
	}
	if _, err := w.Write([]byte(m.TextBody)); err != nil {
		return nil, fmt.Errorf("mailer: write body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("mailer: write body: %w", err)
	}
	return buf.Bytes(), nil
}

// Sender sends messages over SMTP, one connection per message.
type Sender struct {
	cfg Config
	// local says whether a host is this machine, the one place plain
	// text may go; tests make a loopback sink look remote with it.
	local func(host string) bool
}

// NewSender returns a Sender for cfg.
func NewSender(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg, local: isLoopback}
}

// ErrInDoubt is wrapped by an error that came after the end of the message
// may have reached the server, before its reply did: the server may have
// accepted the message, or not. Sending it again may deliver it twice.
var ErrInDoubt = errors.New("mailer: the server may have accepted the message")

// ErrWithdrawn is wrapped, with the hook's own error, by the error of
// SendCommitting when beforeCommit failed: the message was withdrawn before
// the server could accept it, and the server discards it.
var ErrWithdrawn = errors.New("mailer: message withdrawn before the server accepted it")

// Send delivers m to the server. m.From defaults to Config.From. Once the
// server has accepted the DATA, Send succeeds even if QUIT fails: reporting
// an error then would only make the caller send the message twice.
func (s *Sender) Send(ctx context.Context, m Message) error {
	return s.SendCommitting(ctx, m, nil)
}

// SendCommitting is Send with a hook, beforeCommit, that runs at most
// once, just before the final "." that makes the server accept the
// message; when it fails, the message is withdrawn (ErrWithdrawn). After
// it, a failure without the server's reply wraps ErrInDoubt. Why and how:
// docs/design/email-delivery.md.
func (s *Sender) SendCommitting(ctx context.Context, m Message, beforeCommit func(context.Context) error) error {
	if m.From == "" {
		m.From = s.cfg.From
	}
	raw, err := Build(m)
	if err != nil {
		return err
	}
	from, _ := mail.ParseAddress(m.From) // Build checked both
	to, _ := mail.ParseAddress(m.To)

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, gate, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return wrap(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(from.Address, nil); err != nil {
		return wrap(ctx, "MAIL", err)
	}
	if err := c.Rcpt(to.Address, nil); err != nil {
		return wrap(ctx, "RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return wrap(ctx, "DATA", err)
	}
	// go-smtp writes the message through a buffer that it flushes only
	// when it is full and when the writer closes, with the final ".": the
	// gate runs beforeCommit on the first write to the network after this
	// point, so before any byte of that last flush leaves this process.
	if _, err := w.Write(raw); err != nil {
		return wrap(ctx, "DATA", err)
	}
	gate.arm(ctx, beforeCommit)
	err = w.Close()
	switch {
	case gate.hookErr != nil:
		return fmt.Errorf("%w: %w", ErrWithdrawn, gate.hookErr)
	case err == nil:
	case isReply(err):
		return wrap(ctx, "DATA", err)
	case gate.delivered():
		return fmt.Errorf("%w: %w", ErrInDoubt, wrap(ctx, "DATA", err))
	default:
		return wrap(ctx, "DATA", err)
	}
	_ = c.Quit()
	return nil
}

func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// commitGate sits between go-smtp and the network connection. Once armed,
// it runs the hook before the first write goes through, and notes whether
// every write after that reached the network whole.
type commitGate struct {
	net.Conn

	armed   bool
	ctx     context.Context
	hook    func(context.Context) error
	hookErr error
	writes  int  // writes passed through since armed
	failed  bool // a write since armed did not go through whole
}

func (g *commitGate) arm(ctx context.Context, hook func(context.Context) error) {
	g.armed, g.ctx, g.hook = true, ctx, hook
}

func (g *commitGate) Write(b []byte) (int, error) {
	if !g.armed {
		return g.Conn.Write(b)
	}
	if g.hook != nil {
		hook := g.hook
		g.hook = nil
		if err := hook(g.ctx); err != nil {
			g.hookErr = err
			g.failed = true
			return 0, err
		}
	}
	if g.failed {
		// Never write past a failure: the "." must not follow a gap.
		return 0, errors.New("mailer: an earlier write failed")
	}
	n, err := g.Conn.Write(b)
	if err != nil || n < len(b) {
		g.failed = true
	} else {
		g.writes++
	}
	return n, err
}

// delivered reports whether the end of the message was handed to the
// network whole, so that the server may have received it.
func (g *commitGate) delivered() bool { return g.armed && g.writes > 0 && !g.failed }

// rejection is a refusal by the server. Its text is kept for the operator,
// without the addresses that servers often echo.
type rejection struct {
	stage     string
	code      int
	enhanced  smtp.EnhancedCode
	text      string
	permanent bool
}

func (e *rejection) Error() string {
	code := fmt.Sprint(e.code)
	if e.enhanced[0] > 0 {
		code += fmt.Sprintf(" %d.%d.%d", e.enhanced[0], e.enhanced[1], e.enhanced[2])
	}
	return fmt.Sprintf("mailer: SMTP server rejected %s: %s %s", e.stage, code, e.text)
}

var address = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

func wrap(ctx context.Context, stage string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &rejection{
			stage:    stage,
			code:     se.Code,
			enhanced: se.EnhancedCode,
			text:     address.ReplaceAllString(se.Message, "[address]"),
			// A 5xx about the message or its recipient will be the same on
			// every retry. Failures of EHLO, STARTTLS or AUTH, and "authenticate
			// first", are about our configuration: a retry once it is fixed
			// succeeds.
			permanent: se.Code/100 == 5 && (stage == "MAIL" || stage == "RCPT" || stage == "DATA") &&
				se.Code != 530 && se.EnhancedCode != (smtp.EnhancedCode{5, 7, 0}),
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("mailer: %s: %w (%v)", stage, ctx.Err(), err)
	}
	return fmt.Errorf("mailer: %s: %w", stage, err)
}

// IsPermanent reports whether sending failed in a way a retry cannot fix: the
// server refused the sender, the recipient or the message with a 5xx reply,
// or the message itself is invalid. Network errors, 4xx replies and
// refusals that point at our own configuration (authentication) are not.
func IsPermanent(err error) bool {
	var r *rejection
	return errors.Is(err, ErrInvalidMessage) || (errors.As(err, &r) && r.permanent)
}
