// Package sms sends SMS to families through a gateway with Kannel's HTTP
// interface (smsbox's /cgi-bin/sendsms; many providers offer the same),
// asking for delivery reports at the API, and holds the messages'
// texts in the families' languages.
package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/elkgezin/elkgezin/mailer"
)

// Config is the gateway: its sendsms URL, user, password and the sender
// the family's phone shows; ReportBase is where the gateway reaches the
// API (ReportPath follows it). An empty URL means no SMS are sent.
type Config struct {
	URL, Username, Password, Sender string
	ReportBase                      string
	// ReportSecret keys the delivery reports' tokens (ReportToken).
	ReportSecret []byte
	// Timeout bounds one request; zero: 15 seconds.
	Timeout time.Duration
}

// ReportPath is the API's path of delivery reports; the token follows.
const ReportPath = "/v1/sms-reports/"

// DeliveryMask asks Kannel for every kind of delivery report: delivered,
// not delivered, queued, accepted and refused by the SMSC.
const DeliveryMask = 31

// Client sends SMS through the gateway.
type Client struct {
	cfg  Config
	http *http.Client
}

// New returns a client of the gateway, or nil when cfg.URL is empty: no
// SMS are sent.
func New(cfg Config) *Client {
	if cfg.URL == "" {
		return nil
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	return &Client{cfg: cfg, http: &http.Client{Timeout: timeout}}
}

// Message is one SMS: the number, the text and the token of its
// delivery reports (ReportToken).
type Message struct {
	To, Text, ReportToken string
}

// ReportToken is the token in the URL of an SMS's delivery reports: it
// follows from the SMS's key under the secret, so every attempt asks
// for the same URL, and nobody without the secret can guess one. It
// holds nothing of the family.
func ReportToken(secret []byte, key string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("sms-delivery-report\x00" + key))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(mac.Sum(nil)[:20]))
}

// ErrRefused is wrapped by the error of a message the gateway refused
// (a bad number, text or sender): sending it again cannot help. It wraps
// mailer.ErrInvalidMessage, so the email ledger's protocol
// (mailer.IsPermanent) takes it as a refusal for good.
var ErrRefused = fmt.Errorf("sms: the gateway refused the message: %w", mailer.ErrInvalidMessage)

// Send hands m to the gateway. beforeCommit runs just before the request
// goes out (the ledger marks the SMS committing); if it fails nothing is
// sent. An error wrapping mailer.ErrInDoubt means the request went out
// and no answer came: the gateway may have the message. Any other error
// means it certainly does not (nothing went out, or the gateway said
// no); ErrRefused among them is for good. Errors name no number and no
// text.
func (c *Client) Send(ctx context.Context, m Message, beforeCommit func(context.Context) error) error {
	if err := beforeCommit(ctx); err != nil {
		return fmt.Errorf("sms withdrawn before sending: %w", err)
	}
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, c.sendURL(m), nil)
	if err != nil {
		return fmt.Errorf("sms: the gateway's URL: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if wrote.Load() {
			return fmt.Errorf("%w: sms: no answer from the gateway: %v", mailer.ErrInDoubt, redact(err))
		}
		return fmt.Errorf("sms: the gateway could not be reached: %v", redact(err))
	}
	defer resp.Body.Close()
	// The answer's text is not kept: a gateway may repeat the number in it.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted:
		return nil
	case resp.StatusCode == http.StatusBadRequest:
		return fmt.Errorf("%w (%s)", ErrRefused, resp.Status)
	}
	// 403: a wrong user or password, a mistake of ours a retry after the
	// fix mends; 5xx: the gateway's queue is full or an SMSC is down.
	return fmt.Errorf("sms: the gateway answered %s", resp.Status)
}

// redact keeps the request's URL, which holds the number and the text,
// out of an error.
func redact(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

// sendURL is the sendsms request of m: UTF-8, as UCS-2 (coding 2) when
// the text has a character the GSM alphabet lacks (Arabic, Turkish).
func (c *Client) sendURL(m Message) string {
	q := url.Values{}
	q.Set("username", c.cfg.Username)
	q.Set("password", c.cfg.Password)
	q.Set("to", m.To)
	q.Set("text", m.Text)
	q.Set("charset", "UTF-8")
	if c.cfg.Sender != "" {
		q.Set("from", c.cfg.Sender)
	}
	if !GSM(m.Text) {
		q.Set("coding", "2")
	}
	if m.ReportToken != "" && c.cfg.ReportBase != "" {
		q.Set("dlr-mask", fmt.Sprint(DeliveryMask))
		// Kannel puts the report's type where %d stands.
		q.Set("dlr-url", strings.TrimSuffix(c.cfg.ReportBase, "/")+ReportPath+m.ReportToken+"?status=%d")
	}
	sep := "?"
	if strings.Contains(c.cfg.URL, "?") {
		sep = "&"
	}
	return c.cfg.URL + sep + q.Encode()
}

// gsmBasic is the GSM 03.38 default alphabet (without its escapes).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// GSM says whether every character of text is in the GSM alphabet, so
// the SMS can go as plain text (160 characters) instead of UCS-2 (70).
func GSM(text string) bool {
	for _, r := range text {
		if !strings.ContainsRune(gsmBasic, r) {
			return false
		}
	}
	return true
}

// Number writes a phone number as a referral holds it ("0470 12 34 56",
// "+32 (0)470-12.34.56") in international form for the gateway:
// +32470123456. A national number (one leading 0) is Belgian.
func Number(phone string) string {
	phone = strings.ReplaceAll(phone, "(0)", "")
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		if r == '+' && i == 0 || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+"):
		return n
	case strings.HasPrefix(n, "00"):
		return "+" + n[2:]
	case strings.HasPrefix(n, "0"):
		return "+32" + n[1:]
	}
	return n
}
